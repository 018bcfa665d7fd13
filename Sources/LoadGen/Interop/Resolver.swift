import CAres
import CLoadGenSys
import CUV
import Glibc

/// Receives the completions of one `Resolver`. Called on the loop thread, possibly from inside `send`.
protocol ResolverDelegate: AnyObject {
    /// A query ended at `atNanos` (for UDP answers the kernel's receive time). `answer` is valid only during the
    /// call (empty unless `.answered`).
    func resolver(_ resolver: Resolver, didFinish slot: Int32, outcome: DNSOutcome, answer: UnsafeRawBufferPointer,
                  atNanos: UInt64)
    /// c-ares finished processing a batch of socket events or timeouts: a safe point to issue more.
    func resolverDidProcess(_ resolver: Resolver)
}

/// One c-ares channel talking to one server, driven by libuv: a `SocketPoll` per c-ares socket, timeouts from
/// the owner's periodic `processTimeouts()`. Loop thread only; `close()` destroys the channel (queries still in
/// flight end as cancelled) and closes its polls.
///
/// Queries go out with `ares_send` and packets loadgen built, so the query ID is ours: 1.18.1's own ID
/// generation can hand out an ID already in flight and credit an answer to the wrong query.
///
/// c-ares' socket I/O goes through loadgen's socket functions: UDP queries are queued and leave together in one
/// `sendmmsg` at `flush()`, answers are read with one `recvmmsg` per wake-up, and each answer's completion time
/// is the kernel's receive timestamp (SO_TIMESTAMPNS), not the time the loop got around to reading it.
///
/// Because answers carry the kernel's time, an open-loop run need not wake for each one: with
/// `readsOnTick` the UDP socket is not polled and `processTimeouts()` (the owner's tick) reads everything that
/// arrived since the last tick. Should the kernel ever deliver an answer without a timestamp, the resolver
/// falls back to polling the socket so that no answer is timed late.
///
/// c-ares silently drops an answer that matches no query in flight (by ID and question). Every datagram read
/// passes through `receive`, so the resolver notices which ones completed nothing and counts them in `ledger`:
/// duplicates, late answers, wrong IDs or questions, truncated answers retried over TCP. A socket failure ends
/// the queries on it with ECONNREFUSED in c-ares; the errno loadgen saw says what it really was (`socketError`).
final class Resolver {
    /// What c-ares hands back to the send callback: the resolver and the slot, one per slot, made once.
    private struct SlotRef {
        var owner: UnsafeMutableRawPointer
        var slot: Int32
    }

    let server: Endpoint
    private let loop: Loop
    /// What became of each query ID, to classify the answers no query took.
    let ledger = AnswerLedger()
    /// The query ID each slot's query went out with.
    private let slotQueryID: UnsafeMutablePointer<UInt16>
    /// The datagram being processed: its ID (-1 when none, or c-ares completed a query with it) and TC bit.
    var datagramID: Int32 = -1
    var datagramTruncated = false
    let tcFallback: Bool
    /// Why c-ares last closed a socket on an error: 1.18.1 ends its queries with ECONNREFUSED whatever it was.
    var socketError: ErrorKind = .refused
    /// The slot table's send times: `flush()` stamps the queries it transmits.
    let sentNanos: UnsafeMutablePointer<UInt64>
    /// The ledger's first-send stamps: the batch's queries go out for the first time when it is flushed.
    let firstSentNanos: UnsafeMutablePointer<UInt64>
    private let socketFunctions: UnsafeMutablePointer<ares_socket_functions>
    let batch: OpaquePointer
    static let batchCapacity: Int32 = 256
    /// Room for answers that arrive between two ticks at high rates (needs CAP_NET_ADMIN above rmem_max).
    static let socketBufferBytes: Int32 = 8 << 20
    private let pendingSlots: UnsafeMutablePointer<Int32>
    var pendingCount: Int32 = 0
    var udpFD: Int32 = -1
    /// When the datagram being processed arrived (monotonic), 0 when not reading a datagram.
    var receiveNanos: UInt64 = 0
    var realtimeOffset: Int64 = 0
    /// Read UDP answers on the owner's tick instead of on readiness (open loop).
    var readsOnTick: Bool
    /// A query's timeout. An answer the kernel received later than this after the query went out is a timeout
    /// (and a late answer), even when it was read before c-ares got round to expiring the query.
    let timeoutNanos: UInt64
    private var channel: ares_channel?
    private var polls: [Int32: SocketPoll] = [:]
    /// What each poll watches, to watch it again after libuv stopped it on a socket error.
    private var watched: [Int32: SocketPoll.Events] = [:]
    private let slotRefs: UnsafeMutablePointer<SlotRef>
    private let slotCapacity: Int
    let expectedNetnsInode: UInt64
    unowned(unsafe) var delegate: (any ResolverDelegate)?

