import CUV

/// A repeating or one-shot libuv timer. Lives on its loop's thread; `close()` releases it in the close callback.
final class LoopTimer {
    private let handle: UnsafeMutablePointer<uv_timer_t>
    private let onFire: () -> Void
    private var closed = false

    init(loop: Loop, onFire: @escaping () -> Void) throws(UVError) {
        handle = .allocate(capacity: 1)
        self.onFire = onFire
        try UVError.check(uv_timer_init(loop.raw, handle), "uv_timer_init")
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    func start(afterMillis: UInt64, repeatMillis: UInt64) {
        uv_timer_start(handle, { timer in
            Unmanaged<LoopTimer>.fromOpaque(timer!.pointee.data).takeUnretainedValue().onFire()
        }, afterMillis, repeatMillis)
    }

    func stop() {
        uv_timer_stop(handle)
    }

    func close() {
        guard !closed else { return }
        closed = true
        uv_close(CUV_timer_as_handle(handle)) { h in
            let timer = UnsafeMutableRawPointer(h!).assumingMemoryBound(to: uv_timer_t.self)
            Unmanaged<LoopTimer>.fromOpaque(timer.pointee.data).release()
            timer.deallocate()
        }
    }
}
