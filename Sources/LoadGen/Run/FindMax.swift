import Glibc

/// `--find-max` (issue 12, point 3): the highest rate the target holds. Each step is a whole open-loop run of
/// `stepNanos` at one rate, with its own exact counts, drained before the next; `FindMaxSearch` picks the rates. A
/// step holds when its loss ((timeouts + errors) / sent) is at most `maxLoss`, at most `maxLoss` of what it intended
/// went unsent (the client or the connections could not keep up), and every `--max-latency` limit holds.
enum FindMax {
    struct Settings: Sendable {
        var startRate: Double
        var maxLoss: Double
        var stepNanos: UInt64
        var growth: Double
        var precision: Double
        /// `--max-latency pNN=DUR` limits a step must keep.
        var latencyLimits: [Threshold]
    }

    struct Step: Sendable {
        let rate: Double
        let result: RunResult
        /// nil: the step held; else why it did not.
        let failure: String?

        var held: Bool { failure == nil }
        var loss: Double { FindMax.loss(result) }
    }

    /// (timeouts + errors) / sent; 0 when nothing was sent.
    static func loss(_ result: RunResult) -> Double {
        let c = result.counters
        return c.sent == 0 ? 0 : Double(c.timeouts + c.errors) / Double(c.sent)
    }

    /// Why a step at `rate` did not hold, or nil when it did.
    static func judge(_ result: RunResult, rate: Double, _ settings: Settings) -> String? {
        let c = result.counters
        if c.sent == 0 { return "nothing was sent" }
        let loss = FindMax.loss(result)
        if loss > settings.maxLoss {
            return "loss \(Wording.percent(c.timeouts + c.errors, of: c.sent)) above \(percent(settings.maxLoss))"
        }
        if c.intended > 0, Double(c.notSent) / Double(c.intended) > settings.maxLoss {
            return "\(Wording.percent(c.notSent, of: c.intended)) of the intended events were not sent"
        }
        for outcome in Thresholds.evaluate(settings.latencyLimits, result, requestedRate: rate) where !outcome.held {
            let measured = TextReport.value(outcome.measured, outcome.threshold)
            return "\(outcome.threshold.name) \(measured) above \(TextReport.value(outcome.threshold.limit, outcome.threshold))"
        }
        return nil
    }

    private static func percent(_ ratio: Double) -> String {
        let text = Wording.rate(ratio * 100)
        return text + "%"
    }

    /// Runs the search: each step on `config` at its rate for `stepNanos`, with the concurrency `concurrency(rate)`
    /// gives. A stop request (Ctrl-C) ends the step it comes in and the search. Progress goes to stderr unless quiet.
    static func run(_ config: RunConfig, _ settings: Settings,
                    concurrency: (Double) -> Int) throws(RunFailure) -> [Step] {
        var search = FindMaxSearch(startRate: settings.startRate, growth: settings.growth, precision: settings.precision)
        var steps: [Step] = []
        while let rate = search.nextRate {
            var step = config
            let perSecond = UInt64(rate)
            step.load.pacer = Pacer(eventsPerSecondNumerator: perSecond, denominator: 1)
            step.load.requestedRate = rate / Double(config.load.shard.count)
            step.load.count = nil
            step.load.durationNanos = settings.stepNanos
            step.load.steps = nil
            step.load.shapeText = nil
            step.load.concurrency = concurrency(rate)
            step.load.startAt = nil
            step.privilegesOnLoopThreadsOnly = true
            let result = try Runner.run(step)
            // A step cut short by a stop request says nothing about its rate.
            let failure = result.interrupted ? "interrupted" : judge(result, rate: rate, settings)
            steps.append(Step(rate: rate, result: result, failure: failure))
            search.record(rate: rate, held: failure == nil)
            if !config.output.quiet {
                Console.error("loadgen: find-max step \(steps.count): \(Wording.rate(rate))/s \(failure.map { "failed: \($0)" } ?? "held") (loss \(String(format: "%.3f%%", loss(result) * 100)), response p99 \(TextReport.duration(Double(result.responseTime.percentileNanos(99)))))\n")
            }
            if result.interrupted { break }
        }
        return steps
    }
}

extension FindMaxSummary {
    /// The summary of a search's steps (the report layer knows no `FindMax`).
    init(_ steps: [FindMax.Step], _ settings: FindMax.Settings) {
        maxRate = steps.filter(\.held).map(\.rate).max()
        maxLoss = settings.maxLoss
        stepSeconds = Double(settings.stepNanos) / 1e9
        latencyLimits = settings.latencyLimits
        rows = steps.map { step in
            let c = step.result.counters, h = step.result.responseTime
            return Row(rate: step.rate, intended: c.intended, sent: c.sent, completed: c.completed, timeouts: c.timeouts,
                       errors: c.errors, notSent: c.notSent, achievedRate: step.result.achievedRate, loss: step.loss,
                       p50Nanos: h.percentileNanos(50), p99Nanos: h.percentileNanos(99), maxNanos: h.maxNanos,
                       failure: step.failure, responseTime: h)
        }
    }
}
