import ArgumentParser

/// Limits a run must hold (k6's thresholds are the model): a breach makes loadgen exit 4 after printing its
/// report.
struct ThresholdOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Exit 4 when (errors + timeouts) / sent is above R (0 to 1, or a percentage: 0.01, 1%).", valueName: "R"),
            transform: { text throws(QuantityError) in try RatioArgument(text, allowZero: true) })
    var maxErrorRatio: RatioArgument?

    @Option(help: ArgumentHelp("Exit 4 when achieved / requested rate is below R (above 0, at most 1: 0.99, 99%); needs --rate or --interval.", valueName: "R"),
            transform: { text throws(QuantityError) in try RatioArgument(text, allowZero: false) })
    var minRateRatio: RatioArgument?

    @Option(help: ArgumentHelp("Exit 4 when the response time at percentile NN is above DUR, e.g. p99=5ms or p99.9=20ms (repeatable).", valueName: "pNN=DUR"),
            transform: { text throws(QuantityError) in try LatencyLimit(text) })
    var maxLatency: [LatencyLimit] = []

    func validate() throws {
        var seen: Set<Double> = []
        for limit in maxLatency where !seen.insert(limit.percentile).inserted {
            throw ValidationError("--max-latency: p\(Threshold.percentileText(limit.percentile)) is given twice; give each percentile once")
        }
    }

    /// The thresholds given, in the order: error ratio, rate ratio, latencies. `--min-rate-ratio` needs a
    /// requested rate (a closed loop has none to compare with).
    func thresholds(openLoop: Bool) throws(ValidationError) -> [Threshold] {
        var result: [Threshold] = []
        if let maxErrorRatio { result.append(.maxErrorRatio(maxErrorRatio.value)) }
        if let minRateRatio {
            guard openLoop else {
                throw ValidationError("--min-rate-ratio \(minRateRatio.text) compares the achieved with the requested rate, and a closed-loop run requests none; add --rate or --interval, or drop --min-rate-ratio")
            }
            result.append(.minRateRatio(minRateRatio.value))
        }
        for limit in maxLatency { result.append(.maxLatency(percentile: limit.percentile, nanos: limit.nanos)) }
        return result
    }

    /// The same options as command-line arguments (for `loadgen eventgen`, which runs `dns` or `http`).
    var arguments: [String] {
        var args: [String] = []
        if let maxErrorRatio { args += ["--max-error-ratio", maxErrorRatio.text] }
        if let minRateRatio { args += ["--min-rate-ratio", minRateRatio.text] }
        for limit in maxLatency { args += ["--max-latency", limit.text] }
        return args
    }
}

/// A ratio as the command line writes it: a decimal from 0 to 1 (`0.01`) or a percentage (`1%`).
struct RatioArgument: ExpressibleByArgument, Sendable, Equatable {
    let value: Double
    let text: String

    init?(argument: String) {
        guard let parsed = try? RatioArgument(argument, allowZero: true) else { return nil }
        self = parsed
    }

    init(_ text: String, allowZero: Bool) throws(QuantityError) {
        value = try Quantity.ratio(text, allowZero: allowZero)
        self.text = text
    }
}

/// `pNN=DUR`: a response-time percentile (above 0, at most 100) and its limit in sleep(1) syntax.
struct LatencyLimit: ExpressibleByArgument, Sendable, Equatable {
    let percentile: Double
    let nanos: UInt64
    let text: String

    init?(argument: String) {
        guard let parsed = try? LatencyLimit(argument) else { return nil }
        self = parsed
    }

    init(_ text: String) throws(QuantityError) {
        (percentile, nanos) = try Quantity.latencyLimit(text)
        self.text = text
    }
}
