/// What `--find-max` found: the highest rate that held and every step it tried, in order. The report around it is
/// the full report of the step at that rate.
struct FindMaxSummary: Sendable {
    struct Row: Sendable {
        let rate: Double
        let intended: UInt64
        let sent: UInt64
        let completed: UInt64
        let timeouts: UInt64
        let errors: UInt64
        let notSent: UInt64
        let achievedRate: Double
        let loss: Double
        let p50Nanos: UInt64
        let p99Nanos: UInt64
        let maxNanos: UInt64
        /// nil: held.
        let failure: String?
        /// The step's response times, for exact merges of shards' searches (`hdr` in JSON); nil in a report of a
        /// loadgen that did not write them.
        var responseTime: LatencyHistogram? = nil
    }

    let maxRate: Double?
    let maxLoss: Double
    let stepSeconds: Double
    let latencyLimits: [Threshold]
    let rows: [Row]
}
