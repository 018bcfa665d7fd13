import ArgumentParser
import CLoadGenSys

/// What `loadgen tcp` and `loadgen udp` share: their option groups, their target, their run.
protocol KindCommand: StreamCommand {
    var load: LoadOptions { get }
    var target: TargetOptions { get }
    var output: OutputOptions { get }
    var privileges: PrivilegeOptions { get }
    /// `HOST:PORT [HOST:PORT ...]` as given.
    var endpoints: [String] { get }
    /// `--dns-server`: who resolves a host name target (else the target's resolv.conf).
    var dnsServers: [String] { get }
    /// The kind's settings, validated (usage errors name the flag).
    func kindSettings(into config: inout RunConfig) throws
    /// The most events in flight when --concurrency is not given, for a run at `rate` (nil: closed loop).
    static func defaultConcurrency(rate: Double?, timeoutNanos: UInt64, threads: Int) -> Int
    /// Open files each event in flight needs (a TCP connection's socket; UDP: none beyond the thread's).
    static var filesPerEvent: Int { get }
}

enum KindCommandSupport {
    /// `HOST:PORT [HOST:PORT ...]` (each an IPv4 literal, an [IPv6] literal or a host name, and a port): the
    /// targets of loadgen tcp and udp. A bad one is named by its position and text. A name's DNS servers are chosen
    /// later, with the namespaces (`nameServers`).
    static func targets(_ texts: [String], command: String) throws(ValidationError) -> [KindTarget] {
        guard !texts.isEmpty else {
            throw ValidationError("give the target as HOST:PORT, e.g. loadgen \(command) 127.0.0.1:7000 or loadgen \(command) web:7000 (several take turns: loadgen \(command) 127.0.0.1:7000 [::1]:7000)")
        }
        var targets: [KindTarget] = []
        for (index, text) in texts.enumerated() {
            do {
                targets.append(KindTarget(given: try HostPort(parsing: text)))
            } catch {
                let position = texts.count > 1 ? "target \(index + 1) of \(texts.count): " : ""
                throw ValidationError(position + error.description)
            }
        }
        return targets
    }

    /// The DNS servers host name targets are resolved with: --dns-server, else the target's resolv.conf (as
    /// loadgen http). IP literals need none (a --dns-server given is still checked).
    static func nameServers(_ targets: inout [KindTarget], explicit: [String], spec: NetNamespace.Spec?) throws {
        guard targets.contains(where: \.given.isName) || !explicit.isEmpty else { return }
        let servers = try NameServers.choose(explicit: explicit, flag: "--dns-server", spec: spec).0
        for i in targets.indices where targets[i].given.isName { targets[i].dnsServers = servers }
    }

    /// A payload flag's text (escapes and placeholders), or nil when not given.
    static func payload(_ text: String?, flag: String, salt: UInt64) throws(ValidationError) -> Payload? {
        guard let text else { return nil }
        do {
            return try Payload(parsing: text, salt: salt)
        } catch {
            throw ValidationError("\(flag) '\(text)': \(error.description)")
        }
    }

    /// Validates every option (usage errors, exit 2) and opens the namespaces (exit 1 when one cannot be used).
    static func makeConfig<C: KindCommand>(_ command: C, kind: RunConfig.Kind) throws -> RunConfig {
        var parsed = try command.load.parsed()
        let specs = try command.target.specs()
        let threadsPerTarget = parsed.threads
        try command.target.apply(to: &parsed, targets: specs.count)
        var concurrency = C.defaultConcurrency(rate: parsed.requestedRate, timeoutNanos: parsed.timeoutNanos,
                                               threads: parsed.threads)
        if let given = parsed.concurrency {
            guard given >= parsed.threads else {
                throw ValidationError("--concurrency \(given) is below --threads \(parsed.threads); every thread needs at least one event in flight")
            }
            concurrency = given
        }
        var config = RunConfig(kind: kind, load: parsed.settings(concurrency: max(concurrency, parsed.threads)),
                               output: try command.output.settings(threads: parsed.threads), threadsPerTarget: threadsPerTarget)
        try command.kindSettings(into: &config)
        if config.tcp != nil { try nameServers(&config.tcp!.targets, explicit: command.dnsServers, spec: specs.first) }
        if config.udp != nil { try nameServers(&config.udp!.targets, explicit: command.dnsServers, spec: specs.first) }
        config.targets = try command.target.open(specs)
        try reserveFiles(events: concurrency * C.filesPerEvent, threads: parsed.threads)
        return config
    }

    /// Open loop: room for every event of one timeout, between `floor` and `ceiling` per thread.
    static func openLoopConcurrency(rate: Double, timeoutNanos: UInt64, threads: Int, floor: Int, ceiling: Int) -> Int {
        let perThread = rate * Double(timeoutNanos) / 1e9 / Double(threads)
        return Int(min(Double(ceiling), max(Double(floor), perThread.rounded(.up)))) * threads
    }

    /// Raises RLIMIT_NOFILE for the sockets of the events in flight, plus the loops' own descriptors.
    private static func reserveFiles(events: Int, threads: Int) throws {
        let needed = events + threads * 8 + 64
        let limit = ResourceLimits.raiseOpenFiles(to: needed)
        guard limit >= needed else {
            throw RunFailure("--concurrency \(events) needs \(needed) open files but RLIMIT_NOFILE is \(limit) and cannot be raised; run `ulimit -n \(needed)` first (or as root), or give a lower --concurrency")
        }
    }

    /// Runs the command: the search with --find-max, else one run and its report; exit codes as every kind.
    static func run<C: KindCommand>(_ command: C) throws {
        let plan = try command.privileges.plan()
        var config = try command.makeConfig()
        config.privileges = plan
        if let search = try command.findMax.settings(command.load, thresholds: command.thresholds) {
            CLoadGenSys_hold_stop_signals()
            let given = command.load.concurrency != nil
            try FindMax.runAndReport(config, search, concurrency: { rate in
                given ? config.load.concurrency
                    : max(config.load.threads, C.defaultConcurrency(rate: rate, timeoutNanos: config.load.timeoutNanos, threads: config.load.threads))
            }, header: { C.header(config: $0, thresholds: []) }, codeNames: C.codeName)
            return
        }
        let (header, result) = try Reports.runOnce(config, thresholds: command.thresholds,
                                                   header: { C.header(config: $0, thresholds: $1) }, codeNames: C.codeName)
        if let exit = Reports.verdict(header, result) { throw exit }
    }

    /// The report's header for a tcp or udp run.
    static func header(config: RunConfig, eventNoun: String, targets: [KindTarget], describing: String, workload: [String],
                       thresholds: [ThresholdOutcome]) -> ReportHeader {
        ReportHeader(
            kind: config.kind.rawValue, eventNoun: eventNoun, threads: config.load.threads, netns: config.targetsLabel,
            netnsInode: config.targets.first?.inode ?? NetNamespace.currentThreadInode,
            requestedRate: config.load.requestedRate, concurrency: config.load.concurrency,
            timeoutNanos: config.load.timeoutNanos, count: config.load.count,
            durationNanos: config.load.durationNanos, targets: targets.map(\.description), targetsSource: describing,
            transport: config.kind.rawValue, workload: workload, thresholds: thresholds,
            shard: config.load.shard, startAt: config.load.startAt?.text, warmupNanos: config.load.warmupNanos,
            shapeText: config.load.shapeText, steps: config.load.steps)
    }
}
