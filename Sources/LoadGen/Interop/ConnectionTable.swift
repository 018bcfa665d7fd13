import CLoadGenSys
import CUV
import Glibc

/// Receives the events of a `ConnectionTable`'s connections on the loop thread, each named by the owner's token
/// (its event slot). None arrives for a connection after `close`.
protocol ConnectionTableDelegate: AnyObject {
    func connectionDidConnect(token: Int32)
    func connection(token: Int32, didFailToConnect error: UVError)
    /// `count` bytes arrived; only their number is used (nothing the peer sends is interpreted).
    func connection(token: Int32, didRead count: Int)
    /// The peer closed (`error` nil) or the read failed.
    func connection(token: Int32, didEndWith error: UVError?)
    /// A write `write` could not finish at once completed (`error` nil) or failed.
    func connection(token: Int32, didFinishWrite error: UVError?)
}

/// Short-lived TCP connections (connect, perhaps write and read, close) for connection churn. Each entry's libuv
/// handles and write buffer are allocated once and reused: an entry is busy from `open` until libuv's close
/// callback, and the table grows only when every entry is busy, so a steady run allocates nothing per
/// connection. Loop thread only; the table keeps itself alive while any entry is open or closing.
final class ConnectionTable {
    private struct Entry {
        var tcp = uv_tcp_t()
        var connect = uv_connect_t()
        var write = uv_write_t()
        var table: UnsafeMutableRawPointer?
        var index: Int32 = 0
        var token: Int32 = -1
        /// 0 free, 1 open, 2 closing.
        var state: UInt8 = 0
        var connectPending = false
        var writeBuffer: UnsafeMutablePointer<UInt8>?
    }

    enum WriteResult { case done, pending, failed(UVError) }

