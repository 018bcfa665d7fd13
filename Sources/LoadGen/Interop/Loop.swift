import CLoadGenSys
import CUV

/// One libuv loop. Owned by the thread that created it; closed by `close()` once `run()` has returned.
final class Loop {
    let raw: UnsafeMutablePointer<uv_loop_t>
    /// Run by `runPaced()`, whose tick timers are deadlines it sleeps to (see `TickTimer`); set before any.
    var paced = false
    /// The tick timers that `runPaced()` fires.
    private var tickTimers: [TickTimer] = []

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

    func register(_ timer: TickTimer) {
        tickTimers.append(timer)
    }

    /// Runs until no active handles remain and no tick timer is armed, firing each tick timer at its deadline.
    /// Between deadlines the thread sleeps in one ppoll(2) on libuv's epoll descriptor, bounded by the earliest
    /// deadline and by libuv's own timers; only when something became readable, or libuv has work of its own
    /// (pending callbacks, closing handles, descriptors still to register with epoll), does a non-blocking
    /// `uv_run` handle it. A wake-up for a deadline alone thus costs one system call, as a `clock_nanosleep`
    /// loop would, where an armed timerfd cost two (arming it and epoll).
    func runPaced() {
        let backend = uv_backend_fd(raw)
        while true {
            uv_update_time(raw)
            var now = Loop.nowNanos
            var next = UInt64.max
            var i = 0
            while i < tickTimers.count {
                let timer = tickTimers[i]
                if let deadline = timer.deadline, deadline <= now {
                    timer.fire()
                    now = Loop.nowNanos
                }
                if let deadline = timer.deadline { next = min(next, deadline) }
                if timer.isClosed { tickTimers.remove(at: i) } else { i += 1 }
            }
            let alive = uv_loop_alive(raw) != 0
            if !alive && next == .max { return }
            if alive && (uv_backend_timeout(raw) == 0 || watchersPending) {
                uv_run(raw, UV_RUN_NOWAIT)
                continue
            }
            var wait: Int64 = next == .max ? -1 : Int64(next > now ? next - now : 0)
            var uvTimerFirst = false
            if alive, case let millis = uv_backend_timeout(raw), millis >= 0 {
                let uvWait = Int64(millis) * 1_000_000
                uvTimerFirst = wait < 0 || uvWait <= wait
                if uvTimerFirst { wait = uvWait }
            }
            if wait == 0 { continue }
            // With no active handle libuv would not poll: a descriptor it stopped watching but has not yet taken
            // out of epoll (it does that when the next event for it arrives) could keep the epoll descriptor
            // readable for ever (a connected UDP socket's ICMP error, say). Then sleep without it.
            let watched: Int32 = alive ? backend : -1
            // Readable, interrupted, or libuv's timer is due: let libuv run what it has.
            if CLoadGenSys_wait_readable(watched, wait) != 0 || uvTimerFirst { uv_run(raw, UV_RUN_NOWAIT) }
        }
    }

    /// libuv registers descriptors with epoll (and changes what they wait for) only inside `uv_run`: until then
    /// the epoll descriptor cannot wake for them.
    private var watchersPending: Bool {
        let queue = UnsafeMutableRawPointer(raw) + MemoryLayout<uv_loop_t>.offset(of: \.watcher_queue)!
        return raw.pointee.watcher_queue.0 != queue
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
