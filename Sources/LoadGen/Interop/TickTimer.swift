import CLoadGenSys
import Glibc

/// A one-shot timer armed at an absolute monotonic time with nanosecond precision, so an event intended at t is
/// issued at t, not at the next millisecond of libuv's timers. Two ways, chosen by its loop:
/// - a paced loop (`Loop.paced`, run by `runPaced()`) sleeps to the earliest armed deadline itself and fires it:
///   arming costs no system call, a wake-up one ppoll — best where nothing but deadlines wakes the thread;
/// - otherwise a timerfd watched by the loop (`Loop.run()`): one more system call per arming, none extra per
///   wake-up for I/O — best where answers wake the thread anyway (connections).
/// Loop thread only; `close()` disarms it for good (and closes the timerfd).
final class TickTimer {
    private let onFire: () -> Void
    /// When it fires next (monotonic ns), nil: not armed.
    private(set) var deadline: UInt64?
    private(set) var isClosed = false
    private var fd: Int32 = -1
    private var poll: SocketPoll?

    init(loop: Loop, onFire: @escaping () -> Void) throws(UVError) {
        self.onFire = onFire
        if loop.paced {
            loop.register(self)
            return
        }
        let fd = CLoadGenSys_timerfd_create()
        guard fd >= 0 else { throw UVError(code: fd) }
        self.fd = fd
        do {
            poll = try SocketPoll(loop: loop, fd: fd) { [unowned self] fd, _, _ in
                // The owner may close and release the timer from onFire: keep it alive to the end of the call.
                let timer = self
                timer.fire()
                // Re-arming resets the expiration count; otherwise read it so that the poll does not fire again.
                if timer.deadline == nil && timer.poll != nil { _ = CLoadGenSys_timerfd_drain(fd) }
            }
        } catch {
            Glibc.close(fd)
            throw error
        }
        poll?.watch(.readable)
    }

    /// Fires once at `nanos` on the `uv_hrtime` clock (CLOCK_MONOTONIC); a time in the past fires at once.
    func arm(atNanos nanos: UInt64) {
        guard !isClosed else { return }
        deadline = nanos
        if fd >= 0 { _ = CLoadGenSys_timerfd_arm_at(fd, nanos) }
    }

    /// Called once the deadline has passed: disarms, then runs the owner's callback (which may re-arm or close
    /// the timer).
    func fire() {
        deadline = nil
        // The owner may release the timer from onFire: keep it alive to the end of the call.
        withExtendedLifetime(self) { onFire() }
    }

    func close() {
        isClosed = true
        deadline = nil
        guard let poll else { return }
        poll.close()
        self.poll = nil
        Glibc.close(fd)
        fd = -1
    }
}
