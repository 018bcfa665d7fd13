import CLoadGenSys
import Glibc

/// One connected UDP socket of a loop thread (`loadgen udp`): datagrams are queued and leave together in one
/// `sendmmsg` per round, and arrivals are read with `recvmmsg`, each with the kernel's receive time. Readiness is
/// reported through a `SocketPoll` when the owner wants to read. Loop thread only; `close()` closes the poll and
/// the socket.
final class DatagramSocket {
    let fd: Int32
    private let family: Endpoint.Family
    private let batch: OpaquePointer
    private var poll: SocketPoll?
    /// How many datagrams one `sendmmsg` carries at most.
    let batchCapacity: Int32
    /// The socket's local `ip:port` once connected.
    let localAddress: String
    /// Socket buffers big enough for the bursts of a tick at high rates (needs CAP_NET_ADMIN above rmem_max).
    static let socketBufferBytes: Int32 = 8 << 20

    /// Opens a socket, connects it to `endpoint` (never to itself) and readies batches of `batchCapacity`
    /// datagrams of up to `datagramMax` bytes.
    init(endpoint: Endpoint, datagramMax: Int, batchCapacity: Int32) throws(UVError) {
        let family = endpoint.family == .ipv4 ? AF_INET : AF_INET6
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw UVError(code: -errno) }
        guard let batch = CLoadGenSys_udp_batch_create_sized(batchCapacity, Int32(datagramMax)) else {
            Glibc.close(fd)
            throw UVError(code: -ENOMEM)
        }
        self.fd = fd
        self.family = endpoint.family
        self.batch = batch
        self.batchCapacity = batchCapacity
        CLoadGenSys_set_socket_buffers(fd, DatagramSocket.socketBufferBytes)
        _ = CLoadGenSys_enable_rx_timestamps(fd)
        do {
            try DatagramSocket.connect(fd, to: endpoint)
        } catch {
            CLoadGenSys_udp_batch_destroy(batch)
            Glibc.close(fd)
            throw error
        }
        var text = [CChar](repeating: 0, count: 64)
        let n = CLoadGenSys_socket_local_address(fd, &text, 64)
        localAddress = n > 0 ? String(decoding: text.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }

    deinit {
        close()
        CLoadGenSys_udp_batch_destroy(batch)
    }

    /// Connects; a socket the kernel happened to give the server's own port (possible on loopback when nothing
    /// listens there) would read its own datagrams as echoes, so it is replaced while the old one holds the port.
    private static func connect(_ fd: Int32, to endpoint: Endpoint) throws(UVError) {
        var held: [Int32] = []
        defer { for old in held { Glibc.close(old) } }
        for _ in 0..<4 {
            let rc = try endpoint.withSockaddr { address, length in Glibc.connect(fd, address, length) }
            guard rc == 0 else { throw UVError(code: -errno) }
            guard CLoadGenSys_socket_is_self_connected(fd) == 1 else { return }
            let old = dup(fd)
            guard old >= 0 else { break }
            held.append(old)
            guard CLoadGenSys_socket_renew(fd) == 0 else { break }
            CLoadGenSys_set_socket_buffers(fd, DatagramSocket.socketBufferBytes)
            _ = CLoadGenSys_enable_rx_timestamps(fd)
        }
        throw UVError(code: -EADDRINUSE)
    }

    /// Reports readiness to `onReady` (`readable`: a datagram or an error waits; `writable`: the socket takes
    /// more), for what `watch` asks; until `close` or a `watch` with neither.
    /// On a socket error (an ICMP error, or an entry in the error queue) libuv stops the poll: it is started again
    /// for what was watched once `onReady` has run (which reads the error), so later datagrams are still read.
    /// `failed`: the socket reported an error (read as readable too).
    func startPolling(loop: Loop, _ onReady: @escaping (_ readable: Bool, _ writable: Bool, _ failed: Bool) -> Void) throws(UVError) {
        poll = try SocketPoll(loop: loop, fd: fd) { [unowned self] _, events, failed in
            onReady(failed || events.contains(.readable), events.contains(.writable), failed)
            if failed, !self.watching.isEmpty { self.poll?.watch(self.watching) }
        }
    }

    /// What to report: readiness to read, to write, both or neither.
    func watch(readable: Bool, writable: Bool) {
        var events: SocketPoll.Events = []
        if readable { events.insert(.readable) }
        if writable { events.insert(.writable) }
        watching = events
        poll?.watch(events)
    }

    private var watching: SocketPoll.Events = []

    /// Keeps each ICMP error about a sent datagram in the socket's error queue, with the datagram's start.
    func enableErrorQueue() -> Bool {
        CLoadGenSys_enable_error_queue(fd, family == .ipv4 ? AF_INET : AF_INET6) == 0
    }

    /// The oldest error-queue entry: the start of the datagram it concerns (copied into `buffer`, up to
    /// `capacity` bytes) and the errno it reports; nil when the queue is empty.
    func readError(into buffer: UnsafeMutableRawPointer, capacity: Int) -> (length: Int, errno: Int32)? {
        var code: Int32 = 0
        let n = CLoadGenSys_read_error_queue(fd, buffer, capacity, &code)
        return n < 0 ? nil : (Int(n), code)
    }

    /// Datagrams queued for the next `send`.
    var queued: Int32 { CLoadGenSys_udp_batch_queued(batch) }

    /// Queues one datagram (copied); call `send` before `batchCapacity` are queued.
    @inline(__always)
    func queue(_ bytes: UnsafeRawBufferPointer) {
        var iov = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
        let n = CLoadGenSys_udp_batch_queue(batch, fd, &iov, 1)
        precondition(n >= 0, "a datagram of \(bytes.count) bytes did not fit the batch")
    }

    /// Sends what is queued, in order. Returns how many went out and the error that stopped the rest (or an
    /// earlier datagram's ICMP error, reported after all went out: then `sent` is all of them).
    func send() -> (sent: Int, error: Int32) {
        var sent: Int32 = 0
        let rc = CLoadGenSys_udp_batch_send(batch, &sent)
        return (Int(sent), -rc)
    }

    /// Begins a round of reads: the first `receive` asks the kernel again.
    func newRound() {
        CLoadGenSys_udp_batch_new_round(batch)
    }

    /// The next datagram into `buffer`: its length (it may be cut at `capacity`), or -errno (-EAGAIN when none
    /// waits). `receivedNanos` is the kernel's receive time on CLOCK_REALTIME, 0 when it gave none.
    @inline(__always)
    func receive(into buffer: UnsafeMutableRawPointer, capacity: Int, receivedNanos: inout UInt64) -> Int {
        let n = CLoadGenSys_udp_batch_recv(batch, fd, buffer, capacity, nil, nil, &receivedNanos)
        return n < 0 ? -Int(errno) : n
    }

    /// Closes the poll and the socket (idempotent).
    func close() {
        poll?.close()
        poll = nil
        if !closed {
            closed = true
            CLoadGenSys_udp_batch_forget(batch, fd)
            Glibc.close(fd)
        }
    }

    private var closed = false
}
