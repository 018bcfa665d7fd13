import CAres
import CUV
import Glibc

/// Receives the completions of one `Resolver`. Called on the loop thread, possibly from inside `send`.
protocol ResolverDelegate: AnyObject {
    /// A query ended. `answer` is valid only during the call (empty unless `.answered`).
    func resolver(_ resolver: Resolver, didFinish slot: Int32, outcome: DNSOutcome, answer: UnsafeRawBufferPointer)
    /// c-ares finished processing a batch of socket events or timeouts: a safe point to issue more.
    func resolverDidProcess(_ resolver: Resolver)
}

/// One c-ares channel talking to one server, driven by libuv: a `SocketPoll` per c-ares socket, timeouts from
/// the owner's periodic `processTimeouts()`. Loop thread only; `close()` destroys the channel (queries still in
/// flight end as cancelled) and closes its polls.
///
/// Queries go out with `ares_send` and packets loadgen built, so the query ID is ours: 1.18.1's own ID
/// generation can hand out an ID already in flight and credit an answer to the wrong query.
final class Resolver {
    /// What c-ares hands back to the send callback: the resolver and the slot, one per slot, made once.
    private struct SlotRef {
        var owner: UnsafeMutableRawPointer
        var slot: Int32
    }

    let server: Endpoint
    private let loop: Loop
    private var channel: ares_channel?
    private var polls: [Int32: SocketPoll] = [:]
    private let slotRefs: UnsafeMutablePointer<SlotRef>
    private let slotCapacity: Int
    private let expectedNetnsInode: UInt64
    unowned(unsafe) var delegate: (any ResolverDelegate)?

    /// Sockets c-ares opened, and how many of them were outside the expected namespace (must stay 0).
    private(set) var socketsOpened = 0
    private(set) var socketsOutsideNetns = 0

    init(loop: Loop, server: Endpoint, useTCP: Bool, timeoutMillis: Int, slotCapacity: Int,
         expectedNetnsInode: UInt64) throws(AresError) {
        self.loop = loop
        self.server = server
        self.slotCapacity = slotCapacity
        self.expectedNetnsInode = expectedNetnsInode
        slotRefs = .allocate(capacity: slotCapacity)

        var options = ares_options()
        var flags = ARES_FLAG_STAYOPEN | ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH
        // One packet per event: no retry over TCP on truncation (unless TCP was asked for).
        flags |= useTCP ? ARES_FLAG_USEVC : ARES_FLAG_IGNTC
        options.flags = Int32(flags)
        options.timeout = Int32(max(1, timeoutMillis))
        options.tries = 1
        options.socket_send_buffer_size = 4 << 20
        options.socket_receive_buffer_size = 4 << 20
        options.sock_state_cb = { data, fd, readable, writable in
            Unmanaged<Resolver>.fromOpaque(data!).takeUnretainedValue()
                .didChangeSocketState(fd: fd, readable: readable != 0, writable: writable != 0)
        }
        let mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB
            | ARES_OPT_SOCK_SNDBUF | ARES_OPT_SOCK_RCVBUF
        // Every stored property is set: `self` can be handed to C from here on.
        let me = Unmanaged.passUnretained(self).toOpaque()
        options.sock_state_cb_data = me
        for i in 0..<slotCapacity {
            (slotRefs + i).initialize(to: SlotRef(owner: me, slot: Int32(i)))
        }
        try AresError.check(ares_init_options(&channel, &options, Int32(mask)), "ares_init_options")
        try setServer(server)
    }

    deinit {
        if let channel { ares_destroy(channel) }
        slotRefs.deallocate()
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

    /// Sends a query. The packet is copied by c-ares before this returns. The completion may run before this
    /// returns (a socket that cannot be opened), so the caller must be done with its bookkeeping first.
    @inline(__always)
    func send(_ packet: UnsafeRawBufferPointer, slot: Int32) {
        ares_send(channel, packet.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(packet.count), { arg, status, _, abuf, alen in
            let ref = arg!.assumingMemoryBound(to: SlotRef.self).pointee
            Unmanaged<Resolver>.fromOpaque(ref.owner).takeUnretainedValue()
                .didFinish(slot: ref.slot, status: status, abuf: abuf, alen: alen)
        }, UnsafeMutableRawPointer(slotRefs + Int(slot)))
    }

    /// Expires queries past their timeout. Cheap: c-ares keeps timeouts in per-second buckets.
    func processTimeouts() {
        guard let channel else { return }
        ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD)
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
        let outcome = DNSOutcome(aresStatus: status)
        let answer = UnsafeRawBufferPointer(start: abuf, count: abuf == nil ? 0 : Int(alen))
        delegate?.resolver(self, didFinish: slot, outcome: outcome, answer: answer)
    }

    private func didChangeSocketState(fd: Int32, readable: Bool, writable: Bool) {
        if !readable && !writable {
            // c-ares is about to close fd: stop watching it first.
            polls.removeValue(forKey: fd)?.close()
            return
        }
        let poll: SocketPoll
        if let existing = polls[fd] {
            poll = existing
        } else {
            do {
                poll = try SocketPoll(loop: loop, fd: fd) { [unowned self] fd, events, _ in
                    self.didBecomeReady(fd: fd, events: events)
                }
            } catch {
                // Without a poll the socket's answers are never read: its queries will time out and be counted.
                return
            }
            polls[fd] = poll
            socketsOpened += 1
            if expectedNetnsInode != 0, NetNamespace.inode(ofSocket: fd) != expectedNetnsInode {
                socketsOutsideNetns += 1
            }
        }
        var events: SocketPoll.Events = []
        if readable { events.insert(.readable) }
        if writable { events.insert(.writable) }
        poll.watch(events)
    }

    private func didBecomeReady(fd: Int32, events: SocketPoll.Events) {
        guard let channel else { return }
        ares_process_fd(channel,
                        events.contains(.readable) ? fd : ARES_SOCKET_BAD,
                        events.contains(.writable) ? fd : ARES_SOCKET_BAD)
        delegate?.resolverDidProcess(self)
    }
}
