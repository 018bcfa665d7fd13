import ArgumentParser
import Glibc
import Foundation

/// Load control shared by every subcommand (DESIGN.md §3). Every value is typed and checked against its range
/// while the command line is parsed; `parsed()` only combines them.
struct LoadOptions: ParsableArguments {
    /// The longest --duration (and --interval).
    static let maxDuration = TimeSpan.day * 30
    /// The range of --timeout: the scheduler checks timeouts once per tick (at most 1 ms apart), and c-ares takes
    /// the timeout in milliseconds.
    static let timeoutRange = (min: TimeSpan.millisecond, max: TimeSpan.hour)

    @Option(name: [.customShort("R"), .long],
            help: ArgumentHelp("Events per second across all threads, open loop: 2500, 20k, 1.5M (at most 50M); A..B goes linearly from A to B over --ramp (else over --duration), then holds B.", valueName: "N"),
            transform: RateArgument.parser)
    var rate: RateArgument?

    @Option(help: ArgumentHelp("With --rate A..B: reach B after DUR (with --rate B: from 0), then hold it; the run lasts DUR unless --duration or --count say otherwise. Reported per second.", valueName: "DUR"),
            transform: TimeSpan.parser(from: .millisecond, to: LoadOptions.maxDuration))
    var ramp: TimeSpan?

    @Option(help: ArgumentHelp("Rates in turn, RATE@DUR separated by commas, a RATE may be A..B (a ramp) or 0 (a pause): 1000@10s,5k@10s,1k..20k@30s. The run lasts their sum unless --duration or --count say otherwise (the last rate holds). Reported per step.", valueName: "STEPS"),
            transform: StepsArgument.parser)
    var steps: [RateShape.Piece]?

    @Option(help: ArgumentHelp("One event every DUR (the same as --rate 1/DUR): 1ms, 250us, 0.5s; from 20ns (50M/s) to 30d.", valueName: "DUR"),
            transform: LoadOptions.intervalParser)
    var interval: TimeSpan?

    /// --interval: one event every 20 ns (the cap of --rate, 50M/s) to 30 days.
    static let intervalParser = TimeSpan.parser(
        from: TimeSpan(nanos: 1_000_000_000 / Rate.maxPerSecond), to: maxDuration,
        tooShort: "is above 50M events per second, the most --rate takes too; use 20ns or longer")

    @Option(name: [.customShort("n"), .long],
            help: ArgumentHelp("Stop after N events were issued, then wait for them to finish (up to 2^53).", valueName: "N"),
            transform: Count.parser(max: Count.maxEvents, why: " (event numbers stay exact in JSON up to 2^53)"))
    var count: Count?

    @Option(name: [.customShort("d"), .long],
            help: ArgumentHelp("Stop issuing after DUR, at most 30d (default 10s when neither --count nor --duration is given).", valueName: "DUR"),
            transform: TimeSpan.parser(from: .nanosecond, to: LoadOptions.maxDuration))
    var duration: TimeSpan?

    @Option(help: ArgumentHelp("Most events in flight at once, up to 10M (closed loop without a rate). Default for dns: 100 closed loop; open loop rate × --timeout, from 10000 to 65536 per thread. For http: --connections (10), × --streams with --http2 (10 × 100).", valueName: "N"),
            transform: Count.parser(max: 10_000_000))
    var concurrency: Count?

    @Option(help: ArgumentHelp("Per event, from 1ms to 1h; an event not answered by then counts as a timeout (default 5s).", valueName: "DUR"),
            transform: TimeSpan.parser(from: LoadOptions.timeoutRange.min, to: LoadOptions.timeoutRange.max,
                                       tooShort: "is below 1ms, the granularity at which loadgen times events out; use 1ms to 1h"))
    var timeout: TimeSpan?

