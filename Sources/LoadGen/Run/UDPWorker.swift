import CLoadGenSys
import Glibc

/// `loadgen udp` on one loop thread: each event is one datagram to the address `KindAddresses` picks for it
/// (targets in turn, a name's addresses in turn), on the thread's connected socket to that address (one per
/// address: the kernel then hands each socket only what that address sends back, and queues each ICMP error on the
/// socket of the address it concerns), built in place in a buffer made once (the echo tag, the payload template
/// expanded, filler to `--size`) and sent with the round's others to the same address in one `sendmmsg`. Without
/// `--expect-echo` an event completes when the kernel took its datagram, so `completed` counts what the server
/// kernel's `Udp InDatagrams` counts (when nothing is lost on the way); with it, when its echo arrives (matched by
/// the thread's one `EchoMatcher`, whose tags name the event whatever the socket; timed by the kernel's receive
/// stamp), else it times out (`DeadlineQueue`). With echoes each socket keeps ICMP errors in its error queue
/// (IP_RECVERR), each with the start of the datagram it concerns: the tag there names the event, which fails at
/// once by the error's kind (`refused` when nothing listens) instead of timing out; an error naming no waiting
/// event counts in `connect_errors`. Without echoes an event is complete when the kernel took it, and ICMP errors
/// (reported by the next send) count in `connect_errors`. Loop thread only.
final class UDPWorker: KindWorker {
    /// Per address (`addresses.endpoints`): its connected socket.
    private let sockets: [DatagramSocket]
    private let settings: RunConfig.UDP
    private let matcher: EchoMatcher?
    private let datagram: UnsafeMutablePointer<UInt8>
    private let datagramCapacity: Int
    private let receiveBuffer: UnsafeMutableRawPointer
    /// Per socket, from `socket · batchCapacity`: the slots whose datagrams are queued for its next send, in order.
    private let pending: UnsafeMutablePointer<Int32>
    private let pendingCount: UnsafeMutablePointer<Int>
    private let batchCapacity: Int
    /// Per slot: the length of its datagram.
    private let slotBytes: UnsafeMutablePointer<Int32>
    private let tagBytes: Int
    /// Closed loop without echoes: issue whenever the sockets have room (events end as they are sent).
    private var blastsWhenWritable = false
    /// Per socket: ICMP errors are read from its error queue (with echoes).
    private var readsErrorQueue: [Bool]
    static let filler = UInt8(ascii: "x")
    /// Most datagrams read per readiness report (the poll reports again if more wait).
    static let readsPerWakeup = 4096

    init(loop: Loop, config: RunConfig, threadIndex: Int, netnsInode: UInt64,
         stop: StopSignal, progress: ProgressCell) throws {
        settings = config.udp!
        let addresses = try KindWorker.resolveTargets(config, threadIndex: threadIndex)
        let slotCount = max(1, config.plan(thread: threadIndex).maxInFlight)
        tagBytes = settings.expectEcho ? EchoMatcher.tagBytes : 0
        datagramCapacity = max(1, settings.maxDatagramBytes)
        // One byte more than any datagram sent: an echo longer than what was sent shows as longer. About 4 MiB of
        // batch buffers per thread, shared by its sockets.
        let perSocket = (4 << 20) / (datagramCapacity + 1) / addresses.endpoints.count
        batchCapacity = min(256, max(4, perSocket))
        sockets = try UDPWorker.open(addresses.endpoints, datagramMax: datagramCapacity + 1, batchCapacity: Int32(batchCapacity))
        matcher = settings.expectEcho ? EchoMatcher(capacity: slotCount, salt: UInt64.random(in: 0 ... .max)) : nil
        datagram = .filled(with: UDPWorker.filler, count: datagramCapacity)
        receiveBuffer = .allocate(byteCount: datagramCapacity + 1, alignment: 16)
        pending = .allocate(capacity: batchCapacity * sockets.count)
        pendingCount = .filled(with: 0, count: sockets.count)
        slotBytes = .filled(with: 0, count: slotCount)
        readsErrorQueue = sockets.map { _ in false }
        if let payload = settings.payload, payload.isFixed {
            _ = payload.write(sequence: 0, thread: threadIndex, into: datagram + tagBytes)
        }
        try super.init(loop: loop, config: config, threadIndex: threadIndex, netnsInode: netnsInode,
                       stop: stop, progress: progress, addresses: addresses)
        result.socketsOpened += sockets.count
        for socket in sockets where netnsInode != 0 && !SocketNetnsCheck.current.isInTarget(fd: socket.fd) {
            result.socketsOutsideNetns += 1
        }
        // Closed loop without echoes: events complete as they leave, so the sockets' room to write paces them.
        blastsWhenWritable = closedLoop && !settings.expectEcho
        if settings.expectEcho || blastsWhenWritable { try startPolling(loop: loop) }
    }

