import CAres
import CLoadGenSys
import Glibc

/// c-ares' socket I/O, done by loadgen (`ares_set_socket_functions`). c-ares configures nothing on sockets it
/// did not open itself, so TCP sockets are made non-blocking (a connect must not stall the loop) with Nagle off
/// (pipelined queries must not wait for the previous answer's ACK). Every failure's errno is kept in
/// `socketError`, because c-ares reports all of them as ECONNREFUSED.
extension Resolver {
    func openSocket(_ family: Int32, _ type: Int32, _ proto: Int32) -> ares_socket_t {
        let isDatagram = type & 0xF == Int32(SOCK_DGRAM.rawValue)
        var flags = Int32(SOCK_CLOEXEC.rawValue)
        if !isDatagram { flags |= Int32(SOCK_NONBLOCK.rawValue) }
        let fd = Glibc.socket(family, type | flags, proto)
        guard fd >= 0 else {
            socketError = .other
            return ARES_SOCKET_BAD
        }
        socketsOpened += 1
        if expectedNetnsInode != 0, !SocketNetnsCheck.current.isInTarget(fd: fd) {
            socketsOutsideNetns += 1
        }
        localAddress = ""
        if isDatagram { udpFD = fd }
        configure(fd, isDatagram: isDatagram)
        return fd
    }

    private func configure(_ fd: Int32, isDatagram: Bool) {
        CLoadGenSys_set_socket_buffers(fd, Resolver.socketBufferBytes)
        if isDatagram {
            _ = CLoadGenSys_enable_rx_timestamps(fd)
        } else {
            _ = CLoadGenSys_set_tcp_nodelay(fd)
        }
    }

    func closeSocket(_ fd: ares_socket_t) -> Int32 {
        if fd == udpFD {
            settleDatagram()
            CLoadGenSys_udp_batch_forget(batch, fd)
            pendingCount = 0
            udpFD = -1
        }
        return Glibc.close(fd)
    }

    /// Connects; a socket that ended up connected to itself (the kernel picked the server's port as its own,
    /// possible when nothing listens there) would read its own queries as answers: it is replaced and connected
    /// again while the old one still holds that port, so the kernel must pick another.
    func connect(_ fd: ares_socket_t, _ address: UnsafePointer<sockaddr>?, _ length: socklen_t) -> Int32 {
        var rc = Glibc.connect(fd, address, length)
        var connectErrno = rc == 0 ? 0 : errno
        var held: [Int32] = []
        while rc == 0 || connectErrno == EINPROGRESS, CLoadGenSys_socket_is_self_connected(fd) == 1, held.count < 4 {
            let old = dup(fd)
            guard old >= 0 else { break }
            held.append(old)
            guard CLoadGenSys_socket_renew(fd) == 0 else { break }
            configure(fd, isDatagram: fd == udpFD)
            rc = Glibc.connect(fd, address, length)
            connectErrno = rc == 0 ? 0 : errno
        }
        for old in held { Glibc.close(old) }
        if rc != 0, connectErrno != EINPROGRESS { noteFailure(errno: connectErrno) }
        errno = connectErrno
        return rc
    }

    func receive(_ fd: ares_socket_t, _ buffer: UnsafeMutableRawPointer?, _ length: Int, _ flags: Int32,
                 _ from: UnsafeMutablePointer<sockaddr>?, _ fromLength: UnsafeMutablePointer<socklen_t>?) -> Int {
        guard fd == udpFD else {
            receiveNanos = 0
            let n = Glibc.recvfrom(fd, buffer, length, flags, from, fromLength)
            // A server with Nagle on holds its next answer until this one is acknowledged: do not delay the ACK.
            if n > 0 { _ = CLoadGenSys_set_tcp_quickack(fd) }
            if n == 0 {
                socketError = .closed
            } else if n < 0, errno != EAGAIN, errno != EINTR {
                noteFailure(errno: errno)
            }
            return n
        }
        // c-ares reads the next datagram only once it is done with the previous one.
        settleDatagram()
        var realtime: UInt64 = 0
        var n: Int
        while true {
            n = CLoadGenSys_udp_batch_recv(batch, fd, buffer, length, from, fromLength, &realtime)
            guard n >= DNSMessage.headerBytes, let buffer, buffer.load(fromByteOffset: 2, as: UInt8.self) & 0x80 == 0 else {
                break
            }
            // A query, not a response (QR clear): c-ares would take it for the answer. Skip it.
            ledger.notAResponse()
        }
        receiveNanos = realtime == 0 ? 0 : UInt64(truncatingIfNeeded: Int64(bitPattern: realtime) &- realtimeOffset)
        if n < 0, errno != EAGAIN, errno != EINTR { noteFailure(errno: errno) }
        if n >= DNSMessage.headerBytes, let buffer {
            let message = UnsafeRawBufferPointer(start: buffer, count: n)
            datagramID = Int32(DNSMessage.id(of: message) ?? 0)
            datagramTruncated = DNSMessage.isTruncated(message)
        }
        if n >= 0 && realtime == 0 && readsOnTick {
            // No kernel timestamp: only prompt reads can time answers now.
            readsOnTick = false
            didChangeSocketState(fd: fd, readable: true, writable: false)
        }
        return n
    }

    func send(_ fd: ares_socket_t, _ iov: UnsafePointer<iovec>?, _ count: Int32) -> Int {
        guard fd == udpFD else {
            let n = Glibc.writev(fd, iov, count)
            if n < 0, errno != EAGAIN, errno != EINTR { noteFailure(errno: errno) }
            return n
        }
        let n = CLoadGenSys_udp_batch_queue(batch, fd, iov, count)
        if n < 0 {
            noteFailure(errno: Int32(-n))
            errno = Int32(-n)
            return -1
        }
        return n
    }

    /// Counts the datagram c-ares just processed if it completed no query.
    func settleDatagram() {
        guard datagramID >= 0 else { return }
        ledger.unmatched(id: UInt16(datagramID), truncated: datagramTruncated, tcFallback: tcFallback)
        datagramID = -1
    }

    /// Remembers why a socket failed, for the queries c-ares is about to end with ECONNREFUSED.
    func noteFailure(errno code: Int32) {
        socketError = Resolver.errorKind(errno: code)
    }

    /// The error kind a socket errno stands for.
    static func errorKind(errno code: Int32) -> ErrorKind {
        switch code {
        case ECONNREFUSED: .refused
        case ENETUNREACH, EHOSTUNREACH: .unreachable
        case ECONNRESET: .reset
        case EPIPE: .closed
        case ETIMEDOUT: .connectTimeout
        default: .other
        }
    }
}
