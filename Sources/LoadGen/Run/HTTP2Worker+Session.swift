extension HTTP2Worker {
    // MARK: Connections on lanes

    /// Closes a connection for good and keeps the object until the next tick; returns true when the server
    /// had accepted it before loadgen heard of it.
    @discardableResult
    func retire(_ connection: Connection) -> Bool {
        guard connection.state != .closed else { return false }
        connection.state = .closed
        if let session = connection.session {
            result.h2.responseHeaderBytes += UInt64(session.receivedHeaderBytes)
            result.h2.responseHeaderBlockBytes += UInt64(session.receivedHeaderBlockBytes)
        }
        let establishedUnreported = closeStream(connection.stream)
        connection.stream = nil
        connection.session?.delegate = nil
        draining.removeAll { $0 === connection }
        bury(connection)
        return establishedUnreported
    }

    func connectFailed(_ connection: Connection, kind: ErrorKind, why: String) {
        guard lanes[connection.lane] === connection else { return }
        connectFailed(lane: connection.lane, kind: kind, why: why, now: Loop.nowNanos)
    }

    func tcpConnectFailed(_ connection: Connection, fd: Int32, error: UVError) {
        guard lanes[connection.lane] === connection else { return }
        tcpConnectFailed(lane: connection.lane, fd: fd, error: error, now: Loop.nowNanos)
    }

    func didConnect(_ connection: Connection) {
        connection.localAddress = Resolver.localAddress(of: connection.stream?.fileDescriptor ?? -1)
        socketConnected(fd: connection.stream?.fileDescriptor ?? -1)
        // The preface and our SETTINGS go out now (over TLS: once the handshake chose h2); requests wait for the
        // server's SETTINGS.
        if connection.stream?.tls == nil { flush(connection) }
    }

    /// TLS is up: HTTP/2 only if the server selected h2 by ALPN.
    func didFinishHandshake(_ connection: Connection, _ stream: TCPStream) {
        guard lanes[connection.lane] === connection else { return }
        let summary = handshakeFinished(stream)
        connection.tls = summary
        guard summary?.alpn == "h2" else {
            let chosen = summary?.alpn.map { "'\($0)'" } ?? "no protocol"
            let advice = doh == nil ? "; drop --http2 to use HTTP/1.1" : ", so no DNS over HTTPS (RFC 8484 needs HTTP/2)"
            protocolMismatch(lane: connection.lane, kind: .tlsALPN, why: "TLS: the server selected \(chosen) by ALPN, not h2: it does not serve HTTP/2 over TLS on this port\(advice)", now: Loop.nowNanos)
            return
        }
        flush(connection)
    }

    /// A TLS failure: during the handshake a connection failure of its kind, afterwards the connection's.
    func tlsFailed(_ connection: Connection, _ failure: TLSFailure) {
        if connection.tls == nil && connection.state == .connecting {
            guard lanes[connection.lane] === connection else { return }
            tlsConnectFailed(lane: connection.lane, failure, now: Loop.nowNanos)
            return
        }
        noteTLSFailure(failure)
        fail(connection, kind: ErrorKind(tls: failure), why: failure.message)
    }

    func didReceiveSettings(_ connection: Connection) {
        guard lanes[connection.lane] === connection else { return }
        let limit = min(streamsPerConnection, connection.session?.remoteMaxConcurrentStreams ?? 0)
        if connection.state == .connecting {
            connection.state = .ready
            // Ready: requests are served after the read that brought the SETTINGS (not inside nghttp2's callback).
            pool.connected(lane: connection.lane, capacity: limit)
        } else {
            pool.setCapacity(lane: connection.lane, limit)
        }
    }

    /// The server sent GOAWAY: no new streams on this connection; it drains off its lane and a fresh connection
    /// takes the lane.
    func didReceiveGoAway(_ connection: Connection) {
        result.h2.goAwaysReceived += 1
        guard connection.state != .closed, connection.state != .draining else { return }
        connection.state = .draining
        draining.append(connection)
        guard lanes[connection.lane] === connection else { return }
        lanes[connection.lane] = nil
        pool.lost(lane: connection.lane)
    }

    /// The connection broke: its sent streams end as errors; those whose HEADERS never left wait again.
    func fail(_ connection: Connection, kind: ErrorKind, why: String) {
        guard connection.state != .closed else { return }
        if connection.state == .connecting {
            connectFailed(connection, kind: kind, why: why)
            return
        }
        if firstFailure == nil { firstFailure = why }
        let now = Loop.nowNanos
        for s in 0..<slots.capacity where slotConnection[s] == connection.id {
            let slot = Int32(s)
            slotConnection[s] = -1
            if ledger.phase(of: slot) != .inFlight {
                // Its HEADERS never left on this connection (a first send or a retry): it waits again.
                pool.waitFirst(slot: slot, group: connection.group, since: waitOrigin(slot))
            } else {
                finishSlot(slot, .failed(kind), now: now)
            }
        }
        if lanes[connection.lane] === connection {
            connectionLost(lane: connection.lane, now: now)
        } else {
            retire(connection)
        }
        serveWaiting(group: connection.group, now: now)
        issue(now: now)
    }

    // MARK: Reading and writing

    func didRead(_ connection: Connection, _ bytes: UnsafeRawBufferPointer) {
        // One clock read per batch of frames: the completions in it share the time it arrived.
        batchNanos = Loop.nowNanos
        defer { batchNanos = 0 }
        result.bytesReceived &+= UInt64(bytes.count)
        guard let session = connection.session else { return }
        if !session.receivedSettings && bytes.count >= 5 && bytes.starts(with: "HTTP/".utf8) {
            let line = String(decoding: bytes.prefix(while: { $0 != 13 && $0 != 10 }).prefix(60), as: UTF8.self)
            fail(connection, kind: .badResponse,
                 why: "the server answered '\(line)': it does not speak HTTP/2 over cleartext (h2c with prior knowledge)")
            return
        }
        do {
            try session.receive(bytes)
        } catch {
            fail(connection, kind: .badResponse, why: "HTTP/2 protocol error: \(error)")
            return
        }
        afterCallbacks(connection)
    }

    /// What nghttp2's callbacks recorded is acted on here: retire a drained connection, serve waiting events,
    /// refill, and one write for this connection (new requests and its acks together).
    func afterCallbacks(_ connection: Connection) {
        let now = Loop.nowNanos
        if connection.state == .draining && connection.active == 0 { retire(connection) }
        if prepared {
            for group in 0..<inPlace(&pool, { $0.groupCount }) { serveWaiting(group: group, now: now) }
        }
        issue(now: now)
        flush(connection)
        flushTransmissions(now: now)
    }

    func didDrain(_ connection: Connection) {
        connection.session?.consumeOutput(connection.writeInFlight)
        connection.writeInFlight = 0
        flush(connection)
    }

    /// Writes what the session has to send; one write in flight at a time.
    func flush(_ connection: Connection) {
        guard connection.writeInFlight == 0, let session = connection.session, let stream = connection.stream,
              connection.state != .closed else { return }
        // The requests serialized now go out with this write: stamp them with its time.
        let outer = batchNanos
        batchNanos = Loop.nowNanos
        defer { batchNanos = outer }
        do {
            try session.produceOutput()
        } catch {
            fail(connection, kind: .badResponse, why: "HTTP/2 protocol error: \(error)")
            return
        }
        let count = session.outputCount
        guard count > 0 else { return }
        if stream.write(UnsafeRawBufferPointer(start: session.output, count: count)) {
            session.consumeOutput(count)
        } else if connection.state != .closed {
            connection.writeInFlight = count
        }
    }
}