    /// One connected socket per address; on a failure the ones already open are closed.
    private static func open(_ endpoints: [Endpoint], datagramMax: Int, batchCapacity: Int32) throws -> [DatagramSocket] {
        var sockets: [DatagramSocket] = []
        do {
            for endpoint in endpoints {
                sockets.append(try DatagramSocket(endpoint: endpoint, datagramMax: datagramMax, batchCapacity: batchCapacity))
            }
        } catch {
            for socket in sockets { socket.close() }
            throw error
        }
        return sockets
    }

    /// Watches each socket: for echoes and ICMP errors (with echoes), for room to write (closed loop without).
    private func startPolling(loop: Loop) throws {
        for (index, socket) in sockets.enumerated() {
            readsErrorQueue[index] = settings.expectEcho && socket.enableErrorQueue()
            try socket.startPolling(loop: loop) { [unowned self] readable, writable, failed in
                if readable { self.readEchoes(socket: index, errorsWaiting: failed) }
                if writable { self.socketTakesMore() }
            }
            socket.watch(readable: settings.expectEcho, writable: blastsWhenWritable)
        }
    }

    deinit {
        for socket in sockets { socket.close() }
        datagram.deallocate()
        receiveBuffer.deallocate()
        pending.deallocate()
        pendingCount.deallocate()
        slotBytes.deallocate()
    }

    override var eventKind: StaticString { "udp" }

    /// Writes the datagram of `slot` into the build buffer; returns its length.
    @inline(__always)
    private func build(slot: Int32, sequence: UInt64) -> Int {
        matcher?.writeTag(sequence: sequence, slot: slot, into: UnsafeMutableRawPointer(datagram))
        var length = tagBytes
        if let payload = settings.payload {
            if payload.isFixed {
                length += payload.fixed.count
            } else {
                length += payload.write(sequence: sequence, thread: result.threadIndex, into: datagram + tagBytes)
            }
        }
        guard let size = settings.size else { return length }
        // A shorter expansion than the last one leaves its bytes behind: filler again up to the longest.
        let dirtyEnd = min(size, tagBytes + (settings.payload?.maxLength ?? 0))
        if length < dirtyEnd { (datagram + length).update(repeating: UDPWorker.filler, count: dirtyEnd - length) }
        return size
    }

    override func transmit(slot: Int32, now: UInt64) {
        let index = assignAddress(slot: slot)
        let length = build(slot: slot, sequence: slots.sequence[Int(slot)])
        slotBytes[Int(slot)] = Int32(length)
        sockets[index].queue(UnsafeRawBufferPointer(start: datagram, count: length))
        pending[index * batchCapacity + pendingCount[index]] = slot
        pendingCount[index] += 1
        if pendingCount[index] == batchCapacity { sendPending(socket: index) }
    }

    override func flushTransmissions(now: UInt64) {
        for index in sockets.indices where pendingCount[index] > 0 { sendPending(socket: index) }
    }

    /// Sends the datagrams queued on socket `index` and settles each: on its way (waiting for its echo, or
    /// complete), or failed.
    private func sendPending(socket index: Int) {
        guard pendingCount[index] > 0 else { return }
        let now = Loop.nowNanos
        let (sent, error) = sockets[index].send()
        let count = pendingCount[index]
        pendingCount[index] = 0
        result.lastSentNanos = max(result.lastSentNanos, now)
        for i in 0..<count {
            let slot = pending[index * batchCapacity + i]
            let s = Int(slot)
            markSent(slot: slot, atNanos: now)
            if i >= sent {
                complete(slot: slot, .failed(UDPWorker.errorKind(errno: error, sending: true)), atNanos: now)
            } else if let matcher {
                matcher.sent(slot: slot, sequence: slots.sequence[s], bytes: Int(slotBytes[s]))
                track(slot: slot, now: now)
            } else {
                complete(slot: slot, .answered(code: 0), atNanos: now)
            }
        }
        // Every datagram went out, and the kernel reported an ICMP error about an earlier one.
        if error != 0 && sent == count {
            if readsErrorQueue[index] {
                readErrorQueue(socket: index)
            } else {
                result.recordConnectError(UDPWorker.errorKind(errno: error, sending: false), atNanos: now)
            }
        }
    }