    /// Sockets c-ares opened, and how many of them were outside the expected namespace (must stay 0).
    var socketsOpened = 0
    /// The local address of the socket last opened (`ip:port`), for event records.
    var localAddress = ""
    var socketsOutsideNetns = 0

    /// `tcFallback`: a truncated UDP answer sends its query again over TCP (otherwise it completes the query).
    init(loop: Loop, server: Endpoint, useTCP: Bool, tcFallback: Bool = false, timeoutNanos: UInt64, slotCapacity: Int,
         sentNanos: UnsafeMutablePointer<UInt64>, firstSentNanos: UnsafeMutablePointer<UInt64>, expectedNetnsInode: UInt64, readsOnTick: Bool) throws(AresError) {
        self.loop = loop
        self.tcFallback = tcFallback && !useTCP
        slotQueryID = .allocate(capacity: slotCapacity)
        slotQueryID.initialize(repeating: 0, count: slotCapacity)
        self.readsOnTick = readsOnTick && !useTCP
        self.timeoutNanos = timeoutNanos
        self.sentNanos = sentNanos
        self.firstSentNanos = firstSentNanos
        guard let batch = CLoadGenSys_udp_batch_create(Resolver.batchCapacity) else { throw AresError(code: ARES_ENOMEM) }
        self.batch = batch
        pendingSlots = .allocate(capacity: Int(Resolver.batchCapacity))
        socketFunctions = .allocate(capacity: 1)
        socketFunctions.initialize(to: ares_socket_functions(
            asocket: { family, type, proto, data in
                Unmanaged<Resolver>.fromOpaque(data!).takeUnretainedValue().openSocket(family, type, proto)
            },
            aclose: { fd, data in
                Unmanaged<Resolver>.fromOpaque(data!).takeUnretainedValue().closeSocket(fd)
            },
            aconnect: { fd, address, length, data in
                Unmanaged<Resolver>.fromOpaque(data!).takeUnretainedValue().connect(fd, address, length)
            },
            arecvfrom: { fd, buffer, length, flags, from, fromLength, data in
                Unmanaged<Resolver>.fromOpaque(data!)._withUnsafeGuaranteedRef {
                    $0.receive(fd, buffer, length, flags, from, fromLength)
                }
            },
            asendv: { fd, iov, count, data in
                Unmanaged<Resolver>.fromOpaque(data!)._withUnsafeGuaranteedRef { $0.send(fd, iov, count) }
            }))
        self.server = server
        self.slotCapacity = slotCapacity
        self.expectedNetnsInode = expectedNetnsInode
        slotRefs = .allocate(capacity: slotCapacity)

        var options = ares_options()
        var flags = ARES_FLAG_STAYOPEN | ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH
        // One packet per event: no retry over TCP on truncation (unless TCP or the fallback was asked for).
        if useTCP {
            flags |= ARES_FLAG_USEVC
        } else if !tcFallback {
            flags |= ARES_FLAG_IGNTC
        }
        options.flags = Int32(flags)
        options.timeout = Int32(clamping: max(1, (timeoutNanos + 999_999) / 1_000_000))
        options.tries = 1
        options.sock_state_cb = { data, fd, readable, writable in
            Unmanaged<Resolver>.fromOpaque(data!).takeUnretainedValue()
                .didChangeSocketState(fd: fd, readable: readable != 0, writable: writable != 0)
        }
        // Socket buffers are sized in openSocket (c-ares' own setting cannot pass net.core.rmem_max).
        let mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB
        // Every stored property is set: `self` can be handed to C from here on.
        let me = Unmanaged.passUnretained(self).toOpaque()
        options.sock_state_cb_data = me
        for i in 0..<slotCapacity {
            (slotRefs + i).initialize(to: SlotRef(owner: me, slot: Int32(i)))
        }
        AresMemory.install()
        try AresError.check(ares_init_options(&channel, &options, Int32(mask)), "ares_init_options")
        ares_set_socket_functions(channel, socketFunctions, me)
        try setServer(server)
    }

