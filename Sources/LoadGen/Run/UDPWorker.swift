import CLoadGenSys
import Glibc

/// `loadgen udp` on one loop thread: each event is one datagram to the target on the thread's connected socket,
/// built in place in a buffer made once (the echo tag, the payload template expanded, filler to `--size`) and
/// sent with the round's others in one `sendmmsg`. Without `--expect-echo` an event completes when the kernel
/// took its datagram, so `completed` counts what the server kernel's `Udp InDatagrams` counts (when nothing is
/// lost on the way); with it, when its echo arrives (matched by `EchoMatcher`, timed by the kernel's receive
/// stamp), else it times out (`DeadlineQueue`). With echoes the socket keeps ICMP errors in its error queue
/// (IP_RECVERR), each with the start of the datagram it concerns: the tag there names the event, which fails at
/// once by the error's kind (`refused` when nothing listens) instead of timing out; an error naming no waiting
/// event counts in `connect_errors`. Without echoes an event is complete when the kernel took it, and ICMP errors
/// (reported by the next send) count in `connect_errors`. Loop thread only.
final class UDPWorker: KindWorker {
    private let socket: DatagramSocket
    private let settings: RunConfig.UDP
    private let matcher: EchoMatcher?
    private let datagram: UnsafeMutablePointer<UInt8>
    private let datagramCapacity: Int
    private let receiveBuffer: UnsafeMutableRawPointer
    /// Slots whose datagrams are queued for the next send, in order.
    private let pending: UnsafeMutablePointer<Int32>
    private var pendingCount = 0
    /// Per slot: the length of its datagram.
    private let slotBytes: UnsafeMutablePointer<Int32>
    private let tagBytes: Int
    private let target: String
    /// Closed loop without echoes: issue whenever the socket has room (events end as they are sent).
    private var blastsWhenWritable = false
    /// ICMP errors are read from the socket's error queue (with echoes).
    private var readsErrorQueue = false
    static let filler = UInt8(ascii: "x")
    /// Most datagrams read per readiness report (the poll reports again if more wait).
    static let readsPerWakeup = 4096

    override init(loop: Loop, config: RunConfig, threadIndex: Int, netnsInode: UInt64,
                  stop: StopSignal, progress: ProgressCell) throws {
        settings = config.udp!
        let address = try settings.target.resolve(netns: config.netns(ofThread: threadIndex)?.label)
        target = address.description
        let slotCount = max(1, config.plan(thread: threadIndex).maxInFlight)
        tagBytes = settings.expectEcho ? EchoMatcher.tagBytes : 0
        datagramCapacity = max(1, settings.maxDatagramBytes)
        // One byte more than any datagram sent: an echo longer than what was sent shows as longer.
        let batchCapacity = Int32(min(256, max(4, (4 << 20) / (datagramCapacity + 1))))
        socket = try DatagramSocket(endpoint: address, datagramMax: datagramCapacity + 1, batchCapacity: batchCapacity)
        matcher = settings.expectEcho ? EchoMatcher(capacity: slotCount, salt: UInt64.random(in: 0 ... .max)) : nil
        datagram = .filled(with: UDPWorker.filler, count: datagramCapacity)
        receiveBuffer = .allocate(byteCount: datagramCapacity + 1, alignment: 16)
        pending = .allocate(capacity: Int(batchCapacity))
        slotBytes = .filled(with: 0, count: slotCount)
        if let payload = settings.payload, payload.isFixed {
            _ = payload.write(sequence: 0, thread: threadIndex, into: datagram + tagBytes)
        }
        try super.init(loop: loop, config: config, threadIndex: threadIndex, netnsInode: netnsInode,
                       stop: stop, progress: progress)
        result.socketsOpened += 1
        result.targetAddress = target
        if netnsInode != 0, !SocketNetnsCheck.current.isInTarget(fd: socket.fd) { result.socketsOutsideNetns += 1 }
        // Closed loop without echoes: events complete as they leave, so the socket's room to write paces them.
        blastsWhenWritable = closedLoop && !settings.expectEcho
        if settings.expectEcho || blastsWhenWritable {
            readsErrorQueue = settings.expectEcho && socket.enableErrorQueue()
            try socket.startPolling(loop: loop) { [unowned self] readable, writable, failed in
                if readable { self.readEchoes(errorsWaiting: failed) }
                if writable { self.socketTakesMore() }
            }
            socket.watch(readable: settings.expectEcho, writable: blastsWhenWritable)
        }
    }

    deinit {
        socket.close()
        datagram.deallocate()
        receiveBuffer.deallocate()
        pending.deallocate()
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
        let length = build(slot: slot, sequence: slots.sequence[Int(slot)])
        slotBytes[Int(slot)] = Int32(length)
        socket.queue(UnsafeRawBufferPointer(start: datagram, count: length))
        pending[pendingCount] = slot
        pendingCount += 1
        if pendingCount == Int(socket.batchCapacity) { sendPending() }
    }

    override func flushTransmissions(now: UInt64) {
        sendPending()
    }

    /// Sends the queued datagrams and settles each: on its way (waiting for its echo, or complete), or failed.
    private func sendPending() {
        guard pendingCount > 0 else { return }
        let now = Loop.nowNanos
        let (sent, error) = socket.send()
        let count = pendingCount
        pendingCount = 0
        result.lastSentNanos = max(result.lastSentNanos, now)
        for i in 0..<count {
            let slot = pending[i]
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
            if readsErrorQueue {
                readErrorQueue()
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
            socket.watch(readable: false, writable: false)
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

    /// Reads what arrived: each echo ends its event at the kernel's receive time; anything else is counted.
    /// An error (`errorsWaiting`, or one a read returns) sends it to the error queue, which names each one.
    private func readEchoes(errorsWaiting: Bool) {
        guard let matcher, !closed else { return }
        var errorSeen = errorsWaiting
        let offset = CLoadGenSys_realtime_minus_monotonic()
        socket.newRound()
        var stamp: UInt64 = 0
        for _ in 0..<UDPWorker.readsPerWakeup {
            let n = socket.receive(into: receiveBuffer, capacity: datagramCapacity + 1, receivedNanos: &stamp)
            if n == -Int(EAGAIN) || n == -Int(EINTR) { break }
            if n < 0 {
                errorSeen = true
                if !readsErrorQueue {
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
        if errorSeen && readsErrorQueue { readErrorQueue() }
        refill()
    }

    /// Takes every entry of the error queue: an ICMP error about a datagram still waiting for its echo fails its
    /// event now, by the error's kind; one about anything else (an event already over) counts in
    /// `connect_errors`.
    private func readErrorQueue() {
        guard let matcher else { return }
        for _ in 0..<UDPWorker.readsPerWakeup {
            guard let (n, code) = socket.readError(into: receiveBuffer, capacity: datagramCapacity + 1) else { break }
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
        socket.close()
    }

    override func finishResult() {
        guard let counts = matcher?.counts else { return }
        result.dns.duplicateAnswers += counts.duplicates
        result.dns.lateAnswers += counts.late
        result.dns.idMismatches += counts.foreign
        result.truncated += counts.truncated
    }

    override func describeEvent(slot: Int32, _ completion: Completion, into record: inout EventRecord) {
        record.field("src", socket.localAddress)
        record.field("dst", target)
        record.field("transport", "udp")
        record.field("bytes", Int(slotBytes[Int(slot)]))
    }
}
