extension HTTP1Worker {
    func send(slot: Int32, on client: Client, now: UInt64) {
        precondition(client.stream != nil && (client.state == .idle || client.state == .connecting), "send on a connection that cannot")
        let target = Int(slots.sequence[Int(slot)] % UInt64(targets.count))
        client.slot = slot
        client.target = target
        client.state = .busy
        client.sinceNanos = now
        client.status = 0
        client.parser.expectResponse(isHead: targets[target].isHead)
        slotClient[Int(slot)] = Int32(client.index)
        markSent(slot: slot, atNanos: now)
        if let template = targets[target].headTemplate {
            // Placeholders: expand the head into this connection's buffer (it must outlive an async write).
            if client.requestBuffer == nil {
                client.requestBuffer = .allocate(capacity: HTTP1Request.bufferCapacity(for: targets))
            }
            let buffer = client.requestBuffer!
            var n = template.expand(sequence: slots.sequence[Int(slot)], thread: result.threadIndex, into: buffer)
            for b in targets[target].body { buffer[n] = b; n += 1 }
            client.stream?.write(UnsafeRawBufferPointer(start: buffer, count: n))
        } else {
            client.stream?.write(requests[target])
        }
    }

    /// A connected idle connection of the group, skipping entries of connections that dropped since.
    func takeIdle(group: Int) -> Client? {
        while let index = idle[group].pop() {
            let client = clients[Int(index)]
            client.parked = false
            if client.state == .idle, client.stream != nil { return client }
        }
        return nil
    }

    func park(_ client: Client) {
        guard !client.parked else { return }
        client.parked = true
        idle[client.group].push(Int32(client.index))
    }

    /// A connection is free: give it the next waiting event of its group, or park it.
    func serveNext(_ client: Client, now: UInt64) {
        if let slot = waiting[client.group].pop() {
            if keepAlive {
                send(slot: slot, on: client, now: now)
            } else {
                client.slot = slot
                connect(client, now: now)
            }
        } else if keepAlive && client.state == .idle {
            park(client)
        }
    }

    func finish(_ client: Client, keepAlive serverKeepsAlive: Bool) {
        let now = Loop.nowNanos
        let slot = client.slot
        client.slot = -1
        complete(slot: slot, .answered(code: client.status), atNanos: now)
        if keepAlive && serverKeepsAlive {
            client.state = .idle
            serveNext(client, now: now)
        } else {
            drop(client, now: now)
        }
        issue(now: now)
    }

    func fail(_ client: Client, _ kind: ErrorKind) {
        let now = Loop.nowNanos
        let slot = client.slot
        client.slot = -1
        complete(slot: slot, .failed(kind), atNanos: now)
        drop(client, now: now)
        issue(now: now)
    }
}