    @Option(name: [.customShort("t"), .long],
            help: ArgumentHelp("Event loops, from 1 to 256 (default 1), each on its own thread inside the target netns; the rate is split across them.", valueName: "N"),
            transform: Count.parser(max: 256))
    var threads: Count = Count(1)

    @Option(help: ArgumentHelp("precise (default): each event is sent at its own intended time, the loop thread waking for it with 1 µs timer slack. batch[=WINDOW]: wake at most once per WINDOW (20us to 1s; default 1ms, shorter above 50,000 events/s per thread to keep bursts near 50 events, not below 250us) and send what is due together: less CPU, sends up to a window late (schedule lag reports it).", valueName: "MODE"),
            transform: Pacing.parser)
    var pacing: Pacing?

    @Option(help: ArgumentHelp("Events intended in the run's first DUR are sent and counted, but kept out of the latency histograms and reported apart (warmup), from 1ms to 30d; shorter than the run.", valueName: "DUR"),
            transform: TimeSpan.parser(from: .millisecond, to: .day * 30))
    var warmup: TimeSpan?

    @Option(help: ArgumentHelp("The same as --pacing batch=DUR (kept for scripts).", valueName: "DUR"),
            transform: TimeSpan.parser(from: .microsecond * 20, to: .second))
    var tick: TimeSpan?

    @Option(help: ArgumentHelp("Do only this shard's part of the run: the events i ≡ I (mod N) of the global schedule, with --rate and --count global (shards count from 0).", valueName: "I/N"),
            transform: { (text: String) throws -> Shard in try Shard.parse(text) })
    var shard: Shard?

    @Option(help: ArgumentHelp("As --shard, with I from JOB_COMPLETION_INDEX (each pod of a Kubernetes Indexed Job).", valueName: "N"),
            transform: Count.parser(max: UInt64(Shard.maxCount)))
    var shards: Count?

    @Option(help: ArgumentHelp("Event 0's intended time, the same for every shard: RFC 3339 or Unix seconds (up to 24h ahead; a late shard sends what is already due at once).", valueName: "TIME"),
            transform: StartTime.parser)
    var startAt: StartTime?

    struct Parsed {
        var pacer: Pacer?
        var requestedRate: Double?
        var count: UInt64?
        var durationNanos: UInt64?
        var concurrency: Int?
        var timeoutNanos: UInt64
        var threads: Int
        var pacing = Pacing.precise
        var warmupNanos: UInt64?
        /// This process's part of the global schedule (`requestedRate` is already its share).
        var shard = Shard.whole
        var startAt: StartTime?
        /// The shaped rate as written (`--steps …`, `--rate A..B --ramp DUR`), for reports.
        var shapeText: String?

        /// The load of a run config, with the concurrency the command chose.
        func settings(concurrency: Int) -> RunConfig.Load {
            var steps: StepPlan?
            if let pacer, let shape = pacer.shape {
                let end = durationNanos ?? count.map { pacer.offsetNanos(ofEvent: $0) } ?? shape.lengthNanos
                steps = StepPlan(shape: shape, endNanos: max(1, end))
            }
            return RunConfig.Load(pacer: pacer, requestedRate: requestedRate, count: count, durationNanos: durationNanos,
                                  concurrency: concurrency, timeoutNanos: timeoutNanos, threads: threads,
                                  tickNanos: effectiveTickNanos, shard: shard, startAt: startAt,
                                  warmupNanos: warmupNanos, steps: steps, shapeText: shapeText)
        }

