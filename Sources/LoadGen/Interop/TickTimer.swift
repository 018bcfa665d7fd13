import CLoadGenSys
import Glibc

/// A one-shot timer armed at an absolute monotonic time with nanosecond precision (a timerfd watched by the
/// loop), so an event intended at t is issued at t, not at the next millisecond tick. Loop thread only;
/// `close()` stops the poll and closes the descriptor.
final class TickTimer {
    private let fd: Int32
    private var poll: SocketPoll?
    private let onFire: () -> Void

    init(loop: Loop, onFire: @escaping () -> Void) throws(UVError) {
        let fd = CLoadGenSys_timerfd_create()
        guard fd >= 0 else { throw UVError(code: fd) }
        self.fd = fd
        self.onFire = onFire
        do {
            poll = try SocketPoll(loop: loop, fd: fd) { [unowned self] fd, _, _ in
                _ = CLoadGenSys_timerfd_drain(fd)
                self.onFire()
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
    }

    func close() {
        guard let poll else { return }
        poll.close()
        self.poll = nil
        Glibc.close(fd)
    }
}
