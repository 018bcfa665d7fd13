import ArgumentParser
import Foundation
import Glibc

/// `loadgen eventgen`: Inspektor Gadget's event generator flags, mapped onto `loadgen dns` / `loadgen http`,
/// so scripts written for IG's eventgen run unchanged (and get loadgen's counts and reports).
struct EventgenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eventgen",
        abstract: "Inspektor Gadget eventgen compatibility: --type dns|http --params domain:NAME|url:HOST[/PATH].",
        discussion: """
        --type dns --params domain:NAME runs `loadgen dns --name NAME` against the target's own resolvers;
        --type http --params url:HOST[/PATH] runs `loadgen http http://HOST[/PATH]`. --count -1 (IG's
        "unlimited") runs until Ctrl-C, at most 24 h. The interval defaults to 1ms, as IG documents, and is kept
        exactly (to the nanosecond) also in a new pod or container.
        --new-pod runs the same generation in a new pod (kubectl; --namespace NS, --image IMG, --dry-run prints
        the manifest); --new-container in a new local container (podman, else docker; --network MODE).
        Examples:
          sudo loadgen eventgen --type dns --params domain:example.com --count 100 --interval 10ms --pid 4242
          loadgen eventgen --type dns --params domain:example.com --server 10.96.0.10 --count 100 --new-pod
          sudo loadgen eventgen --type http --params url:127.0.0.1:8080 --count 50 --new-container --network host
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

    @Option(help: ArgumentHelp("For --type dns: the DNS server(s) to ask instead of the target's resolv.conf, as loadgen dns --server (repeatable).", valueName: "ADDR"))
    var server: [String] = []

    @OptionGroup(title: "Target namespace") var target: TargetOptions
    @OptionGroup(title: "Where to generate") var placement: EventgenPlacement
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
        if let ns = target.podNamespace, placement.mode == .here { args += ["--namespace", ns] }
        if let c = target.podContainer { args += ["--pod-container", c] }
        if target.ratePerTarget { args.append("--rate-per-target") }
        if output.json { args.append("--json") }
        if output.latency { args.append("--latency") }
        if output.progress { args.append("--progress") }
        if output.quiet { args.append("--quiet") }
        if let events = output.events { args += ["--events", events] }
        if let hlog = output.hlog { args += ["--hlog", hlog] }
        args += thresholds.arguments
        if placement.mode == .here { args += privileges.arguments }
        return args
    }

    func validate() throws {
        try placement.check(target: target, output: output)
        if !server.isEmpty && type.lowercased() != "dns" {
            throw ValidationError("--server goes with --type dns; for http the server is in --params url:HOST[/PATH]")
        }
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
        for address in server { args += ["--server", address] }
        return args
    }

    func run() throws {
        let args = try translatedArguments()
        if placement.mode != .here {
            try runElsewhere([type.lowercased()] + args)
            return
        }
        if type.lowercased() == "dns" {
            let command = try DNSCommand.parse(args)
            try command.run()
        } else {
            let command = try HTTPCommand.parse(args)
            try command.run()
        }
    }
}

extension EventgenCommand {
    /// `--new-pod` / `--new-container`: the same `loadgen dns|http` arguments in loadgen's image, elsewhere; this
    /// process ends with the exit status of the loadgen there (its report is on stdout already).
    func runElsewhere(_ arguments: [String]) throws {
        // Validate here what the pod or container would refuse later, after starting.
        _ = try (arguments[0] == "dns" ? DNSCommand.parse(Array(arguments.dropFirst())) as ParsableCommand
                                       : HTTPCommand.parse(Array(arguments.dropFirst())))
        let status: Int32
        if placement.newPod {
            if placement.dryRun {
                print(YAMLWriter.document(NewPod.manifest(image: placement.imageName, namespace: target.podNamespace, arguments: arguments)),
                      terminator: "")
                return
            }
            guard let kubectl = ContainerTargets.findExecutable("kubectl") else {
                throw RunFailure("--new-pod needs kubectl in PATH (and a kubeconfig for the cluster); --dry-run prints the pod manifest without it")
            }
            status = try NewPod(kubectl: kubectl, image: placement.imageName, namespace: target.podNamespace, arguments: arguments).run()
        } else {
            // The files go to the same absolute paths on the host: their directories are mounted there.
            var inside = arguments, mounts: Set<String> = []
            for (i, argument) in arguments.enumerated() where (argument == "--events" || argument == "--hlog") && i + 1 < arguments.count {
                let file = URL(fileURLWithPath: arguments[i + 1]).standardizedFileURL
                inside[i + 1] = file.path
                let directory = file.deletingLastPathComponent().path
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw ValidationError("\(argument) \(arguments[i + 1]): the directory \(directory) does not exist (it is mounted into the container at the same path)")
                }
                mounts.insert(directory)
            }
            let container = NewContainer(engine: try NewContainer.findEngine(), image: placement.imageName, network: placement.network,
                                         arguments: inside, mounts: mounts.sorted())
            if placement.dryRun {
                print(([container.engine] + container.runArguments()).map(NewContainer.shellQuoted).joined(separator: " "))
                return
            }
            status = try container.run()
        }
        fflush(nil)
        if status != 0 { Glibc.exit(status) }
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
