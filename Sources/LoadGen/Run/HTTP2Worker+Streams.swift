extension HTTP2Worker {
    func submit(_ slot: Int32, on connection: Connection) {
        let s = Int(slot)
        let target = Int(slots.sequence[s] % UInt64(templates.count))
        // Borrowed, not retained (a retain and release per request showed in profiles): the connection owns
        // its session, the worker its templates, and submitting calls back into neither.
        let sequence = slots.sequence[s], thread = result.threadIndex
        if let doh {
            let (streamID, headerBytes) = doh.submit(slot: slot, sequence: sequence, thread: thread,
                                                     group: connection.group, session: connection.session.unsafelyUnwrapped)
            opened(slot, streamID: streamID, headerBytes: headerBytes, on: connection)
            return
        }
        let streamID = Unmanaged.passUnretained(connection.session.unsafelyUnwrapped)._withUnsafeGuaranteedRef { session in
            Unmanaged.passUnretained(templates[target])._withUnsafeGuaranteedRef { template in
                session.submit(template, slot: slot, sequence: sequence, thread: thread)
            }
        }
        opened(slot, streamID: streamID, headerBytes: templates[target].uncompressedBytes, on: connection)
    }

    /// The request of `slot` was submitted as stream `streamID` (0: the session took no new stream).
    private func opened(_ slot: Int32, streamID: Int32, headerBytes: Int, on connection: Connection) {
        let s = Int(slot)
        guard streamID > 0 else {
            // The session takes no new stream (GOAWAY on its way): the event waits for another connection.
            pool.release(lane: connection.lane)
            pool.waitFirst(slot: slot, group: connection.group, since: waitOrigin(slot))
            return
        }
        slotConnection[s] = connection.id
        if logsEvents { slotConnectionRef[s] = connection }
        slotStream[s] = streamID
        slotStatus[s] = 0
        slotTimedOut[s] = false
        connection.active += 1
        result.h2.streamsOpened += 1
        result.h2.requestHeaderBytes += UInt64(headerBytes)
        pendingFlush = true
    }

    func didSendRequest(_ slot: Int32, headerBlockBytes: Int) {
        result.h2.requestHeaderBlockBytes += UInt64(headerBlockBytes)
        let phase = ledger.phase(of: slot)
        if phase == .waiting || phase == .retrying { markSent(slot: slot, atNanos: now) }
    }

    /// A stream closed (inside nghttp2's callback): record the event's fate; retries only wait here, and are
    /// served when the callbacks are over.
    func didClose(_ slot: Int32, on connection: Connection, errorCode: UInt32, complete: Bool) {
        let s = Int(slot)
        guard slotConnection[s] == connection.id else { return }
        connection.active -= 1
        slotConnection[s] = -1
        if lanes[connection.lane] === connection { pool.release(lane: connection.lane) }
        let now = self.now
        // `.waiting` or `.retrying`: its HEADERS never left on this connection (a retry can sit behind a write in
        // flight when the connection closes).
        let phase = ledger.phase(of: slot)
        if slotTimedOut[s] {
            finishSlot(slot, .timedOut, now: now)
        } else if complete {
            finishSlot(slot, doh?.outcome(slot: slot, status: Int(slotStatus[s])) ?? .answered(code: Int(slotStatus[s])), now: now)
        } else if phase != .inFlight {
            // Its HEADERS never left: it simply waits for another connection (a retry is not counted again).
            pool.waitFirst(slot: slot, group: connection.group, since: waitOrigin(slot))
            return
        } else if slotStream[s] > connection.goAwayLastStreamID {
            // Above the GOAWAY's last stream ID: never processed; always safe to send again.
            retry(slot: slot, now: now)
        } else if errorCode == 7 /* REFUSED_STREAM */, retryOnce(slot: slot, now: now) {
            // Refused: the server did not process it; once more on another connection.
        } else {
            finishSlot(slot, .failed(.streamReset), now: now)
        }
        if retriedNow(slot) { result.h2.retried += 1 }
    }

    private func retriedNow(_ slot: Int32) -> Bool { ledger.phase(of: slot) == .retrying }

    /// Ends a slot's event through the lifecycle (a sent one counts its fate; one never sent is not sent).
    func finishSlot(_ slot: Int32, _ completion: Completion, now: UInt64) {
        let s = Int(slot)
        slotConnection[s] = -1
        slotTimedOut[s] = false
        end(slot: slot, completion, now: now)
        if logsEvents { slotConnectionRef[s] = nil }
    }
}
