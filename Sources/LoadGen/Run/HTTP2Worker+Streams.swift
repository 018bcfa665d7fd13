extension HTTP2Worker {
    /// A ready connection of the group with a free stream, round-robin so streams spread over connections.
    func connectionWithRoom(group: Int) -> Connection? {
        let count = lanes.count
        guard count > 0 else { return nil }
        var lane = nextLane[group]
        if let c = lanes[lane], c.group == group, c.state == .ready, c.active < c.maxStreamsCached {
            return c
        }
        for _ in 0..<count {
            lane = (lane + 1) % count
            if let c = lanes[lane], c.group == group, c.state == .ready, c.active < c.maxStreamsCached {
                nextLane[group] = lane
                return c
            }
        }
        return nil
    }

    func maxStreams(_ connection: Connection) -> Int {
        min(streamsPerConnection, connection.session?.remoteMaxConcurrentStreams ?? 0)
    }

    func submit(_ slot: Int32, on connection: Connection) {
        let s = Int(slot)
        let target = Int(slots.sequence[s] % UInt64(templates.count))
        guard connection.session != nil else { waiting[connection.group].push(slot); return }
        // Borrowed, not retained (a retain and release per request showed in profiles): the connection owns
        // its session, the worker its templates, and submitting calls back into neither.
        let sequence = slots.sequence[s], thread = result.threadIndex
        let streamID = Unmanaged.passUnretained(connection.session.unsafelyUnwrapped)._withUnsafeGuaranteedRef { session in
            Unmanaged.passUnretained(templates[target])._withUnsafeGuaranteedRef { template in
                session.submit(template, slot: slot, sequence: sequence, thread: thread)
            }
        }
        guard streamID > 0 else {
            waiting[connection.group].pushFront(slot)
            return
        }
        slotConnection[s] = connection.id
        if logsEvents { slotConnectionRef[s] = connection }
        slotStream[s] = streamID
        slotStatus[s] = 0
        slotFlags[s] |= HTTP2Worker.flagActive
        slotFlags[s] &= ~HTTP2Worker.flagTimedOut
        connection.active += 1
        result.h2.streamsOpened += 1
        result.h2.requestHeaderBytes += UInt64(templates[target].uncompressedBytes)
        pendingFlush = true
    }

    func didSendRequest(_ slot: Int32, headerBlockBytes: Int) {
        let s = Int(slot)
        result.h2.requestHeaderBlockBytes += UInt64(headerBlockBytes)
        if slotFlags[s] & HTTP2Worker.flagSent == 0 {
            slotFlags[s] |= HTTP2Worker.flagSent
            markSent(slot: slot, atNanos: now)
        }
    }

    func didClose(_ slot: Int32, on connection: Connection, errorCode: UInt32, complete: Bool) {
        let s = Int(slot)
        guard slotFlags[s] & HTTP2Worker.flagActive != 0, slotConnection[s] == connection.id else { return }
        connection.active -= 1
        let now = self.now
        if slotFlags[s] & HTTP2Worker.flagTimedOut != 0 {
            finishSlot(slot, .timedOut, now: now)
        } else if complete {
            finishSlot(slot, .answered(code: Int(slotStatus[s])), now: now)
        } else if slotStream[s] > connection.goAwayLastStreamID
                    || (errorCode == 7 /* REFUSED_STREAM */ && slotFlags[s] & HTTP2Worker.flagRetried == 0) {
            // The server did not process it (above the GOAWAY's last stream ID: always; refused: once):
            // send it again on another connection; it still counts once.
            slotFlags[s] = (slotFlags[s] & ~HTTP2Worker.flagActive) | HTTP2Worker.flagRetried
            slotConnection[s] = -1
            result.h2.retried += 1
            let group = connection.group
            if let other = connectionWithRoom(group: group) { submit(slot, on: other); flush(other) } else { waiting[group].pushFront(slot) }
        } else {
            finishSlot(slot, .failed(.streamReset), now: now)
        }
        if connection.state == .draining && connection.active == 0 { retire(connection) }
    }

    /// Ends a slot's event: counted as sent or, if its HEADERS never left, not sent.
    func finishSlot(_ slot: Int32, _ completion: Completion, now: UInt64) {
        let s = Int(slot)
        let flags = slotFlags[s]
        slotFlags[s] = 0
        slotConnection[s] = -1
        if flags & HTTP2Worker.flagSent != 0 {
            complete(slot: slot, completion, atNanos: now)
        } else {
            discard(slot: slot, reason: unsentReason)
        }
        if logsEvents { slotConnectionRef[s] = nil }
    }

    func serveWaiting(_ connection: Connection, now: UInt64) {
        var submitted = false
        while connection.state == .ready, connection.active < connection.maxStreamsCached,
              let slot = waiting[connection.group].pop() {
            submit(slot, on: connection)
            submitted = true
        }
        if submitted { flush(connection) }
    }
}
