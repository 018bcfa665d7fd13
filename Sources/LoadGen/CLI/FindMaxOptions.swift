import ArgumentParser

/// `--find-max` and how it searches (issue 12, point 3).
struct FindMaxOptions: ParsableArguments {
    @Flag(help: "Find the highest rate the target holds: steps from --rate upward until one loses more than --max-loss (or breaks a --max-latency limit), then between the last that held and the first that failed; reports that rate and every step.")
    var findMax = false

    @Option(help: ArgumentHelp("--find-max: a step holds while (timeouts + errors) / sent, and the share of intended events not sent, are at most R (default 1%).", valueName: "R"),
            transform: { text throws(QuantityError) in try RatioArgument(text, allowZero: true) })
    var maxLoss: RatioArgument?

    @Option(help: ArgumentHelp("--find-max: how long each step sends, from 100ms to 1h (default 5s; each then waits for its answers, up to --timeout).", valueName: "DUR"),
            transform: TimeSpan.parser(from: .millisecond * 100, to: .hour))
    var stepDuration: TimeSpan?

    @Option(help: ArgumentHelp("--find-max: each step up asks this much more than the last that held, above 0 up to 100% (default 25%).", valueName: "R"),
            transform: { text throws(QuantityError) in try RatioArgument(text, allowZero: false) })
    var stepGrowth: RatioArgument?

    @Option(help: ArgumentHelp("--find-max: stop when the lowest rate that failed is within R above the highest that held, above 0 up to 100% (default 2%).", valueName: "R"),
            transform: { text throws(QuantityError) in try RatioArgument(text, allowZero: false) })
    var precision: RatioArgument?

    /// The search's settings, or nil without --find-max (its options then are a usage error). It starts at a
    /// single --rate and replaces --duration; --count, shapes, --warmup and --start-at do not fit a search.
    func settings(_ load: LoadOptions, thresholds: ThresholdOptions) throws(ValidationError) -> FindMax.Settings? {
        guard findMax else {
            if maxLoss != nil || stepDuration != nil || stepGrowth != nil || precision != nil {
                throw ValidationError("--max-loss, --step-duration, --step-growth and --precision go with --find-max")
            }
            return nil
        }
        guard case .rate(let rate)? = load.rate else {
            throw ValidationError("--find-max starts at --rate N and goes up from there; give --rate (a single rate, such as 1000)")
        }
        let conflicting: [(Bool, String)] = [
            (load.count != nil, "--count"), (load.duration != nil, "--duration (each step lasts --step-duration)"),
            (load.ramp != nil || load.steps != nil, "--ramp and --steps"), (load.warmup != nil, "--warmup"),
            (load.startAt != nil, "--start-at"), (thresholds.maxErrorRatio != nil || thresholds.minRateRatio != nil, "--max-error-ratio and --min-rate-ratio (use --max-loss)"),
        ]
        if let (_, flag) = conflicting.first(where: \.0) {
            throw ValidationError("--find-max runs its own steps; leave out \(flag)")
        }
        guard rate.perSecond >= 1 else {
            throw ValidationError("--find-max needs --rate of 1 or more events per second to start from")
        }
        let limits = try thresholds.thresholds(openLoop: true)
        return FindMax.Settings(startRate: rate.perSecond, maxLoss: maxLoss?.value ?? 0.01,
                                stepNanos: stepDuration?.nanos ?? 5_000_000_000, growth: stepGrowth?.value ?? 0.25,
                                precision: precision?.value ?? 0.02, latencyLimits: limits)
    }
}

extension FindMax {
    /// Runs the search for a command and prints its report: the full report of the step at the highest rate that
    /// held (else of the last step), with the search's table. Exit 1 when no step held.
    static func runAndReport(_ config: RunConfig, _ settings: Settings, concurrency: (Double) -> Int,
                             header: (RunConfig) -> ReportHeader, codeNames: (Int) -> String) throws {
        let steps = try run(config, settings, concurrency: concurrency)
        guard let shown = steps.filter(\.held).max(by: { $0.rate < $1.rate }) ?? steps.last else {
            throw RunFailure("--find-max ran no step")
        }
        var stepConfig = config
        stepConfig.load.requestedRate = shown.rate / Double(config.load.shard.count)
        stepConfig.load.durationNanos = settings.stepNanos
        stepConfig.load.count = nil
        var reportHeader = header(stepConfig)
        reportHeader.findMax = FindMaxSummary(steps, settings)
        Reports.emit(Reports.render(reportHeader, shown.result, output: config.output, codeNames: codeNames), output: config.output)
        if reportHeader.findMax?.maxRate == nil {
            throw RunExit(code: 1, description: "--find-max: no rate held, not even --rate \(Wording.rate(settings.startRate)) (\(shown.failure ?? "")); start lower")
        }
    }
}
