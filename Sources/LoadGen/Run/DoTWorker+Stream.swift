extension DoTWorker: TCPStreamDelegate {
    func streamDidConnect(_ stream: TCPStream) {
        let client = clients[stream.tag]
        client.localAddress = Resolver.localAddress(of: stream.fileDescriptor)
        // TCP is up (counted, its netns checked); queries wait for the TLS handshake.
        socketConnected(fd: stream.fileDescriptor)
    }

    func stream(_ stream: TCPStream, didFailToConnect error: UVError) {
        tcpConnectFailed(lane: stream.tag, fd: stream.fileDescriptor, error: error, now: Loop.nowNanos)
    }

    func streamDidFinishHandshake(_ stream: TCPStream) {
        connectionReady(clients[stream.tag], stream: stream)
    }

    func stream(_ stream: TCPStream, didFailTLS failure: TLSFailure) {
        let client = clients[stream.tag]
        let now = Loop.nowNanos
        if client.tls == nil {
            tlsConnectFailed(lane: client.lane, failure, now: now)
        } else {
            connectionEnded(client, ErrorKind(tls: failure), now: now)
        }
    }

    func stream(_ stream: TCPStream, didRead bytes: UnsafeRawBufferPointer) {
        let client = clients[stream.tag]
        let now = Loop.nowNanos
        result.bytesReceived &+= UInt64(bytes.count)
        let summary = client.framer.feed(bytes) { message in
            didReceive(message, on: client, now: now)
            // An answer never closes the connection; stop only if something else did.
            return client.stream === stream
        }
        if summary.runts > 0 { countRunts(summary.runts) }
        issue(now: now)
    }

    func stream(_ stream: TCPStream, didEndWith error: UVError?) {
        let client = clients[stream.tag]
        guard client.stream === stream else { return }
        if client.tls == nil {
            // Closed before the handshake finished: a failed connect.
            connectFailed(lane: client.lane, kind: .tlsClosed, why: "the server closed the connection during the TLS handshake", now: Loop.nowNanos)
            return
        }
        connectionEnded(client, ErrorKind(streamEnd: error), now: Loop.nowNanos)
    }

    func stream(_ stream: TCPStream, didWrite error: UVError?) {
        guard let error else { return }
        let client = clients[stream.tag]
        guard client.stream === stream else { return }
        connectionEnded(client, ErrorKind(writeError: error), now: Loop.nowNanos)
    }

    func streamDidDrain(_ stream: TCPStream) {}
}
