import CUV

/// TLS on a `TCPStream` (`tls` set before `connect`), on the loop thread: the handshake right after the TCP
/// connect, ciphertext read from the socket fed to the engine and decrypted into the loop's plaintext buffer,
/// plaintext writes encrypted with one `SSL_write` each, and the ciphertext written with one socket write in
/// flight (the engine's output buffer is taken again only after the previous write drained). Every delegate
/// call may close the stream; nothing is touched after one that did.
extension TCPStream {
    /// TCP is up: the ClientHello goes out.
    func startHandshake() {
        guard let tls else { return }
        tls.startNanos = Loop.nowNanos
        stepHandshake(tls)
    }

    /// Steps the handshake with what was fed; reports its completion or failure once.
    private func stepHandshake(_ tls: TLSStream) {
        let done: Bool
        do {
            done = try tls.engine.handshake()
        } catch {
            // An alert for the server may be waiting: it goes out with what the socket takes at once.
            flushTLS(tls)
            if !closed { delegate.stream(self, didFailTLS: error) }
            return
        }
        flushTLS(tls)
        guard done, !closed else { return }
        tls.handshakeNanos = max(1, Loop.nowNanos &- tls.startNanos)
        delegate.streamDidFinishHandshake(self)
        // Application data (or session tickets) may have come with the server's last flight.
        if !closed { readPlaintext(tls) }
    }

    /// A read on a TLS stream: ciphertext, or the end of the stream.
    func didReadTLS(_ tls: TLSStream, count: Int) {
        if count > 0 {
            tls.engine.feed(bytesRead(count))
            if tls.engine.isHandshakeComplete {
                readPlaintext(tls)
            } else {
                stepHandshake(tls)
            }
            return
        }
        guard count < 0 else { return }
        let error = endError(count: count)
        guard tls.engine.isHandshakeComplete else {
            // EOF or reset before the handshake finished: the engine fails it (`closedDuringHandshake`, unless
            // what was fed explains more, e.g. an alert).
            tls.engine.endOfInput()
            stepHandshake(tls)
            return
        }
        if let error {
            delegate.stream(self, didEndWith: error)
            return
        }
        tls.engine.endOfInput()
        readPlaintext(tls)
    }

    /// Decrypts everything fed so far and hands it to the delegate, chunk by chunk, until the engine wants more
    /// (then sends any reply OpenSSL produced) or the peer closed.
    private func readPlaintext(_ tls: TLSStream) {
        let buffer = UnsafeMutableRawBufferPointer(start: tls.plaintext.base, count: tls.plaintext.size)
        while !closed {
            let result: TLSEngine.ReadResult
            do {
                result = try tls.engine.read(into: buffer)
            } catch {
                flushTLS(tls)
                if !closed { delegate.stream(self, didFailTLS: error) }
                return
            }
            switch result {
            case .bytes(let count):
                delegate.stream(self, didRead: UnsafeRawBufferPointer(start: buffer.baseAddress, count: count))
            case .wantRead:
                flushTLS(tls)
                return
            case .closed:
                // With or without close_notify: HTTP framing (or its absence) decides whether the answer was whole.
                delegate.stream(self, didEndWith: nil)
                return
            }
        }
    }

    /// Encrypts `bytes` with one `SSL_write` and sends the ciphertext; true when it all went out at once.
    func writeTLS(_ tls: TLSStream, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard tls.engine.isHandshakeComplete else {
            // A caller bug, not the peer's: fail the connection instead of trapping in the engine.
            delegate.stream(self, didFailTLS: .other("a write before the TLS handshake completed"))
            return false
        }
        do {
            try tls.engine.write(bytes)
        } catch {
            delegate.stream(self, didFailTLS: error)
            return false
        }
        if flushTLS(tls) { return true }
        if !closed { tls.drainOwed = true }
        return false
    }

    /// Sends the ciphertext the engine holds, one socket write at a time; true when none is left waiting.
    @discardableResult
    func flushTLS(_ tls: TLSStream) -> Bool {
        while !writing && !closed && tls.engine.hasOutput {
            // A failed write was reported to the delegate (which closes); a queued one continues in didDrainTLS.
            if !writeRaw(tls.engine.takeOutput()) { break }
        }
        return !writing && !closed && !tls.engine.hasOutput
    }

    /// A queued ciphertext write completed: the rest goes out, and a waiting caller hears the drain.
    func didDrainTLS(_ tls: TLSStream) {
        guard flushTLS(tls), tls.drainOwed else { return }
        tls.drainOwed = false
        delegate.streamDidDrain(self)
    }

    /// Before the socket closes: a close_notify after a completed handshake (or the alert a failure queued)
    /// goes out if the socket takes it at once; never behind a write still in flight.
    func sendClosingTLS(_ tls: TLSStream) {
        guard !writing else { return }
        tls.engine.shutdown()
        if tls.engine.hasOutput { _ = tryWriteOnce(tls.engine.takeOutput()) }
    }
}
