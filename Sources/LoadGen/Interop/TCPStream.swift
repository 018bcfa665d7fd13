import CUV
import Glibc

/// Receives the events of one `TCPStream`, on the loop thread.
protocol TCPStreamDelegate: AnyObject {
    func streamDidConnect(_ stream: TCPStream)
    func stream(_ stream: TCPStream, didFailToConnect error: UVError)
    /// Bytes read; valid only during the call (they live in the loop's shared read buffer).
    func stream(_ stream: TCPStream, didRead bytes: UnsafeRawBufferPointer)
    /// The peer closed (`error` nil) or the read failed.
    func stream(_ stream: TCPStream, didEndWith error: UVError?)
    /// A write failed (successful writes are not reported).
    func stream(_ stream: TCPStream, didWrite error: UVError?)
    /// A write that `write` could not finish at once has completed.
    func streamDidDrain(_ stream: TCPStream)
    /// TLS: the handshake completed (`streamDidConnect` reported the TCP connection before it); `stream.tls`
    /// says what was agreed.
    func streamDidFinishHandshake(_ stream: TCPStream)
    /// TLS: the handshake failed, or the TLS connection did afterwards (an alert, a corrupt record). The
    /// delegate closes the stream.
    func stream(_ stream: TCPStream, didFailTLS failure: TLSFailure)
}

/// The read buffer shared by every stream of one loop: libuv fills it right before the read callback, and each
/// callback is done with it when it returns, so 10,000 connections need one buffer, not 10,000.
final class ReadBuffer {
    let base: UnsafeMutableRawPointer
    let size: Int

    init(size: Int = 256 * 1024) {
        self.size = size
        base = .allocate(byteCount: size, alignment: 16)
    }

    deinit { base.deallocate() }
}

/// One TCP connection (`uv_tcp_t`) with its connect and write requests, allocated together once. Loop thread
/// only; `close()` stops reading and releases it in the close callback. At most one write is in flight; the
/// bytes written must stay valid until `didWrite`. With `tls` set (before `connect`) the stream speaks TLS:
/// `TCPStream+TLS` handshakes after the TCP connect, and reads and writes carry plaintext.
final class TCPStream {
    private struct Handles {
        var tcp = uv_tcp_t()
        var connect = uv_connect_t()
        var write = uv_write_t()
    }

    /// The owner's number for this stream (its connection index).
    let tag: Int
    private let handles: UnsafeMutablePointer<Handles>
    private let readBuffer: ReadBuffer
    unowned(unsafe) let delegate: any TCPStreamDelegate
    /// TLS over this connection (https, DoT); nil: plain TCP.
    var tls: TLSStream?
    private(set) var closed = false
    /// A `uv_write` is in flight.
    private(set) var writing = false
    /// A connect was started and libuv has not reported its outcome yet.
    private var connectPending = false

    init(loop: Loop, tag: Int, readBuffer: ReadBuffer, delegate: any TCPStreamDelegate) throws(UVError) {
        self.tag = tag
        self.readBuffer = readBuffer
        self.delegate = delegate
        handles = .allocate(capacity: 1)
        handles.initialize(to: Handles())
        let tcp = UnsafeMutableRawPointer(handles).assumingMemoryBound(to: uv_tcp_t.self)
        do {
            try UVError.check(uv_tcp_init(loop.raw, tcp), "uv_tcp_init")
        } catch {
            handles.deallocate()
            throw error
        }
        let me = Unmanaged.passRetained(self).toOpaque()
        handles.pointee.tcp.data = me
        handles.pointee.connect.data = me
        handles.pointee.write.data = me
    }

    private var tcp: UnsafeMutablePointer<uv_tcp_t> {
        UnsafeMutableRawPointer(handles).assumingMemoryBound(to: uv_tcp_t.self)
    }

    private static func from(_ data: UnsafeMutableRawPointer?) -> TCPStream {
        Unmanaged<TCPStream>.fromOpaque(data!).takeUnretainedValue()
    }

    /// Runs `body` with the stream behind libuv's data pointer, without retaining it (every read and write).
    @inline(__always)
    private static func with<R>(_ data: UnsafeMutableRawPointer?, _ body: (TCPStream) -> R) -> R {
        Unmanaged<TCPStream>.fromOpaque(data!)._withUnsafeGuaranteedRef(body)
    }

    /// Starts connecting; the result arrives as `streamDidConnect` or `didFailToConnect`.
    func connect(to endpoint: Endpoint) throws(UVError) {
        let connectRequest = withUnsafeMutablePointer(to: &handles.pointee.connect) { $0 }
        let result = try endpoint.withSockaddr { address, _ in
            uv_tcp_connect(connectRequest, tcp, address) { request, status in
                let stream = TCPStream.from(request!.pointee.data)
                stream.didConnect(status: status)
            }
        }
        try UVError.check(result, "uv_tcp_connect")
        connectPending = true
    }

    private func didConnect(status: Int32) {
        connectPending = false
        guard !closed else { return }
        if status < 0 {
            delegate.stream(self, didFailToConnect: UVError(code: status))
            return
        }
        uv_tcp_nodelay(tcp, 1)
        let rc = uv_read_start(CUV_tcp_as_stream(tcp), { handle, _, buffer in
            TCPStream.with(handle!.pointee.data) { stream in
                buffer!.pointee = uv_buf_init(stream.readBuffer.base.assumingMemoryBound(to: CChar.self),
                                              UInt32(stream.readBuffer.size))
            }
        }, { streamHandle, count, _ in
            TCPStream.with(streamHandle!.pointee.data) { $0.didRead(count: count) }
        })
        if rc < 0 {
            delegate.stream(self, didFailToConnect: UVError(code: rc))
            return
        }
        delegate.streamDidConnect(self)
        if tls != nil && !closed { startHandshake() }
    }

