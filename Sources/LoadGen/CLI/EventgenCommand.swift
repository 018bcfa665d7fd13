import ArgumentParser

/// `loadgen eventgen`: Inspektor Gadget's event generator flags, mapped onto `loadgen dns` / `loadgen http`,
/// so scripts written for IG's eventgen run unchanged (and get loadgen's counts and reports).
struct EventgenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eventgen",
        abstract: "Inspektor Gadget eventgen compatibility: --type dns|http --params domain:NAME|url:HOST[/PATH].",
        discussion: """
        --type dns --params domain:NAME runs `loadgen dns --name NAME` against the target's own resolvers;
        --type http --params url:HOST[/PATH] runs `loadgen http http://HOST[/PATH]`. --count -1 (IG's
        "unlimited") runs until Ctrl-C, at most 24 h. The interval defaults to 1ms, as IG documents.
        Example:
          sudo loadgen eventgen --type dns --params domain:example.com --count 100 --interval 10ms --pid 4242
        """
    )

    @Option(help: ArgumentHelp("dns or http.", valueName: "TYPE"))
    var type: String

    @Option(help: ArgumentHelp("domain:NAME for dns, url:HOST[/PATH] for http; every one given is a target, used round-robin (repeatable, or comma-separated).", valueName: "KEY:VALUE"))
    var params: [String] = []

    // Unconditional: "-1" is the value, not an unknown flag.
    @Option(parsing: .unconditional,
            help: ArgumentHelp("Events to generate, up to 2^53; -1 for unlimited (default 1).", valueName: "N"),
            transform: EventgenCount.parser)
    var count: EventgenCount = .events(Count(1))

    @Option(help: ArgumentHelp("One event every DUR, from 20ns to 30d (default 1ms).", valueName: "DUR"),
            transform: LoadOptions.intervalParser)
    var interval: TimeSpan = .millisecond

    @OptionGroup(title: "Target namespace") var target: TargetOptions
    @OptionGroup(title: "Output") var output: OutputOptions
    @OptionGroup(title: "Privileges") var privileges: PrivilegeOptions
    @OptionGroup(title: "Thresholds (exit 4 when one is breached)") var thresholds: ThresholdOptions

    /// The equivalent `loadgen dns` or `loadgen http` arguments.
    func translatedArguments() throws(ValidationError) -> [String] {
        var args = try targetArguments()
        switch count {
        case .unlimited: args += ["--duration", "24h"]
        case .events(let n): args += ["--count", n.description]
        }
        args += ["--interval", interval.description]
        for netns in target.netns { args += ["--netns", netns] }
        for pid in target.pid { args += ["--pid", pid] }
        for id in target.container { args += ["--container", id] }
        for name in target.pod { args += ["--pod", name] }
        if let ns = target.podNamespace { args += ["--namespace", ns] }
        if let c = target.podContainer { args += ["--pod-container", c] }
        if target.ratePerTarget { args.append("--rate-per-target") }
        if output.json { args.append("--json") }
        if output.latency { args.append("--latency") }
        if output.progress { args.append("--progress") }
        if output.quiet { args.append("--quiet") }
        if let events = output.events { args += ["--events", events] }
        args += thresholds.arguments
        args += privileges.arguments
        return args
    }

    /// `--name` per domain (dns) or one URL argument per url (http), in the order given.
    private func targetArguments() throws(ValidationError) -> [String] {
        let kind = type.lowercased()
        let key: String
        switch kind {
        case "dns": key = "domain"
        case "http": key = "url"
        default: throw ValidationError("--type: '\(type)' is not supported; use dns or http")
        }
        let usage = kind == "dns" ? "domain:NAME (--type dns)" : "url:HOST[/PATH] (--type http)"
        var args: [String] = []
        for param in params.flatMap({ $0.split(separator: ",").map(String.init) }) {
            guard let colon = param.firstIndex(of: ":") else {
                throw ValidationError("--params: '\(param)' is not KEY:VALUE; use \(usage)")
            }
            let value = String(param[param.index(after: colon)...])
            guard param[..<colon] == key, !value.isEmpty else {
                throw ValidationError("--params: '\(param)' does not go with --type \(kind); use \(usage)")
            }
            if kind == "dns" {
                args += ["--name", value]
            } else {
                args.append(value.contains("://") ? value : "http://" + value)
            }
        }
        guard !args.isEmpty else { throw ValidationError("--type \(kind) needs --params \(usage.split(separator: " ")[0])") }
        return args
    }

    func run() throws {
        let args = try translatedArguments()
        if type.lowercased() == "dns" {
            let command = try DNSCommand.parse(args)
            try command.run()
        } else {
            let command = try HTTPCommand.parse(args)
            try command.run()
        }
    }
}

/// eventgen's --count: a number of events, or -1 for as many as fit in 24 h (Inspektor Gadget's "unlimited").
enum EventgenCount: Sendable, Equatable {
    case events(Count)
    case unlimited

    static let parser: @Sendable (String) throws -> EventgenCount = { text in
        if text == "-1" { return .unlimited }
        do {
            return .events(try Count.parser(max: Count.maxEvents)(text))
        } catch {
            throw FlagValueError(description: "\(error); or -1 for unlimited")
        }
    }
}