    private let loop: Loop
    private var entries: [UnsafeMutablePointer<Entry>] = []
    private var freeList: [Int32] = []
    private let writeCapacity: Int
    private let readBuffer = ReadBuffer(size: 64 * 1024)
    private let addressBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: 64)
    unowned(unsafe) var delegate: (any ConnectionTableDelegate)?

    init(loop: Loop, initialCapacity: Int, writeCapacity: Int) {
        self.loop = loop
        self.writeCapacity = writeCapacity
        entries.reserveCapacity(initialCapacity)
        freeList.reserveCapacity(initialCapacity)
        for _ in 0..<max(1, initialCapacity) { freeList.append(addEntry()) }
        freeList.reverse()
    }

    deinit {
        for entry in entries {
            entry.pointee.writeBuffer?.deallocate()
            entry.deallocate()
        }
        addressBuffer.deallocate()
    }

    private func addEntry() -> Int32 {
        let entry = UnsafeMutablePointer<Entry>.allocate(capacity: 1)
        entry.initialize(to: Entry())
        entry.pointee.index = Int32(entries.count)
        if writeCapacity > 0 { entry.pointee.writeBuffer = .allocate(capacity: writeCapacity) }
        entries.append(entry)
        return entry.pointee.index
    }

    private static func entry(_ data: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<Entry> {
        data!.assumingMemoryBound(to: Entry.self)
    }

    private static func table(_ entry: UnsafeMutablePointer<Entry>) -> ConnectionTable {
        Unmanaged<ConnectionTable>.fromOpaque(entry.pointee.table!).takeUnretainedValue()
    }

    private func tcp(_ index: Int32) -> UnsafeMutablePointer<uv_tcp_t> {
        UnsafeMutableRawPointer(entries[Int(index)]).assumingMemoryBound(to: uv_tcp_t.self)
    }

    /// Takes a free entry for the event `token` and initialises its socket handle; returns the entry's index.
    func open(token: Int32) throws(UVError) -> Int32 {
        let index = freeList.popLast() ?? addEntry()
        let entry = entries[Int(index)]
        let raw = UnsafeMutableRawPointer(entry)
        let rc = uv_tcp_init(loop.raw, raw.assumingMemoryBound(to: uv_tcp_t.self))
        guard rc == 0 else {
            freeList.append(index)
            throw UVError(code: rc)
        }
        entry.pointee.tcp.data = raw
        entry.pointee.connect.data = raw
        entry.pointee.write.data = raw
        entry.pointee.table = Unmanaged.passRetained(self).toOpaque()
        entry.pointee.token = token
        entry.pointee.state = 1
        entry.pointee.connectPending = false
        return index
    }

    /// Starts connecting entry `index`; the outcome arrives as `connectionDidConnect` or `didFailToConnect`.
    func connect(_ index: Int32, to endpoint: Endpoint) throws(UVError) {
        let entry = entries[Int(index)]
        let request = withUnsafeMutablePointer(to: &entry.pointee.connect) { $0 }
        let rc = try endpoint.withSockaddr { address, _ in
            uv_tcp_connect(request, tcp(index), address) { request, status in
                let entry = ConnectionTable.entry(request!.pointee.data)
                ConnectionTable.table(entry).didConnect(entry, status: status)
            }
        }
        try UVError.check(rc, "uv_tcp_connect")
        entry.pointee.connectPending = true
    }

    private func didConnect(_ entry: UnsafeMutablePointer<Entry>, status: Int32) {
        entry.pointee.connectPending = false
        guard entry.pointee.state == 1 else { return }
        if status < 0 {
            delegate?.connection(token: entry.pointee.token, didFailToConnect: UVError(code: status))
            return
        }
        uv_tcp_nodelay(tcp(entry.pointee.index), 1)
        delegate?.connectionDidConnect(token: entry.pointee.token)
    }

    /// Reads what the peer sends; each read is reported by its length.
    func startReading(_ index: Int32) -> UVError? {
        let rc = uv_read_start(CUV_tcp_as_stream(tcp(index)), { handle, _, buffer in
            let table = ConnectionTable.table(ConnectionTable.entry(handle!.pointee.data))
            buffer!.pointee = uv_buf_init(table.readBuffer.base.assumingMemoryBound(to: CChar.self),
                                          UInt32(table.readBuffer.size))
        }, { stream, count, _ in
            let entry = ConnectionTable.entry(stream!.pointee.data)
            ConnectionTable.table(entry).didRead(entry, count: count)
        })
        return rc < 0 ? UVError(code: rc) : nil
    }

    private func didRead(_ entry: UnsafeMutablePointer<Entry>, count: Int) {
        guard entry.pointee.state == 1 else { return }
        if count > 0 {
            delegate?.connection(token: entry.pointee.token, didRead: count)
        } else if count < 0 {
            // libuv 1.44 reports a reset that comes with the last data as EOF: SO_ERROR tells them apart.
            var error: UVError? = count == Int(UV_EOF.rawValue) ? nil : UVError(code: Int32(count))
            if error == nil, let pending = pendingError(entry.pointee.index) { error = pending }
            delegate?.connection(token: entry.pointee.token, didEndWith: error)
        }
    }

    private func pendingError(_ index: Int32) -> UVError? {
        let fd = fileDescriptor(index)
        guard fd >= 0 else { return nil }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error != 0 else { return nil }
        return UVError(code: -error)
    }

    /// Entry `index`'s write buffer (`writeCapacity` bytes), valid until the entry is closed.
    func writeBuffer(_ index: Int32) -> UnsafeMutablePointer<UInt8> {
        entries[Int(index)].pointee.writeBuffer!
    }

    /// Writes the first `count` bytes of the entry's write buffer: at once when the socket takes them, else the
    /// rest later (`didFinishWrite`).
    func write(_ index: Int32, count: Int) -> WriteResult {
        let entry = entries[Int(index)]
        let base = UnsafeMutableRawPointer(entry.pointee.writeBuffer!).assumingMemoryBound(to: CChar.self)
        var buffer = uv_buf_init(base, UInt32(count))
        let stream = CUV_tcp_as_stream(tcp(index))
        let written = uv_try_write(stream, &buffer, 1)
        if written == Int32(count) { return .done }
        if written < 0 && written != UV_EAGAIN.rawValue { return .failed(UVError(code: written)) }
        let offset = max(0, Int(written))
        buffer = uv_buf_init(base + offset, UInt32(count - offset))
        let request = withUnsafeMutablePointer(to: &entry.pointee.write) { $0 }
        let rc = uv_write(request, stream, &buffer, 1) { request, status in
            let entry = ConnectionTable.entry(request!.pointee.data)
            guard entry.pointee.state == 1 else { return }
            ConnectionTable.table(entry).delegate?.connection(token: entry.pointee.token,
                                                              didFinishWrite: status < 0 ? UVError(code: status) : nil)
        }
        return rc < 0 ? .failed(UVError(code: rc)) : .pending
    }

    /// The entry's socket, or -1.
    func fileDescriptor(_ index: Int32) -> Int32 {
        var fd: uv_os_fd_t = -1
        return uv_fileno(CUV_tcp_as_handle(tcp(index)), &fd) == 0 ? fd : -1
    }

    /// The entry's local `ip:port` (empty before the socket exists), in a buffer valid until the next call.
    func localAddress(_ index: Int32) -> UnsafeRawBufferPointer {
        let n = CLoadGenSys_socket_local_address(fileDescriptor(index), addressBuffer, 64)
        return UnsafeRawBufferPointer(start: addressBuffer, count: max(0, Int(n)))
    }

    /// Closes entry `index`: with a FIN, or with `reset` an RST (SO_LINGER 0). No delegate call follows. Returns
    /// true when the handshake had completed but libuv had not reported it yet (the server counted the
    /// connection; the owner never saw it).
    @discardableResult
    func close(_ index: Int32, reset: Bool) -> Bool {
        let entry = entries[Int(index)]
        guard entry.pointee.state == 1 else { return false }
        entry.pointee.state = 2
        if reset {
            let fd = fileDescriptor(index)
            if fd >= 0 {
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            }
        }
        var unreported = false
        if entry.pointee.connectPending {
            var address = sockaddr_storage()
            var length = Int32(MemoryLayout<sockaddr_storage>.size)
            unreported = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getpeername(tcp(index), $0, &length) == 0 }
            }
        }
        uv_close(CUV_tcp_as_handle(tcp(index))) { handle in
            let entry = ConnectionTable.entry(handle!.pointee.data)
            let table = Unmanaged<ConnectionTable>.fromOpaque(entry.pointee.table!)
            entry.pointee.state = 0
            entry.pointee.table = nil
            table.takeUnretainedValue().freeList.append(entry.pointee.index)
            table.release()
        }
        return unreported
    }
}
