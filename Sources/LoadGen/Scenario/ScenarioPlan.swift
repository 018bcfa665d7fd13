import ArgumentParser
import Foundation

/// A scenario file made into runnable streams: each stream's command line parsed and validated by its kind's
/// command, then given the run's one output (report, events log, interval log), privilege plan and its name.
/// A complaint of a command is turned into one about the file: its line, its key and the stream.
struct ScenarioPlan {
    struct Stream {
        var name: String
        var kind: StreamKind
        var setup: StreamSetup
    }

    var streams: [Stream]
    var output: RunConfig.Output

    /// One config per stream, in file order, for `Runner.run(streams:)`.
    var configs: [RunConfig] { streams.map(\.setup.config) }

    /// Reads the file at `path` (`-` is not taken: stdin may be a terminal the run needs for Ctrl-C).
    static func read(path: String) throws(ScenarioError) -> ScenarioFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            let why = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw ScenarioError(path: path, line: nil, "\(why); give a scenario file (YAML, see `loadgen run --help`)")
        }
        return try ScenarioFile(path: path, text: String(decoding: data, as: UTF8.self), kinds: StreamKind.all.map(\.name))
    }

    /// `output` may add to the file's output settings (the command line's `--json`, `--events`, …).
    init(file: ScenarioFile, output adjust: (inout OutputOptions) -> Void = { _ in }) throws {
        let lines = try ScenarioArguments.make(file)
        let privilegeOptions = try ScenarioPlan.parse(PrivilegeOptions.self, lines.privileges, path: file.path)
        var outputOptions = try ScenarioPlan.parse(OutputOptions.self, lines.output, path: file.path)
        adjust(&outputOptions)
        let privileges: PrivilegePlan
        do {
            privileges = try privilegeOptions.plan()
        } catch {
            throw ScenarioPlan.located(error.message, lines.privileges.origins, path: file.path, context: "the run")
        }
        streams = []
        for (index, stream) in file.streams.enumerated() {
            let kind = StreamKind.named(stream.kind)!
            var setup = try ScenarioPlan.setUp(stream, kind: kind, lines.streams[index], path: file.path)
            setup.config.stream = RunConfig.StreamID(name: stream.name, index: index)
            setup.config.privileges = privileges
            streams.append(Stream(name: stream.name, kind: kind, setup: setup))
        }
        let threads = streams[0].setup.config.load.threads
        // One interval-log lane per stream and thread: every worker hands in its own seconds.
        output = try outputOptions.settings(threads: threads * streams.count)
        for index in streams.indices { streams[index].setup.config.output = output }
    }

    /// The stream's command line through its kind's command. A usage error becomes a `ScenarioError` at the key
    /// it names (exit 2); a run that cannot go ahead (a missing netns) stays a `RunFailure` (exit 1).
    private static func setUp(_ stream: ScenarioFile.Stream, kind: StreamKind, _ line: ScenarioArguments.CommandLine,
                              path: String) throws -> StreamSetup {
        do {
            return try kind.setUp(line.arguments)
        } catch let failure as RunFailure {
            throw RunFailure("stream '\(stream.name)': \(failure.description)")
        } catch {
            guard DNSCommand.exitCode(for: error) == .validationFailure else {
                throw RunFailure("stream '\(stream.name)': \(kind.message(error))")
            }
            let message = kind.message(error)
            var located = located(message, line.origins, path: path, context: "stream '\(stream.name)' (\(kind.name))")
            if message.hasPrefix("Unknown option '--") {
                located.reason = located.reason.replacingOccurrences(of: message, with: unknownOption(message, kind: kind))
            }
            if located.line == nil { located.line = stream.line }
            throw located
        }
    }

    /// "Unknown option '--foo'. Did you mean '--four'?" in the file's terms: keys, not flags, and no suggestion
    /// of a key a stream may not set.
    private static func unknownOption(_ message: String, kind: StreamKind) -> String {
        let parts = message.split(separator: "'", omittingEmptySubsequences: false)
        let key = parts.count > 1 ? String(parts[1].dropFirst(2)) : "?"
        var text = "'\(key)' is not an option of `loadgen \(kind.command)`; a stream's keys are its command's long options (see `loadgen \(kind.command) --help`)"
        if parts.count > 3, parts[3].hasPrefix("--") {
            let suggestion = String(parts[3].dropFirst(2))
            if !ScenarioArguments.runWideKeys.contains(suggestion) && !ScenarioArguments.outputKeys.contains(suggestion) {
                text += "; did you mean '\(suggestion)'?"
            }
        }
        return text
    }

    /// Run-wide options (output, privileges) parsed as the commands parse them.
    private static func parse<T: ParsableArguments>(_ type: T.Type, _ line: ScenarioArguments.CommandLine,
                                                    path: String) throws(ScenarioError) -> T {
        do {
            return try T.parse(line.arguments)
        } catch {
            throw located(T.message(for: error), line.origins, path: path, context: "the run")
        }
    }

    /// The error at the key whose flag the message names (the longest that matches), else at no line.
    static func located(_ message: String, _ origins: [ScenarioArguments.Origin], path: String,
                        context: String) -> ScenarioError {
        let byLength = origins.filter { !$0.flag.isEmpty }.sorted { $0.flag.count > $1.flag.count }
        let origin = byLength.first { mentions(message, flag: "--" + $0.flag) }
            ?? (message.contains("URL") ? origins.first { $0.flag.isEmpty } : nil)
        guard let origin else { return ScenarioError(path: path, line: nil, "\(context): \(message)") }
        let from = origin.global && context.hasPrefix("stream") ? ", from the top level" : ""
        return ScenarioError(path: path, line: origin.line, key: origin.key, "\(context)\(from): \(message)")
    }

    /// `--rate` in "--rate 5x is …" but not in "--rate-per-target".
    static func mentions(_ message: String, flag: String) -> Bool {
        var rest = message[...]
        while let range = rest.range(of: flag) {
            let next = rest[range.upperBound...].first
            if next.map({ !($0.isLetter || $0.isNumber || $0 == "-") }) ?? true { return true }
            rest = rest[range.upperBound...]
        }
        return false
    }
}

private extension Error {
    /// A ValidationError's text, else the error's description.
    var message: String { (self as? ValidationError)?.message ?? "\(self)" }
}
