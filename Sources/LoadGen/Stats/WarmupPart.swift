/// The events of the warmup (`--warmup DUR`: those intended in the run's first DUR): counted in the run's totals,
/// kept out of its histograms (response, service time and schedule lag), and reported apart with their own.
struct WarmupPart: Sendable {
    var sent: UInt64 = 0
    var completed: UInt64 = 0
    var timeouts: UInt64 = 0
    var errors: UInt64 = 0
    var cancelled: UInt64 = 0
    var responseTime = LatencyHistogram()
    var serviceTime = LatencyHistogram()

    mutating func add(_ other: WarmupPart) {
        sent += other.sent
        completed += other.completed
        timeouts += other.timeouts
        errors += other.errors
        cancelled += other.cancelled
        responseTime.add(other.responseTime)
        serviceTime.add(other.serviceTime)
    }
}
