extension HTTP2Worker {
    private func group(ofLane lane: Int) -> Int { lane % endpoints.endpoints.count }

    func connect(lane: Int, now: UInt64) {
        nextConnectionID &+= 1
        let connection = Connection(worker: self, id: nextConnectionID, lane: lane, group: group(ofLane: lane))
        connection.connectStartNanos = now
        connection.number = connectionsStarted * threadCount + UInt64(result.threadIndex)
        connectionsStarted += 1
        lanes[lane] = connection
        do {
            connection.session = try H2Session(slotCapacity: slots.capacity)
            connection.session?.delegate = connection
            let stream = try TCPStream(loop: loop, tag: lane, readBuffer: readBuffer, delegate: connection)
            connection.stream = stream
            try stream.connect(to: endpoints.endpoints[connection.group])
        } catch {
            connectFailed(connection, kind: .other, why: "\(error)")
        }
    }

    func connectFailed(_ connection: Connection, kind: ErrorKind, why: String) {
        result.recordConnectError(kind, atNanos: Loop.nowNanos)
        if firstFailure == nil { firstFailure = why }
        retire(connection)
        let lane = connection.lane
        if lanes[lane] === connection {
            lanes[lane] = nil
            laneBackoff[lane] = min(max(laneBackoff[lane] * 2, 1_000_000), HTTP1Worker.maxBackoffNanos)
            laneRetryAt[lane] = Loop.nowNanos + laneBackoff[lane]
        }
    }

    func didConnect(_ connection: Connection) {
        result.connectionsOpened += 1
        result.socketsOpened += 1
        connection.localAddress = Resolver.localAddress(of: connection.stream?.fileDescriptor ?? -1)
        if let fd = connection.stream?.fileDescriptor, fd >= 0, result.netnsInode != 0,
           !SocketNetnsCheck.current.isInTarget(fd: fd) {
            result.socketsOutsideNetns += 1
        }
        // The preface and our SETTINGS go out now; requests wait for the server's SETTINGS.
        flush(connection)
    }

    func didFailToConnect(_ connection: Connection, _ error: UVError) {
        connectFailed(connection, kind: error.isConnectionRefused ? .refused : error.isTimedOut ? .connectTimeout : .other,
                      why: error.description)
    }

    func didReceiveSettings(_ connection: Connection) {
        connection.maxStreamsCached = maxStreams(connection)
        guard connection.state == .connecting else { return }
        connection.state = .ready
        laneBackoff[connection.lane] = 0
        if prepared { serveWaiting(connection, now: Loop.nowNanos) }
    }

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
        let now = Loop.nowNanos
        if connection.state == .ready { serveWaiting(connection, now: now) }
        if connection.state == .draining && connection.active == 0 { retire(connection) }
        issue(now: now)
        // One write for this read: the new requests (issue flushes the lanes it used) and this connection's own
        // frames (SETTINGS and PING acks, WINDOW_UPDATE).
        flush(connection)
    }

    func didEnd(_ connection: Connection, _ error: UVError?) {
        let why = error.map(\.description) ?? "the server closed the connection"
        fail(connection, kind: error.map { $0.isReset ? .reset : .other } ?? .closed, why: why)
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

    /// The connection broke: its streams end as errors, except those the server never processed (retried).
    private func fail(_ connection: Connection, kind: ErrorKind, why: String) {
        guard connection.state != .closed else { return }
        if firstFailure == nil { firstFailure = why }
        let wasServing = lanes[connection.lane] === connection
        retire(connection)
        let now = Loop.nowNanos
        for s in 0..<slots.capacity where slotConnection[s] == connection.id && slotFlags[s] & HTTP2Worker.flagActive != 0 {
            if slotFlags[s] & HTTP2Worker.flagSent == 0 {
                // Its HEADERS never left: it goes out on another connection.
                slotFlags[s] &= ~HTTP2Worker.flagActive
                slotConnection[s] = -1
                waiting[connection.group].pushFront(Int32(s))
            } else {
                finishSlot(Int32(s), .failed(kind), now: now)
            }
        }
        if wasServing {
            lanes[connection.lane] = nil
            laneBackoff[connection.lane] = min(max(laneBackoff[connection.lane] * 2, 1_000_000), HTTP1Worker.maxBackoffNanos)
            laneRetryAt[connection.lane] = now + laneBackoff[connection.lane]
        }
        issue(now: now)
    }

    func retire(_ connection: Connection) {
        guard connection.state != .closed else { return }
        connection.state = .closed
        if let session = connection.session {
            result.h2.responseHeaderBytes += UInt64(session.receivedHeaderBytes)
            result.h2.responseHeaderBlockBytes += UInt64(session.receivedHeaderBlockBytes)
        }
        // A connection the server accepted before loadgen heard of it still counts as opened.
        if connection.stream?.close() == true { result.connectionsOpened += 1 }
        connection.stream = nil
        connection.session?.delegate = nil
        draining.removeAll { $0 === connection }
    }

    func didReceiveGoAway(_ connection: Connection) {
        result.h2.goAwaysReceived += 1
        guard connection.state != .closed, connection.state != .draining else { return }
        connection.state = .draining
        draining.append(connection)
        if lanes[connection.lane] === connection, !closed {
            // A fresh connection takes the lane while this one finishes its streams.
            connect(lane: connection.lane, now: Loop.nowNanos)
        }
    }
}
