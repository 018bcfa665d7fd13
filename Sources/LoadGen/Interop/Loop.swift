import CUV

/// One libuv loop. Owned by the thread that created it; closed by `close()` once `run()` has returned.
final class Loop {
    let raw: UnsafeMutablePointer<uv_loop_t>

    init() throws(UVError) {
        raw = .allocate(capacity: 1)
        do {
            try UVError.check(uv_loop_init(raw), "uv_loop_init")
        } catch {
            raw.deallocate()
            throw error
        }
    }

    /// Runs until no active handles remain.
    func run() {
        uv_run(raw, UV_RUN_DEFAULT)
    }

    /// Runs one iteration, blocking until at least one event (use a timer to bound it).
    func runOnce() {
        uv_run(raw, UV_RUN_ONCE)
    }

    /// Runs the loop while `condition` holds, until `deadlineNanos` at the latest (a 10 ms timer keeps it from
    /// blocking past the deadline). For set-up before the run starts.
    func run(until deadlineNanos: UInt64, while condition: () -> Bool) throws(UVError) {
        let wakeUp = try LoopTimer(loop: self) {}
        wakeUp.start(afterMillis: 10, repeatMillis: 10)
        while condition() && Loop.nowNanos < deadlineNanos {
            runOnce()
        }
        wakeUp.close()
    }

    /// Closes the loop after every handle closed; runs the loop once more to finish pending close callbacks.
    /// A handle its owner never closed (a bug) would keep the loop busy for ever: after 1,000 rounds such handles
    /// are closed here without a callback — their memory is leaked (and shows under LeakSanitizer), the run ends.
    func close() {
        var rounds = 0
        while uv_loop_close(raw) == UV_EBUSY.rawValue {
            rounds += 1
            if rounds == 1_000 {
                uv_walk(raw, { handle, _ in
                    if uv_is_closing(handle) == 0 { uv_close(handle, nil) }
                }, nil)
            }
            uv_run(raw, UV_RUN_NOWAIT)
        }
        raw.deallocate()
    }

    /// Monotonic nanoseconds (`uv_hrtime`, not the cached `uv_now`).
    @inline(__always)
    static var nowNanos: UInt64 { uv_hrtime() }
}