    private func didRead(count: Int) {
        guard !closed else { return }
        if let tls {
            didReadTLS(tls, count: count)
        } else if count > 0 {
            delegate.stream(self, didRead: UnsafeRawBufferPointer(start: readBuffer.base, count: count))
        } else if count < 0 {
            delegate.stream(self, didEndWith: endError(count: count))
        }
    }

    /// Why a read of `count` < 0 ended the stream: nil for a clean end of file.
    func endError(count: Int) -> UVError? {
        count == Int(UV_EOF.rawValue) ? pendingSocketError : UVError(code: Int32(count))
    }

    /// The shared read buffer holding the `count` bytes just read.
    func bytesRead(_ count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: readBuffer.base, count: count)
    }

    /// Writes `bytes` (kept alive by the caller until `didWrite`). Small writes usually complete at once with
    /// `uv_try_write` (no request, no callback, no epoll change); only the rest waits for a `uv_write`, whose
    /// completion or failure arrives as `didWrite`. A failure of the immediate write is reported before this
    /// returns. Returns true when everything was written at once; otherwise `streamDidDrain` (or `didWrite`
    /// with the error) follows.
    /// With TLS, `bytes` are plaintext, encrypted at once (they may be reused when this returns).
    @discardableResult
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if let tls { return writeTLS(tls, bytes) }
        return writeRaw(bytes)
    }

    /// Writes bytes as they are, as `write` describes.
    func writeRaw(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let base = UnsafeMutableRawPointer(mutating: bytes.baseAddress!).assumingMemoryBound(to: CChar.self)
        var buffer = uv_buf_init(base, UInt32(bytes.count))
        let written = uv_try_write(CUV_tcp_as_stream(tcp), &buffer, 1)
        if written == Int32(bytes.count) { return true }
        if written < 0 && written != UV_EAGAIN.rawValue {
            delegate.stream(self, didWrite: UVError(code: written))
            return false
        }
        let offset = max(0, Int(written))
        buffer = uv_buf_init(base + offset, UInt32(bytes.count - offset))
        let writeRequest = withUnsafeMutablePointer(to: &handles.pointee.write) { $0 }
        let rc = uv_write(writeRequest, CUV_tcp_as_stream(tcp), &buffer, 1) { request, status in
            let stream = TCPStream.from(request!.pointee.data)
            stream.writing = false
            guard !stream.closed else { return }
            if status < 0 {
                stream.delegate.stream(stream, didWrite: UVError(code: status))
            } else if let tls = stream.tls {
                stream.didDrainTLS(tls)
            } else {
                stream.delegate.streamDidDrain(stream)
            }
        }
        if rc < 0 {
            delegate.stream(self, didWrite: UVError(code: rc))
        } else {
            writing = true
        }
        return false
    }

    /// libuv 1.44 reports a hang-up that comes with the last data (EPOLLIN|EPOLLERR|EPOLLHUP after a partial read)
    /// as end-of-file, so a reset would read as a clean close: the socket's pending error (SO_ERROR) tells them
    /// apart. nil when there is none (a real FIN).
    private var pendingSocketError: UVError? {
        let fd = fileDescriptor
        guard fd >= 0 else { return nil }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error != 0 else { return nil }
        return UVError(code: -error)
    }

    /// The socket's descriptor, or -1.
    var fileDescriptor: Int32 {
        var fd: uv_os_fd_t = -1
        return uv_fileno(CUV_tcp_as_handle(tcp), &fd) == 0 ? fd : -1
    }

    /// Writes what it can of `bytes` now, without a request or a callback (the last bytes of a closing
    /// connection); false when the socket took less, or nothing.
    func tryWriteOnce(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return true }
        var buffer = uv_buf_init(UnsafeMutableRawPointer(mutating: base).assumingMemoryBound(to: CChar.self),
                                 UInt32(bytes.count))
        return uv_try_write(CUV_tcp_as_stream(tcp), &buffer, 1) == Int32(bytes.count)
    }

    /// Closes the connection; no delegate call follows. Pending connect and write callbacks are cancelled by
    /// libuv before the close callback releases the stream. Returns true when the handshake had completed but
    /// libuv had not reported the connect yet: a connection the server accepted that the owner never saw (it
    /// still counts as opened).
    @discardableResult
    func close() -> Bool {
        guard !closed else { return false }
        if let tls { sendClosingTLS(tls) }
        closed = true
        var establishedUnreported = false
        if connectPending {
            var address = sockaddr_storage()
            var length = Int32(MemoryLayout<sockaddr_storage>.size)
            establishedUnreported = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getpeername(tcp, $0, &length) == 0 }
            }
        }
        uv_close(CUV_tcp_as_handle(tcp)) { handle in
            let data = handle!.pointee.data
            TCPStream.from(data).handles.deallocate()
            Unmanaged<TCPStream>.fromOpaque(data!).release()
        }
        return establishedUnreported
    }
}
