/// Some of a run's events, reported apart with their own counts and latencies: the warmup's (`--warmup DUR`:
/// those intended in the run's first DUR, counted in the run's totals but kept out of its histograms), or a step
/// window's of a shaped run (`StepPart`).
struct EventPart: Sendable, FateCounting {
    var sent: UInt64 = 0
    var completed: UInt64 = 0
    var timeouts: UInt64 = 0
    var errors: UInt64 = 0
    var cancelled: UInt64 = 0
    var responseTime = LatencyHistogram()
    var serviceTime = LatencyHistogram()

    /// With two-significant-digit histograms (for the many parts of a shaped run).
    static func coarse() -> EventPart {
        EventPart(responseTime: .coarse(), serviceTime: .coarse())
    }

    mutating func add(_ other: EventPart) {
        addFates(other)
        responseTime.add(other.responseTime)
        serviceTime.add(other.serviceTime)
    }
}
