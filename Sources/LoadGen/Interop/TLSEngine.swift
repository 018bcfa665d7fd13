import COpenSSL

/// One client TLS connection as a byte transformer, independent of sockets and loops: ciphertext from the network
/// goes in with `feed`, ciphertext to send comes out of `takeOutput`, plaintext goes in with `write` and out with
/// `read`. An OpenSSL `SSL` between two memory BIOs; the owner (a TLS stream over a TCP stream, or a test) moves
/// the bytes. Loop thread only (OpenSSL's error queue is per thread, and is cleared around each operation);
/// deinit frees the `SSL` and its BIOs. Retains its `TLSContext`.
///
/// After every `feed`, the owner steps `handshake()` until it returns true, then calls `read` until it returns
/// `.wantRead` (TLS 1.3 session tickets are processed there, too), and sends whatever `takeOutput()` returns.
final class TLSEngine {
    /// What `read` found.
    enum ReadResult: Equatable {
        /// This many plaintext bytes were copied into the caller's buffer.
        case bytes(Int)
        /// No plaintext until more ciphertext is fed.
        case wantRead
        /// The peer closed: with a close_notify alert (`cleanly`), or the input ended without one.
        case closed(cleanly: Bool)
    }

    let context: TLSContext
    /// The URL's host (name or IP literal): what the certificate is checked against, unless `--sni` overrides it,
    /// and the key of the sessions resumed.
    let host: String
    let ssl: OpaquePointer
    /// The ciphertext queues of the SSL's one BIO (freed with it): received bytes OpenSSL has yet to read, and the
    /// records it wrote, taken by `takeOutput` without a copy. Each grows to the largest burst (a handshake flight,
    /// or the largest request) and is reused: no allocation per request.
    private let queues: UnsafeMutablePointer<COpenSSL_TLSQueues>
    private(set) var isHandshakeComplete = false
    /// The failure that ended this connection, once one did; every later operation throws it again.
    private(set) var failure: TLSFailure?
    /// How many times `SSL_write` was called (once per `write`): the ground truth for trace_ssl's counts.
    private(set) var sslWriteCalls = 0
    /// The input ended (`endOfInput`).
    private(set) var inputEnded = false
    /// The first bytes the peer sent (up to 24), to tell a peer that does not speak TLS from a failed handshake.
    private(set) var firstBytes: [UInt8] = []
    /// The peer's close_notify was read: every later `read` reports the clean close.
    private var receivedCloseNotify = false
    /// Whether a session was offered to the server for resumption.
    private(set) var offeredSession = false

    /// A connection to `host` configured from `context`: SNI, the name or address the certificate must match,
    /// ALPN, and the last session of that host when the context resumes.
    init(context: TLSContext, host: String) throws(TLSConfigError) {
        guard let ssl = SSL_new(context.raw) else {
            throw TLSConfigError(flag: "tls", message: "OpenSSL could not create a connection: " +
                                     OpenSSLErrorQueue.drain().text(or: "out of memory"))
        }
        var queues: UnsafeMutablePointer<COpenSSL_TLSQueues>?
        guard let method = TLSEngine.queuesMethod, let bio = COpenSSL_TLSQueues_newBIO(method, &queues),
              let queues else {
            SSL_free(ssl)
            throw TLSConfigError(flag: "tls", message: "OpenSSL could not create a BIO (out of memory)")
        }
        // One BIO both ways (SSL_set_bio takes the one reference). An empty input means "more later" until
        // endOfInput says the stream ended.
        SSL_set_bio(ssl, bio, bio)
        SSL_set_connect_state(ssl)
        do {
            try TLSEngine.setPeer(ssl, host: host, settings: context.settings)
        } catch {
            SSL_free(ssl)
            throw error
        }
        self.context = context
        self.host = host
        self.ssl = ssl
        self.queues = queues
        // For the new-session callback; the engine outlives its SSL.
        SSL_set_ex_data(ssl, 0, Unmanaged.passUnretained(self).toOpaque())
        if context.settings.resume {
            offeredSession = context.offerSession(for: host, to: ssl)
        }
    }

