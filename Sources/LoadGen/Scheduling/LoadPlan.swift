/// What one loop thread must issue: its share of the run's events. Thread `k` of `T` takes the global events
/// `k, k+T, k+2T, …`, so together the threads issue every event exactly once, at the global rate, with one
/// shared origin, and an event's global index is its sequence number.
struct LoadPlan: Sendable, Equatable {
    /// `nil`: closed loop (keep `maxInFlight` in flight).
    let pacer: Pacer?
    /// Total events in the run (all threads), `nil` for unbounded (then `durationNanos` bounds it).
    let totalEvents: UInt64?
    let durationNanos: UInt64?
    let threadIndex: UInt64
    let threadCount: UInt64
    let maxInFlight: Int

    /// The number of events this thread may issue at most, from the count and, in open loop, the duration.
    var localLimit: UInt64 {
        var globalLimit = totalEvents ?? .max
        if let pacer, let durationNanos {
            // Events intended strictly before the end of the duration.
            globalLimit = min(globalLimit, durationNanos == 0 ? 0 : pacer.eventsDue(atOffset: durationNanos - 1))
        }
        return LoadPlan.share(of: globalLimit, thread: threadIndex, of: threadCount)
    }

    /// How many of the global events `0..<total` fall to thread `thread` of `count`.
    static func share(of total: UInt64, thread: UInt64, of count: UInt64) -> UInt64 {
        if total == .max { return .max }
        return total > thread ? (total - thread - 1) / count + 1 : 0
    }

    /// The global sequence number of this thread's `local`-th event.
    @inline(__always)
    func sequence(ofLocal local: UInt64) -> UInt64 {
        local &* threadCount &+ threadIndex
    }
}
