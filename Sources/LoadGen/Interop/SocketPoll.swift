import CUV

/// Readiness of one file descriptor someone else owns (c-ares' sockets). Loop thread only; `close()` before the
/// owner closes the descriptor.
final class SocketPoll {
    struct Events: OptionSet {
        let rawValue: Int32
        static let readable = Events(rawValue: Int32(UV_READABLE.rawValue))
        static let writable = Events(rawValue: Int32(UV_WRITABLE.rawValue))
    }

    let fd: Int32
    private let handle: UnsafeMutablePointer<uv_poll_t>
    private let onReady: (_ fd: Int32, _ events: Events, _ failed: Bool) -> Void
    private var closed = false

    init(loop: Loop, fd: Int32, onReady: @escaping (Int32, Events, Bool) -> Void) throws(UVError) {
        self.fd = fd
        self.onReady = onReady
        handle = .allocate(capacity: 1)
        do {
            try UVError.check(uv_poll_init_socket(loop.raw, handle, fd), "uv_poll_init_socket")
        } catch {
            handle.deallocate()
            throw error
        }
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    func watch(_ events: Events) {
        guard !events.isEmpty else {
            uv_poll_stop(handle)
            return
        }
        uv_poll_start(handle, events.rawValue) { h, status, events in
            let poll = Unmanaged<SocketPoll>.fromOpaque(h!.pointee.data).takeUnretainedValue()
            // On error libuv reports no events; let the owner read so it sees the socket error itself.
            let ready = status < 0 ? Events.readable : Events(rawValue: events)
            poll.onReady(poll.fd, ready, status < 0)
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        uv_poll_stop(handle)
        uv_close(CUV_poll_as_handle(handle)) { h in
            let poll = UnsafeMutableRawPointer(h!).assumingMemoryBound(to: uv_poll_t.self)
            Unmanaged<SocketPoll>.fromOpaque(poll.pointee.data).release()
            poll.deallocate()
        }
    }
}