    /// Closed loop without echoes: the socket has room, so the next round goes out; polling stops with issuing.
    private func socketTakesMore() {
        guard blastsWhenWritable, !closed else { return }
        refill()
        if scheduler.doneIssuing {
            blastsWhenWritable = false
            for socket in sockets { socket.watch(readable: false, writable: false) }
        }
    }

    /// The error kind of a socket errno: refused (ICMP port unreachable), unreachable, or a send that failed.
    static func errorKind(errno code: Int32, sending: Bool) -> ErrorKind {
        switch code {
        case ECONNREFUSED: .refused
        case ENETUNREACH, EHOSTUNREACH: .unreachable
        default: sending ? .sendFailed : .other
        }
    }

    /// Reads what arrived on socket `index`: each echo ends its event at the kernel's receive time; anything else
    /// is counted. An error (`errorsWaiting`, or one a read returns) sends it to the error queue, which names each.
    private func readEchoes(socket index: Int, errorsWaiting: Bool) {
        guard let matcher, !closed else { return }
        let socket = sockets[index]
        var errorSeen = errorsWaiting
        let offset = CLoadGenSys_realtime_minus_monotonic()
        socket.newRound()
        var stamp: UInt64 = 0
        for _ in 0..<UDPWorker.readsPerWakeup {
            let n = socket.receive(into: receiveBuffer, capacity: datagramCapacity + 1, receivedNanos: &stamp)
            if n == -Int(EAGAIN) || n == -Int(EINTR) { break }
            if n < 0 {
                errorSeen = true
                if !readsErrorQueue[index] {
                    result.recordConnectError(UDPWorker.errorKind(errno: Int32(-n), sending: false), atNanos: Loop.nowNanos)
                }
                continue
            }
            result.bytesReceived &+= UInt64(n)
            guard case .matched(let slot) = matcher.match(UnsafeRawBufferPointer(start: receiveBuffer, count: n)) else {
                continue
            }
            let s = Int(slot)
            untrack(slot: slot)
            let received = stamp == 0 ? Loop.nowNanos : UInt64(truncatingIfNeeded: Int64(bitPattern: stamp) &- offset)
            complete(slot: slot, .answered(code: 0), atNanos: max(received, slots.sentNanos[s]))
        }
        if errorSeen && readsErrorQueue[index] { readErrorQueue(socket: index) }
        refill()
    }

    /// Takes every entry of the error queue: an ICMP error about a datagram still waiting for its echo fails its
    /// event now, by the error's kind; one about anything else (an event already over) counts in
    /// `connect_errors`.
    private func readErrorQueue(socket index: Int) {
        guard let matcher else { return }
        for _ in 0..<UDPWorker.readsPerWakeup {
            guard let (n, code) = sockets[index].readError(into: receiveBuffer, capacity: datagramCapacity + 1) else { break }
            let kind = UDPWorker.errorKind(errno: code, sending: false)
            let now = Loop.nowNanos
            guard let slot = matcher.failed(quoting: UnsafeRawBufferPointer(start: receiveBuffer, count: n)) else {
                result.recordConnectError(kind, atNanos: now)
                continue
            }
            untrack(slot: slot)
            complete(slot: slot, .failed(kind), atNanos: now)
        }
    }

    override func endInFlight(slot: Int32, _ completion: Completion, atNanos now: UInt64) {
        matcher?.ended(slot: slot)
        complete(slot: slot, completion, atNanos: now)
    }

    override func closeTransport() {
        cancelInFlight()
        for socket in sockets { socket.close() }
    }

    override func finishResult() {
        guard let counts = matcher?.counts else { return }
        result.dns.duplicateAnswers += counts.duplicates
        result.dns.lateAnswers += counts.late
        result.dns.idMismatches += counts.foreign
        result.truncated += counts.truncated
    }

    override func describeEvent(slot: Int32, _ completion: Completion, into record: inout EventRecord) {
        record.field("src", sockets[addressIndex(of: slot)].localAddress)
        describeDestination(slot: slot, into: &record)
        record.field("transport", "udp")
        record.field("bytes", Int(slotBytes[Int(slot)]))
    }
}