        /// The tick to use: 0 (a wake-up per event) for precise pacing; for batch pacing the window given, else
        /// 1 ms, shortened so that up to 4,000 events/s per thread each event gets its own wake-up, and above
        /// 50,000/s one thread sends about 50 events per wake-up (smaller bursts are kinder to servers' socket
        /// buffers); never below 250 µs. Wake-ups dominate the cost: at 50,000/s DNS a
        /// 640 µs window (bursts of 32) took about 14% more CPU than 1 ms (2026-12-07).
        var effectiveTickNanos: UInt64 {
            guard case .batch(let window) = pacing else { return 0 }
            if let window { return window }
            guard let pacer else { return 1_000_000 }
            let perThreadRate = max(pacer.rate / Double(threads * shard.count), 1)
            // Up to 4,000/s a thread wakes for every event (no pacing error); above, bursts of about 50.
            let nanos = perThreadRate <= 4_000 ? 1e9 / perThreadRate : 50e9 / perThreadRate
            return UInt64(min(1_000_000, max(250_000, nanos)))
        }
    }

    /// The load settings, defaults applied.
    func parsed() throws(ValidationError) -> Parsed {
        if rate != nil && interval != nil {
            throw ValidationError("--rate and --interval say the same thing; give one of them")
        }
        var result = Parsed(timeoutNanos: timeout?.nanos ?? 5_000_000_000, threads: Int(threads.value))
        if case .rate(let rate)? = rate {
            result.pacer = rate.pacer
            result.requestedRate = rate.perSecond
        }
        if let interval {
            result.pacer = Pacer(periodNanos: interval.nanos)
            result.requestedRate = 1e9 / Double(interval.nanos)
        }
        result.count = count?.value
        result.durationNanos = duration?.nanos
        if let shape = try shape() {
            try applyShape(shape, to: &result)
        } else {
            try checkScheduleSpan(result)
        }
        if result.count == nil && result.durationNanos == nil { result.durationNanos = 10_000_000_000 }
        result.concurrency = concurrency.map { Int($0.value) }
        if let tick {
            guard pacing == nil else { throw ValidationError("--tick DUR is --pacing batch=DUR: give one of them") }
            result.pacing = .batch(windowNanos: tick.nanos)
        } else if let pacing {
            result.pacing = pacing
        }
        try applyShard(to: &result)
        result.warmupNanos = warmup?.nanos
        try checkWarmup(result)
        return result
    }

    /// --warmup must leave part of the run to measure: shorter than --duration and than a paced --count's span.
    func checkWarmup(_ parsed: Parsed) throws(ValidationError) {
        guard let warmup else { return }
        if let duration = parsed.durationNanos, warmup.nanos >= duration {
            throw ValidationError("--warmup \(warmup) is not shorter than the run (--duration \(TimeSpan(nanos: duration))); nothing would be measured")
        }
        if parsed.durationNanos == nil, let count = parsed.count, let pacer = parsed.pacer, count > 0,
           warmup.nanos > pacer.offsetNanos(ofEvent: count - 1) {
            let span = String(format: "%.3f s", Double(pacer.offsetNanos(ofEvent: count - 1)) / 1e9)
            throw ValidationError("--warmup \(warmup) is longer than the schedule of --count \(count) (\(span)); nothing would be measured")
        }
    }
}

extension LoadOptions {
    /// --shard or --shards, and --start-at: the share of the rate this process reports as asked of it.
    func applyShard(to result: inout Parsed, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ValidationError) {
        if shard != nil && shards != nil {
            throw ValidationError("--shard I/N and --shards N say the same thing; give --shard outside Kubernetes, --shards in an Indexed Job")
        }
        if let shard { result.shard = shard }
        if let shards { result.shard = try Shard.fromJobIndex(count: Int(shards.value), environment: environment) }
        if let rate = result.requestedRate { result.requestedRate = rate / Double(result.shard.count) }
        if let startAt {
            let ahead = startAt.unixNanos - Int64(Date().timeIntervalSince1970 * 1e9)
            guard ahead <= StartTime.maxAheadNanos else {
                throw ValidationError("--start-at \(startAt.text) is more than 24h ahead; give a time closer to now")
            }
            result.startAt = startAt
        }
    }

