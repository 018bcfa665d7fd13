extension HTTP1Worker: TCPStreamDelegate {
    func streamDidConnect(_ stream: TCPStream) {
        let client = clients[stream.tag]
        client.localAddress = Resolver.localAddress(of: stream.fileDescriptor)
        if stream.tls != nil {
            // TCP is up (counted, its netns checked); requests wait for the TLS handshake.
            socketConnected(fd: stream.fileDescriptor)
        } else {
            connectionUp(lane: client.lane, fd: stream.fileDescriptor, capacity: 1, now: Loop.nowNanos)
        }
    }

    func streamDidFinishHandshake(_ stream: TCPStream) {
        let client = clients[stream.tag]
        client.tls = handshakeFinished(stream)
        connectionReady(lane: client.lane, capacity: 1, now: Loop.nowNanos)
    }

    func stream(_ stream: TCPStream, didFailTLS failure: TLSFailure) {
        let client = clients[stream.tag]
        let now = Loop.nowNanos
        if client.slot >= 0 {
            noteTLSFailure(failure)
            fail(client, ErrorKind(tls: failure), now: now)
        } else if client.tls == nil {
            tlsConnectFailed(lane: client.lane, failure, now: now)
        } else {
            // An idle kept-alive connection whose TLS broke: replaced, no event lost.
            connectionLost(lane: client.lane, now: now)
        }
    }

    func stream(_ stream: TCPStream, didFailToConnect error: UVError) {
        tcpConnectFailed(lane: stream.tag, fd: stream.fileDescriptor, error: error, now: Loop.nowNanos)
    }

    func stream(_ stream: TCPStream, didRead bytes: UnsafeRawBufferPointer) {
        let client = clients[stream.tag]
        let now = Loop.nowNanos
        result.bytesReceived &+= UInt64(bytes.count)
        guard client.slot >= 0 else {
            // Bytes nobody asked for: the connection is out of step; start over.
            connectionLost(lane: client.lane, now: now)
            return
        }
        client.bytesForRequest &+= bytes.count
        var rest = bytes
        while !rest.isEmpty {
            let step: (consumed: Int, event: HTTP1ResponseParser.Event)
            do {
                step = try client.parser.parse(rest)
            } catch {
                fail(client, error == .headerTooLarge || error == .lineTooLong ? .headerTooLarge : .badResponse, now: now)
                return
            }
            rest = UnsafeRawBufferPointer(rebasing: rest[step.consumed...])
            switch step.event {
            case .needMore:
                return
            case .head(let status):
                client.status = status
            case .complete(let serverKeepsAlive):
                finish(client, serverKeepsAlive: serverKeepsAlive, now: now)
                return
            }
        }
    }

    func stream(_ stream: TCPStream, didEndWith error: UVError?) {
        let client = clients[stream.tag]
        let now = Loop.nowNanos
        guard client.slot >= 0 else {
            // An idle keep-alive connection the server closed (keepalive_timeout): reconnect, no error.
            connectionLost(lane: client.lane, now: now)
            return
        }
        if error == nil, let event = try? client.parser.connectionClosed(), case .complete = event {
            finish(client, serverKeepsAlive: false, now: now)
            return
        }
        fail(client, ErrorKind(streamEnd: error), serverClosed: error == nil, now: now)
    }

    func stream(_ stream: TCPStream, didWrite error: UVError?) {
        guard let error else { return }
        let client = clients[stream.tag]
        guard client.slot >= 0 else { return }
        fail(client, ErrorKind(writeError: error), serverClosed: error.isBrokenPipe, now: Loop.nowNanos)
    }

    func streamDidDrain(_ stream: TCPStream) {}
}