    deinit {
        if let channel { ares_destroy(channel) }
        slotRefs.deallocate()
        slotQueryID.deallocate()
        pendingSlots.deallocate()
        socketFunctions.deallocate()
        CLoadGenSys_udp_batch_destroy(batch)
    }

    private func setServer(_ server: Endpoint) throws(AresError) {
        var node = ares_addr_port_node()
        node.next = nil
        node.udp_port = Int32(server.port)
        node.tcp_port = Int32(server.port)
        switch server.family {
        case .ipv4:
            node.family = AF_INET
            withUnsafeMutableBytes(of: &node.addr) { _ = inet_pton(AF_INET, server.host, $0.baseAddress) }
        case .ipv6:
            node.family = AF_INET6
            withUnsafeMutableBytes(of: &node.addr) { _ = inet_pton(AF_INET6, server.host, $0.baseAddress) }
        }
        try AresError.check(ares_set_servers_ports(channel, &node), "ares_set_servers_ports")
    }

    /// Sends a query (over UDP: queues it until `flush()`). The packet is copied by c-ares before this returns.
    /// The completion may run before this returns (a socket that cannot be opened), so the caller must be done
    /// with its bookkeeping first.
    @inline(__always)
    func send(_ packet: UnsafeRawBufferPointer, slot: Int32) {
        if CLoadGenSys_udp_batch_queued(batch) == Resolver.batchCapacity { flush() }
        let id = DNSMessage.id(of: packet) ?? 0
        slotQueryID[Int(slot)] = id
        ledger.sent(id: id)
        ares_send(channel, packet.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(packet.count), { arg, status, _, abuf, alen in
            let ref = arg!.assumingMemoryBound(to: SlotRef.self).pointee
            Unmanaged<Resolver>.fromOpaque(ref.owner)._withUnsafeGuaranteedRef {
                $0.didFinish(slot: ref.slot, status: status, abuf: abuf, alen: alen)
            }
        }, UnsafeMutableRawPointer(slotRefs + Int(slot)))
        let queued = CLoadGenSys_udp_batch_queued(batch)
        if queued == pendingCount + 1 {
            pendingSlots[Int(pendingCount)] = slot
            pendingCount = queued
        } else if queued == 1 {
            // The batch was flushed for another socket (c-ares reopened it): this query starts a new one.
            pendingSlots[0] = slot
            pendingCount = 1
        }
    }

    /// Transmits the queued UDP queries in one `sendmmsg` and stamps their send time. A refused send ends the
    /// queries on that socket through c-ares, as a failed read would.
    func flush() {
        guard CLoadGenSys_udp_batch_queued(batch) > 0 else {
            pendingCount = 0
            return
        }
        let now = Loop.nowNanos
        for i in 0..<Int(pendingCount) {
            let s = Int(pendingSlots[i])
            sentNanos[s] = now
            firstSentNanos[s] = now
        }
        pendingCount = 0
        var failedFD: Int32 = -1
        let rc = CLoadGenSys_udp_batch_flush(batch, &failedFD)
        if rc < 0, failedFD >= 0, let channel {
            CLoadGenSys_udp_batch_set_error(batch, failedFD, -rc)
            ares_process_fd(channel, failedFD, ARES_SOCKET_BAD)
            settleDatagram()
        }
    }