    /// A paced --count must be schedulable (count × period in 64-bit nanoseconds) and, without --duration, end
    /// within the 30 days --duration allows.
    func checkScheduleSpan(_ parsed: Parsed) throws(ValidationError) {
        guard let count = parsed.count, let pacer = parsed.pacer else { return }
        let pace = rate.map { "--rate \(rateText($0))" } ?? "--interval \(interval?.description ?? "")"
        let (high, _) = count.multipliedFullWidth(by: pacer.periodNumerator)
        guard high < pacer.periodDenominator else {
            throw ValidationError("--count \(count) at \(pace) would take centuries to issue; lower --count or raise the rate")
        }
        let span = pacer.offsetNanos(ofEvent: count)
        guard parsed.durationNanos != nil || span <= LoadOptions.maxDuration.nanos else {
            let days = Double(span) / Double(TimeSpan.day.nanos)
            throw ValidationError("--count \(count) at \(pace) would issue for \(days < 1000 ? String(Int(days.rounded(.up))) : "over 1000") days; a run issues for at most 30d: lower --count, raise the rate, or add --duration")
        }
    }

    private func rateText(_ rate: RateArgument?) -> String {
        switch rate {
        case .rate(let r)?: return r.denominator == 1 ? String(r.numerator) : String(r.perSecond)
        case .range(let from, let to)?: return "\(Wording.rate(from))..\(Wording.rate(to))"
        case nil: return ""
        }
    }
}

/// The network namespaces to generate from (DESIGN.md §3): each option is repeatable, and one run generates in
/// every namespace named at once.
struct TargetOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Run inside this network namespace: a name under /run/netns or a path such as /proc/PID/ns/net (repeatable).", valueName: "NAME|PATH"))
    var netns: [String] = []

    @Option(help: ArgumentHelp("Run inside the network namespace of process PID, as nsenter -t PID -n (repeatable).", valueName: "PID"))
    var pid: [String] = []

    @Option(help: ArgumentHelp("Run inside the network namespace of a container: its ID or a unique prefix, as docker, containerd or CRI-O show it (found in /proc/*/cgroup; repeatable).", valueName: "ID"))
    var container: [String] = []

    @Option(help: ArgumentHelp("Run inside the network namespace of a Kubernetes pod on this node (asks kubectl for its container ID; repeatable).", valueName: "NAME"))
    var pod: [String] = []

    @Option(name: .customLong("namespace"), help: ArgumentHelp("The Kubernetes namespace of --pod.", valueName: "NS"))
    var podNamespace: String?

    @Option(help: ArgumentHelp("Which container of --pod (default: the first running one).", valueName: "NAME"))
    var podContainer: String?

    @Flag(help: "With several targets, --rate (or --interval) is each target's rate, not the total split among them.")
    var ratePerTarget = false

    /// The namespaces named, in the order: --netns, --pid, --container, --pod. Usage errors throw
    /// ValidationError; a container or pod that cannot be found throws RunFailure.
    func specs() throws -> [NetNamespace.Spec] {
        var specs: [NetNamespace.Spec] = []
        for netns in netns {
            guard !netns.isEmpty else { throw ValidationError("--netns: give a name under /run/netns or a path") }
            specs.append(netns.contains("/") ? .path(netns) : .name(netns))
        }
        for pid in pid {
            guard let value = Int32(pid), value > 0 else {
                throw ValidationError("--pid: '\(pid)' is not a process ID; give a number above zero such as $(pidof nginx)")
            }
            specs.append(.pid(value))
        }
        for id in container {
            do {
                let found = try ContainerTargets.scan(idPrefix: id)
                specs.append(.container("container:\(found.containerID.prefix(12))", pid: found.pid))
            } catch {
                if error.isUsageError { throw ValidationError(error.description) }
                throw RunFailure(error.description)
            }
        }
        for name in pod {
            do {
                let found = try ContainerTargets.pod(name: name, namespace: podNamespace, container: podContainer)
                specs.append(.container("pod:\(podNamespace.map { $0 + "/" } ?? "")\(name)", pid: found.pid))
            } catch {
                if error.isUsageError { throw ValidationError(error.description) }
                throw RunFailure(error.description)
            }
        }
        if (podNamespace != nil || podContainer != nil) && pod.isEmpty {
            throw ValidationError("--namespace and --pod-container go with --pod NAME")
        }
        guard Set(specs.map { "\($0)" }).count == specs.count else {
            throw ValidationError("the same namespace is named twice; name each target once")
        }
        return specs
    }

    /// Spreads the load over `targets` namespaces: -t threads per target, and with --rate-per-target a rate
    /// per target.
    func apply(to parsed: inout LoadOptions.Parsed, targets: Int) throws(ValidationError) {
        guard targets > 1 else {
            if ratePerTarget { throw ValidationError("--rate-per-target needs several targets (--netns, --pid, …)") }
            return
        }
        if ratePerTarget {
            guard let pacer = parsed.pacer else { throw ValidationError("--rate-per-target needs --rate or --interval") }
            parsed.pacer = pacer.scaled(by: UInt64(targets))
            parsed.requestedRate = parsed.requestedRate.map { $0 * Double(targets) }
        }
        parsed.threads *= targets
        guard parsed.threads <= 256 else {
            throw ValidationError("--threads \(parsed.threads / targets) for \(targets) targets makes \(parsed.threads) loop threads; at most 256")
        }
    }

    /// The single namespace named, or nil (for code that takes one target).
    func spec() throws -> NetNamespace.Spec? {
        try specs().first
    }

    /// Opens every namespace named (empty: the caller's own). A namespace that cannot be used throws
    /// RunFailure (exit 1).
    func open(_ specs: [NetNamespace.Spec]) throws -> [NetNamespace] {
        var opened: [NetNamespace] = []
        for spec in specs {
            do {
                opened.append(try NetNamespace.open(spec))
            } catch {
                throw RunFailure(error.description)
            }
        }
        if Set(opened.map(\.inode)).count != opened.count {
            throw RunFailure("two of the targets are the same network namespace (same inode); name each once")
        }
        return opened
    }
}

