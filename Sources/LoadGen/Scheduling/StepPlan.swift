/// Where a shaped run (`--steps`, `--rate A..B --ramp`) reports its parts: a window per held step, one per second
/// of a ramp (longer when a ramp has more than `maxWindowsPerRamp` seconds), and one for the hold after the shape.
/// An event belongs to the window of its intended time. Offsets are from the origin.
struct StepPlan: Sendable, Equatable {
    struct Window: Sendable, Equatable {
        let startNanos: UInt64
        let endNanos: UInt64
        /// The requested rate at the start and the end of the window (equal while a step holds).
        let fromRate: Double
        let toRate: Double
        /// The user's step (from 1) the window is part of; 0 for the hold after the last one.
        let step: Int

        var durationNanos: UInt64 { endNanos - startNanos }
    }

    static let maxWindowsPerRamp: UInt64 = 300
    let windows: [Window]

    /// The windows of `shape` up to `endNanos`, the end of the run's schedule.
    init(shape: RateShape, endNanos: UInt64) {
        var windows: [Window] = []
        for (number, segment) in zip(1..., shape.segments) where segment.startNanos < endNanos {
            let end = min(segment.endNanos, endNanos)
            guard segment.isRamp else {
                windows.append(Window(startNanos: segment.startNanos, endNanos: end, fromRate: segment.fromRate,
                                      toRate: segment.toRate, step: number))
                continue
            }
            let seconds = (segment.durationNanos + 999_999_999) / 1_000_000_000
            let width = 1_000_000_000 * ((seconds + StepPlan.maxWindowsPerRamp - 1) / StepPlan.maxWindowsPerRamp)
            var start = segment.startNanos
            while start < end {
                let stop = min(start + width, end)
                windows.append(Window(startNanos: start, endNanos: stop, fromRate: shape.rate(atOffset: start),
                                      toRate: stop == segment.endNanos ? segment.toRate : shape.rate(atOffset: stop),
                                      step: number))
                start = stop
            }
        }
        if endNanos > shape.lengthNanos {
            let rate = shape.segments.last!.toRate
            windows.append(Window(startNanos: shape.lengthNanos, endNanos: endNanos, fromRate: rate, toRate: rate, step: 0))
        }
        self.windows = windows
    }

    /// A plan of the given windows (a report's `steps` read back by `loadgen merge`).
    init(windows: [Window]) {
        self.windows = windows
    }

    /// The window of an event intended `offsetNanos` after the origin (past the last: the last).
    @inline(__always)
    func window(ofOffset offsetNanos: UInt64) -> Int {
        var low = 0, high = windows.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if windows[mid].startNanos <= offsetNanos { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// How many of one loop thread's events are intended in each window: the global events with intended time in
    /// the window (from the pacer), the thread's share of them (`plan`), and no more than the `intended` events the
    /// thread accounted for in all (a run stopped early intended fewer).
    func intended(pacer: Pacer, plan: LoadPlan, threadIntended: UInt64) -> [UInt64] {
        var counts: [UInt64] = []
        var before: UInt64 = 0
        for window in windows {
            let due = pacer.eventsDue(atOffset: window.endNanos - 1)
            let end = LoadPlan.share(of: due, thread: plan.threadIndex, of: plan.threadCount)
            counts.append(min(end, threadIntended) - min(before, threadIntended))
            before = end
        }
        return counts
    }
}
