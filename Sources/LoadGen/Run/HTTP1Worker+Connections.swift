extension HTTP1Worker {
    func connect(_ client: Client, now: UInt64) {
        client.state = .connecting
        client.connectionNumber = connectionsStarted * threadCount + UInt64(result.threadIndex)
        connectionsStarted += 1
        client.sinceNanos = now
        do {
            let stream = try TCPStream(loop: loop, tag: client.index, readBuffer: readBuffer, delegate: self)
            client.stream = stream
            try stream.connect(to: endpoints[client.group])
        } catch {
            connectionFailed(client, kind: .other, now: now)
        }
    }

    /// Closes the client's socket; one the server accepted before loadgen heard of it still counts as opened.
    func closeStream(of client: Client) {
        if client.stream?.close() == true { result.connectionsOpened += 1 }
        client.stream = nil
    }

    func connectionFailed(_ client: Client, kind: ErrorKind, now: UInt64) {
        result.recordConnectError(kind, atNanos: Loop.nowNanos)
        closeStream(of: client)
        client.state = .backingOff
        client.backoffNanos = min(max(client.backoffNanos * 2, 1_000_000), HTTP1Worker.maxBackoffNanos)
        client.retryAtNanos = now + client.backoffNanos
    }

    /// Drops the connection; a keep-alive one reconnects at once (after a clean end) or after a backoff.
    func drop(_ client: Client, now: UInt64) {
        closeStream(of: client)
        client.slot = -1
        if client.state == .retired { return }
        client.state = .disconnected
        if closed || scheduler.isFinished { return }
        if keepAlive {
            if !scheduler.doneIssuing || waiting[client.group].count > 0 { connect(client, now: now) }
        } else {
            serveNext(client, now: now)
        }
    }
}

extension HTTP1Worker: TCPStreamDelegate {
    func streamDidConnect(_ stream: TCPStream) {
        let client = clients[stream.tag]
        let now = Loop.nowNanos
        result.connectionsOpened += 1
        if result.socketsOpened < 64 {
            // Check where the sockets live, as the DNS path does for each of its sockets.
            let fd = stream.fileDescriptor
            if fd >= 0, result.netnsInode != 0, !SocketNetnsCheck.current.isInTarget(fd: fd) {
                result.socketsOutsideNetns += 1
            }
        }
        result.socketsOpened += 1
        client.localAddress = Resolver.localAddress(of: stream.fileDescriptor)
        client.backoffNanos = 0
        client.state = .idle
        if keepAlive {
            if prepared { serveNext(client, now: now) } else { park(client) }
        } else if client.slot >= 0 {
            send(slot: client.slot, on: client, now: now)
        }
    }

    func stream(_ stream: TCPStream, didFailToConnect error: UVError) {
        let client = clients[stream.tag]
        let kind: ErrorKind = error.isConnectionRefused ? .refused : error.isTimedOut ? .connectTimeout : .other
        connectionFailed(client, kind: kind, now: Loop.nowNanos)
    }

    func stream(_ stream: TCPStream, didRead bytes: UnsafeRawBufferPointer) {
        let client = clients[stream.tag]
        result.bytesReceived &+= UInt64(bytes.count)
        guard client.state == .busy, client.slot >= 0 else {
            // Bytes nobody asked for: the connection is out of step; start over.
            drop(client, now: Loop.nowNanos)
            return
        }
        var rest = bytes
        while !rest.isEmpty {
            let step: (consumed: Int, event: HTTP1ResponseParser.Event)
            do {
                step = try client.parser.parse(rest)
            } catch {
                fail(client, error == .headerTooLarge || error == .lineTooLong ? .headerTooLarge : .badResponse)
                return
            }
            rest = UnsafeRawBufferPointer(rebasing: rest[step.consumed...])
            switch step.event {
            case .needMore:
                return
            case .head(let status):
                client.status = status
            case .complete(let serverKeepsAlive):
                finish(client, keepAlive: serverKeepsAlive)
                return
            }
        }
    }

    func stream(_ stream: TCPStream, didEndWith error: UVError?) {
        let client = clients[stream.tag]
        let now = Loop.nowNanos
        guard client.state == .busy, client.slot >= 0 else {
            // An idle keep-alive connection the server closed (keepalive_timeout): reconnect, no error.
            drop(client, now: now)
            return
        }
        if error == nil, let event = try? client.parser.connectionClosed(), case .complete = event {
            finish(client, keepAlive: false)
            return
        }
        fail(client, error.map { $0.isReset ? .reset : .other } ?? .closed)
    }

    func stream(_ stream: TCPStream, didWrite error: UVError?) {
        guard let error else { return }
        let client = clients[stream.tag]
        guard client.state == .busy else { return }
        fail(client, error.isReset ? .reset : .sendFailed)
    }

    func streamDidDrain(_ stream: TCPStream) {}
}
