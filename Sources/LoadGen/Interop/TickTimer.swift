/// A one-shot timer armed at an absolute monotonic time with nanosecond precision, so an event intended at t is
/// issued at t, not at the next millisecond of libuv's timers. It is not a libuv handle: its loop's
/// `runPaced()` sleeps until the earliest armed deadline (or I/O) and fires it, so arming costs no system
/// call and a wake-up for an event costs one sleep. Loop thread only; `close()` disarms it for good.
final class TickTimer {
    private let onFire: () -> Void
    /// When it fires next (monotonic ns), nil: not armed.
    private(set) var deadline: UInt64?
    private(set) var isClosed = false

    init(loop: Loop, onFire: @escaping () -> Void) {
        self.onFire = onFire
        loop.register(self)
    }

    /// Fires once at `nanos` on the `uv_hrtime` clock (CLOCK_MONOTONIC); a time in the past fires at once.
    func arm(atNanos nanos: UInt64) {
        guard !isClosed else { return }
        deadline = nanos
    }

    /// Called by the loop once the deadline has passed: disarms, then runs the owner's callback (which may re-arm
    /// or close the timer).
    func fire() {
        deadline = nil
        // The owner may release the timer from onFire: keep it alive to the end of the call.
        let timer = self
        timer.onFire()
    }

    func close() {
        isClosed = true
        deadline = nil
    }
}
