import CLoadGenSys
import Glibc

/// A one-shot timer armed at an absolute monotonic time with nanosecond precision (a timerfd watched by the
/// loop), so an event intended at t is issued at t, not at the next millisecond tick. Loop thread only;
/// `close()` stops the poll and closes the descriptor.
final class TickTimer {
    private let fd: Int32
    private var poll: SocketPoll?
    private let onFire: () -> Void
    /// Set by `arm`: re-arming resets the timerfd's expiration count, which makes it unreadable again without a
    /// read(2) — one system call less per wake-up, which precise pacing makes once per event.
    private var armed = false

    init(loop: Loop, onFire: @escaping () -> Void) throws(UVError) {
        let fd = CLoadGenSys_timerfd_create()
        guard fd >= 0 else { throw UVError(code: fd) }
        self.fd = fd
        self.onFire = onFire
        do {
            poll = try SocketPoll(loop: loop, fd: fd) { [unowned self] fd, _, _ in
                // The owner may close and release the timer from onFire: keep it alive to the end of the call.
                let timer = self
                timer.armed = false
                timer.onFire()
                // Not re-armed (and not closed meanwhile): read the expiration so that the poll does not fire again.
                if !timer.armed && timer.poll != nil { _ = CLoadGenSys_timerfd_drain(fd) }
            }
        } catch {
            Glibc.close(fd)
            throw error
        }
        poll?.watch(.readable)
    }

    /// Fires once at `nanos` on the `uv_hrtime` clock (CLOCK_MONOTONIC); a time in the past fires at once.
    func arm(atNanos nanos: UInt64) {
        _ = CLoadGenSys_timerfd_arm_at(fd, nanos)
        armed = true
    }

    func close() {
        guard let poll else { return }
        poll.close()
        self.poll = nil
        Glibc.close(fd)
    }
}