    /// Expires queries past their timeout. Cheap: c-ares keeps timeouts in per-second buckets.
    /// With `readsOnTick`, also reads every answer that arrived since the last call.
    func processTimeouts() {
        guard let channel else { return }
        receiveNanos = 0
        if readsOnTick && udpFD >= 0 {
            realtimeOffset = CLoadGenSys_realtime_minus_monotonic()
            CLoadGenSys_udp_batch_new_round(batch)
            ares_process_fd(channel, udpFD, ARES_SOCKET_BAD)
        } else {
            ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD)
        }
        settleDatagram()
    }

    /// Ends every query in flight as cancelled.
    func cancelAll() {
        guard let channel else { return }
        ares_cancel(channel)
    }

    /// Destroys the channel and closes its polls; queries still in flight end as cancelled.
    func close() {
        guard let channel else { return }
        ares_destroy(channel)
        self.channel = nil
        for poll in polls.values { poll.close() }
        polls.removeAll()
    }

    private func didFinish(slot: Int32, status: Int32, abuf: UnsafeMutablePointer<UInt8>?, alen: Int32) {
        var outcome = DNSOutcome(aresStatus: status)
        if outcome == .failed(.refused) { outcome = .failed(socketError) }
        let id = slotQueryID[Int(slot)]
        let sent = sentNanos[Int(slot)]
        switch outcome {
        case .answered:
            if Int32(id) == datagramID { datagramID = -1 }
            if receiveNanos > sent && receiveNanos - sent > timeoutNanos {
                // The kernel took it in after the deadline; c-ares, which expires queries only when the tick reads
                // (answers first), matched it anyway. A timeout, as if read at the deadline, and a late answer.
                outcome = .timedOut
                ledger.answeredLate(id: id)
            } else {
                ledger.ended(id: id, .answered)
            }
        case .timedOut: ledger.ended(id: id, .timedOut)
        case .cancelled, .failed: ledger.ended(id: id, .ended)
        }
        let at = outcome == .answered && receiveNanos != 0 ? receiveNanos : Loop.nowNanos
        let answer = UnsafeRawBufferPointer(start: abuf, count: abuf == nil ? 0 : Int(alen))
        delegate?.resolver(self, didFinish: slot, outcome: outcome, answer: answer, atNanos: at)
    }

    func didChangeSocketState(fd: Int32, readable: Bool, writable: Bool) {
        // c-ares reports a socket once it is connected: its local address is known now.
        if localAddress.isEmpty, readable || writable { localAddress = Resolver.localAddress(of: fd) }
        if !readable && !writable {
            // c-ares is about to close fd: stop watching it first.
            polls.removeValue(forKey: fd)?.close()
            watched[fd] = nil
            return
        }
        if readsOnTick && fd == udpFD && !writable {
            return
        }
        let poll: SocketPoll
        if let existing = polls[fd] {
            poll = existing
        } else {
            do {
                poll = try SocketPoll(loop: loop, fd: fd) { [unowned self] fd, events, failed in
                    self.didBecomeReady(fd: fd, events: events, failed: failed)
                }
            } catch {
                // Without a poll the socket's answers are never read: its queries will time out and be counted.
                return
            }
            polls[fd] = poll
        }
        var events: SocketPoll.Events = []
        if readable { events.insert(.readable) }
        if writable { events.insert(.writable) }
        watched[fd] = events
        poll.watch(events)
    }

    /// `failed`: the socket has an error (e.g. the server reset the connection). libuv then stops the poll, but
    /// c-ares reads a TCP stream one piece per call and sees the error only after the answers still buffered:
    /// watch again until c-ares closes the socket, or those answers and the error are never read.
    private func didBecomeReady(fd: Int32, events: SocketPoll.Events, failed: Bool) {
        guard let channel else { return }
        realtimeOffset = CLoadGenSys_realtime_minus_monotonic()
        CLoadGenSys_udp_batch_new_round(batch)
        ares_process_fd(channel,
                        events.contains(.readable) ? fd : ARES_SOCKET_BAD,
                        events.contains(.writable) ? fd : ARES_SOCKET_BAD)
        settleDatagram()
        if failed, let poll = polls[fd], let events = watched[fd] { poll.watch(events) }
        delegate?.resolverDidProcess(self)
    }

    static func localAddress(of fd: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let n = CLoadGenSys_socket_local_address(fd, &buffer, Int32(buffer.count))
        return n > 0 ? String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }
}