/// What is printed (DESIGN.md §3).
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document on stdout instead of the text report.")
    var json = false

    @Flag(help: "Add the full HdrHistogram percentile spectrum (response and service time).")
    var latency = false

    @Flag(help: "Print progress once a second on stderr (the default when stderr is a terminal).")
    var progress = false

    @Flag(help: "No progress and no notes on stderr.")
    var quiet = false

    @Option(help: ArgumentHelp("Write one JSON line per sent event as it finishes (ground truth for tracer tests); - for stdout, which moves the report to stderr.", valueName: "FILE"))
    var events: String?

    @Option(help: ArgumentHelp("Write an HdrHistogram interval log: one interval per second, response and service time tagged (HistogramLogReader, HdrHistogram's log analyzers, loadgen merge and plot read it).", valueName: "FILE"))
    var hlog: String?

    @Flag(name: .customLong("progress-json"), help: "Write one JSON line per second on stderr instead of the progress text: elapsed_s, intended, sent, completed, errors, timeouts, that second's send rate, answers and response time p50/p99 (µs).")
    var progressJSON = false

    /// The output settings, with the events file and the interval log opened (an interval log also feeds
    /// --progress-json its per-second percentiles, without a file when there is no --hlog).
    func settings(threads: Int) throws -> RunConfig.Output {
        let intervals: IntervalLog? = hlog != nil || progressJSON ? try IntervalLog(path: hlog, threads: threads) : nil
        return RunConfig.Output(json: json, latencySpectrum: latency, progress: !progressJSON && (progress || isatty(2) == 1), quiet: quiet,
                                events: try events.map { path throws(RunFailure) in try EventSink(path: path) },
                                hlog: intervals, progressJSON: progressJSON)
    }
}
