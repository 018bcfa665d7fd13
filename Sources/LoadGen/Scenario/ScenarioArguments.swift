/// Turns a scenario's keys into command lines (DESIGN.md §3: "the other keys are the kind's long flag names"):
/// `server: 127.0.0.1` becomes `--server=127.0.0.1`, a list repeats the flag, `true` gives the bare flag. Each
/// stream's command line is its kind's own, so every option, default and message is that command's; top-level
/// keys go to every stream (a stream's own key wins), except the run's output and privileges, which the run
/// takes itself, and the global rate, of which streams take a `share:`.
enum ScenarioArguments {
    /// Where each argument came from, so that a command's complaint about `--flag` can point at the key.
    struct Origin: Equatable {
        var flag: String
        var key: String
        var line: Int
        /// A top-level key, passed to every stream.
        var global: Bool
    }

    struct CommandLine: Equatable {
        var arguments: [String] = []
        var origins: [Origin] = []
    }

    /// Settings of the whole run: the loops and namespaces all streams share, and one start time and pacing.
    static let runWideKeys: Set<String> = [
        "netns", "pid", "container", "pod", "namespace", "pod-container", "rate-per-target",
        "threads", "pacing", "tick", "shard", "shards", "start-at",
    ]
    /// Taken by the run itself (one report, one events log, one interval log; one privilege drop).
    static let outputKeys: Set<String> = ["json", "latency", "progress", "quiet", "events", "hlog", "progress-json"]
    static let privilegeKeys: Set<String> = ["user", "no-drop-privileges"]
    /// A stream's pace: its own, or a `share` of the top level's `rate`/`steps`.
    static let rateKeys: Set<String> = ["rate", "interval", "steps"]
    /// Plural spellings of repeatable flags, as a list reads best (`servers: [a, b]`).
    static let plurals = ["servers": "server", "names": "name", "headers": "header", "dns-servers": "dns-server"]
    /// Keys that are the command's arguments rather than options (loadgen http's URLs, loadgen tcp's and udp's
    /// HOST:PORT targets: `target: a:7000`, or a list under either spelling).
    static let positionalKeys: Set<String> = ["url", "urls", "target", "targets"]

    /// The command line of every stream (in file order), with the run's own output and privilege options.
    static func make(_ file: ScenarioFile) throws(ScenarioError) -> (streams: [CommandLine], output: CommandLine, privileges: CommandLine) {
        var output = CommandLine()
        var privileges = CommandLine()
        var shared: [ScenarioFile.Entry] = []
        var globalRates: [ScenarioFile.Entry] = []
        for entry in file.settings {
            if outputKeys.contains(entry.key) {
                append(entry, global: true, to: &output)
            } else if privilegeKeys.contains(entry.key) {
                append(entry, global: true, to: &privileges)
            } else if rateKeys.contains(entry.key) {
                globalRates.append(entry)
            } else {
                shared.append(entry)
            }
        }
        if let interval = globalRates.first(where: { $0.key == "interval" }) {
            throw ScenarioError(path: file.path, line: interval.line, key: interval.key,
                                "give the top-level pace as rate: (streams take a share: of it) or give each stream its own rate:")
        }
        let shares = try StreamShares(file, globalRates: globalRates)
        var streams: [CommandLine] = []
        for (index, stream) in file.streams.enumerated() {
            streams.append(try commandLine(stream, shared: shared, pace: shares.pace(ofStream: index), path: file.path))
        }
        return (streams, output, privileges)
    }

    /// One stream's arguments: the kind's implied flags, the shared settings it does not override, its pace and
    /// its own keys, and its URLs last, after `--`.
    private static func commandLine(_ stream: ScenarioFile.Stream, shared: [ScenarioFile.Entry],
                                    pace: [ScenarioFile.Entry], path: String) throws(ScenarioError) -> CommandLine {
        var line = CommandLine()
        line.arguments = StreamKind.named(stream.kind)?.implied ?? []
        var positional: [ScenarioFile.Entry] = []
        for entry in stream.entries {
            if runWideKeys.contains(entry.key) || outputKeys.contains(entry.key) || privilegeKeys.contains(entry.key) {
                throw ScenarioError(path: path, line: entry.line, key: entry.key,
                                    "stream '\(stream.name)': '\(entry.key)' is a setting of the whole run (all streams share the loops, namespaces and output); move it to the top level")
            }
        }
        let own = Set(stream.entries.map { flagName($0.key) })
        for entry in shared where !own.contains(flagName(entry.key)) {
            if positionalKeys.contains(entry.key) { positional.append(entry) } else { append(entry, global: true, to: &line) }
        }
        for entry in pace { append(entry, global: false, to: &line) }
        for entry in stream.entries where entry.key != "share" {
            if positionalKeys.contains(entry.key) { positional.append(entry) } else { append(entry, global: false, to: &line) }
        }
        if !positional.isEmpty {
            line.arguments.append("--")
            for entry in positional {
                line.arguments += entry.value.items
                line.origins.append(Origin(flag: "", key: entry.key, line: entry.line, global: !own.contains(entry.key)))
            }
        }
        return line
    }

    /// The flag a key stands for: `servers` → `server`.
    static func flagName(_ key: String) -> String { plurals[key] ?? key }

    /// `--flag=value` per value (so that a value starting with '-' stays a value), or the bare flag for `true`.
    static func append(_ entry: ScenarioFile.Entry, global: Bool, to line: inout CommandLine) {
        let flag = flagName(entry.key)
        switch entry.value {
        case .flag(let on):
            if on { line.arguments.append("--\(flag)") }
        case .scalar, .list:
            line.arguments += entry.value.items.map { "--\(flag)=\($0)" }
        }
        line.origins.append(Origin(flag: flag, key: entry.key, line: entry.line, global: global))
    }
}

extension ScenarioFile.Value {
    /// The values as a list (a flag has none).
    var items: [String] {
        switch self {
        case .scalar(let value): [value]
        case .list(let values): values
        case .flag: []
        }
    }
}