    deinit {
        // SSL_free marks the session of a connection that was not shut down as not resumable. A connection that
        // ended without a TLS failure (a close without close_notify included: RFC 4346 §1.1 lifted that rule)
        // keeps its session resumable, as `--no-keepalive` with resumption needs; fatal errors and alerts have
        // already removed theirs inside OpenSSL.
        if isHandshakeComplete && failure == nil {
            SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN)
        }
        SSL_free(ssl)
    }

    /// The BIO type of every engine's queues, made on first use.
    /// Immutable once made; BIO_new only reads it, from any loop thread.
    nonisolated(unsafe) private static let queuesMethod: OpaquePointer? = COpenSSL_TLSQueues_method()

    /// SNI (names only, never IP literals) and the identity the certificate must show.
    private static func setPeer(_ ssl: OpaquePointer, host: String, settings: TLSSettings) throws(TLSConfigError) {
        if let name = settings.serverName(forHost: host), COpenSSL_SSL_set_tlsext_host_name(ssl, name) != 1 {
            OpenSSLErrorQueue.clear()
            throw TLSConfigError(flag: "--sni", message: "OpenSSL refused the server name '\(name)' for SNI; " +
                                     "give a host name of at most 255 bytes with --sni NAME")
        }
        let (name, isIPAddress) = settings.verifiedName(forHost: host)
        let parameters = SSL_get0_param(ssl)
        X509_VERIFY_PARAM_set_hostflags(parameters, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
        let rc = isIPAddress ? X509_VERIFY_PARAM_set1_ip_asc(parameters, name) : X509_VERIFY_PARAM_set1_host(parameters, name, 0)
        if rc != 1 {
            OpenSSLErrorQueue.clear()
            throw TLSConfigError(flag: "--sni", message: "OpenSSL cannot check certificates against '\(name)'; " +
                                     "give the host name the certificate is for with --sni NAME")
        }
    }

    // MARK: Bytes in and out

    /// Ciphertext received from the network (copied; `bytes` may be reused after the call).
    func feed(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        if !isHandshakeComplete && firstBytes.count < 24 {
            firstBytes.append(contentsOf: bytes.prefix(24 - firstBytes.count))
        }
        if COpenSSL_TLSQueues_feed(queues, base, bytes.count) == 0 {
            failure = failure ?? .other("out of memory buffering \(bytes.count) received bytes")
        }
    }

    /// The network stream ended (the peer closed). Once the bytes already fed are used up, the handshake fails
    /// with `closedDuringHandshake` and reads return `.closed(cleanly: false)`. OpenSSL itself never sees the end
    /// of file (its read BIO just stays empty): to OpenSSL 3 an EOF is a fatal error that would make the session
    /// unresumable.
    func endOfInput() {
        inputEnded = true
    }

    /// True when there is ciphertext to send.
    var hasOutput: Bool { queues.pointee.outCount > 0 }

    /// True when every byte fed has been read by OpenSSL.
    private var inputConsumed: Bool { queues.pointee.inStart == queues.pointee.inEnd }

    /// The ciphertext OpenSSL produced (empty when there is none), moved out of its way without a copy. Valid until
    /// the next call that returns bytes: the owner writes it before taking more (one write in flight).
    func takeOutput() -> UnsafeRawBufferPointer {
        var bytes: UnsafePointer<UInt8>?
        let count = COpenSSL_TLSQueues_take(queues, &bytes)
        return UnsafeRawBufferPointer(start: bytes, count: count)
    }

    // MARK: Handshake, write, read

    /// Steps the handshake with what has been fed. Returns true once it is complete, false while it waits for
    /// more input; throws the failure (an alert for the server may be waiting in `takeOutput`).
    func handshake() throws(TLSFailure) -> Bool {
        if isHandshakeComplete { return true }
        if let failure { throw failure }
        if let notTLS = notTLSFailure() { throw fail(notTLS) }
        OpenSSLErrorQueue.clear()
        let rc = SSL_do_handshake(ssl)
        if rc == 1 {
            isHandshakeComplete = true
            // Reads and writes from here on rely on an empty queue (OpenSSLErrorQueue.expectEmpty).
            OpenSSLErrorQueue.clear()
            return true
        }
        let error = SSL_get_error(ssl, rc)
        if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE {
            if inputEnded { throw fail(.closedDuringHandshake) }
            return false
        }
        throw fail(handshakeFailure(sslError: error, drained: OpenSSLErrorQueue.drain()))
    }

    /// Encrypts one request with exactly one `SSL_write` call, which Inspektor Gadget's trace_ssl sees as one
    /// event (it probes `SSL_write`, not `SSL_write_ex`). Partial writes are off and the write BIO is a growing
    /// memory BIO, so the call takes the whole plaintext (one record per 16 KiB) and the ciphertext waits in
    /// `takeOutput`. An empty plaintext writes nothing. The handshake must be complete.
    func write(_ plaintext: UnsafeRawBufferPointer) throws(TLSFailure) {
        precondition(isHandshakeComplete, "TLSEngine.write before the handshake completed")
        if let failure { throw failure }
        guard let base = plaintext.baseAddress, !plaintext.isEmpty else { return }
        precondition(plaintext.count <= Int(Int32.max), "a request of \(plaintext.count) bytes")
        OpenSSLErrorQueue.expectEmpty()
        let rc = SSL_write(ssl, base, Int32(plaintext.count))
        sslWriteCalls &+= 1
        if rc == Int32(plaintext.count) { return }
        let drained = OpenSSLErrorQueue.drain()
        throw fail(rc > 0 ? .other("SSL_write took \(rc) of \(plaintext.count) bytes") :
                    connectionFailure(sslError: SSL_get_error(ssl, rc), drained: drained))
    }

    /// Decrypts into `buffer` with `SSL_read` until it is full or no whole record is left. Returns the bytes
    /// copied (there may be more: call again), `.wantRead`, or `.closed`; throws a fatal failure (e.g. an alert).
    /// Post-handshake messages (TLS 1.3 session tickets, key updates) are processed here. When OpenSSL has read
    /// every byte fed and holds nothing back, the answer is known without the `SSL_read` that would say "want
    /// read" (and the `SSL_get_error` after it).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(TLSFailure) -> ReadResult {
        precondition(isHandshakeComplete, "TLSEngine.read before the handshake completed")
        precondition(buffer.count > 0, "TLSEngine.read into an empty buffer")
        if let failure { throw failure }
        if receivedCloseNotify { return .closed(cleanly: true) }
        if isDrained { return inputEnded ? .closed(cleanly: false) : .wantRead }
        OpenSSLErrorQueue.expectEmpty()
        var total = 0
        while total < buffer.count {
            let rc = SSL_read(ssl, buffer.baseAddress! + total, Int32(clamping: buffer.count - total))
            if rc > 0 {
                total += Int(rc)
                if isDrained { break }
                continue
            }
            let error = SSL_get_error(ssl, rc)
            if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE {
                if total > 0 { return .bytes(total) }
                return inputEnded ? .closed(cleanly: false) : .wantRead
            }
            if error == SSL_ERROR_ZERO_RETURN {
                receivedCloseNotify = true
                return total > 0 ? .bytes(total) : .closed(cleanly: true)
            }
            let failure = fail(connectionFailure(sslError: error, drained: OpenSSLErrorQueue.drain()))
            if total > 0 { return .bytes(total) }
            throw failure
        }
        return .bytes(total)
    }

    /// True when OpenSSL has read every byte fed and holds no record data, processed or not: an `SSL_read` now
    /// could only want more input.
    private var isDrained: Bool { inputConsumed && SSL_has_pending(ssl) == 0 }

    /// Queues a close_notify alert for the server (in `takeOutput`); the owner closes the socket after sending it.
    func shutdown() {
        guard isHandshakeComplete, failure == nil else { return }
        OpenSSLErrorQueue.clear()
        _ = SSL_shutdown(ssl)
        OpenSSLErrorQueue.clear()
    }

    private func fail(_ failure: TLSFailure) -> TLSFailure {
        self.failure = failure
        return failure
    }

    /// The context's new-session callback: keeps a resumable session for this host. True when it was kept.
    func didReceive(session: OpaquePointer) -> Bool {
        context.store(session, for: host)
    }
}
