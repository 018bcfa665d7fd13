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

    @Option(help: ArgumentHelp("domain:NAME for dns, url:HOST[/PATH] for http (repeatable, or comma-separated).", valueName: "KEY:VALUE"))
    var params: [String] = []

    @Option(help: ArgumentHelp("Events to generate; -1 for unlimited (default 1).", valueName: "N"))
    var count: String = "1"

    @Option(help: ArgumentHelp("One event every DUR (default 1ms).", valueName: "DUR"))
    var interval: String = "1ms"

    @OptionGroup(title: "Target namespace") var target: TargetOptions
    @OptionGroup(title: "Output") var output: OutputOptions
    @OptionGroup(title: "Thresholds (exit 4 when one is breached)") var thresholds: ThresholdOptions

    /// The equivalent `loadgen dns` or `loadgen http` arguments.
    func translatedArguments() throws(ValidationError) -> [String] {
        var values: [String: String] = [:]
        for param in params.flatMap({ $0.split(separator: ",").map(String.init) }) {
            guard let colon = param.firstIndex(of: ":") else {
                throw ValidationError("--params: '\(param)' is not KEY:VALUE; use domain:NAME (dns) or url:HOST[/PATH] (http)")
            }
            values[String(param[..<colon])] = String(param[param.index(after: colon)...])
        }
        var args: [String]
        switch type.lowercased() {
        case "dns":
            guard let domain = values["domain"], !domain.isEmpty else {
                throw ValidationError("--type dns needs --params domain:NAME")
            }
            args = ["--name", domain]
        case "http":
            guard var url = values["url"], !url.isEmpty else {
                throw ValidationError("--type http needs --params url:HOST[/PATH]")
            }
            if !url.contains("://") { url = "http://" + url }
            args = [url]
        default:
            throw ValidationError("--type: '\(type)' is not supported; use dns or http")
        }
        if count == "-1" {
            args += ["--duration", "24h"]
        } else {
            args += ["--count", count]
        }
        args += ["--interval", interval]
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
