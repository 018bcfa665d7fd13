import ArgumentParser

/// A command whose options a scenario stream takes: it parses and validates them into a `RunConfig` exactly as
/// on the command line, and says how its report is headed.
protocol StreamCommand: ParsableCommand {
    var thresholds: ThresholdOptions { get }
    var findMax: FindMaxOptions { get }
    func makeConfig() throws -> RunConfig
    static func header(config: RunConfig, thresholds: [ThresholdOutcome]) -> ReportHeader
    /// How the report names an answer code (an HTTP status, a DNS rcode).
    static func codeName(_ code: Int) -> String
}

extension StreamCommand {
    static func codeName(_ code: Int) -> String { String(code) }
}

extension DNSCommand: StreamCommand {
    static func codeName(_ code: Int) -> String { DNSRcode.name(code) }
}

extension HTTPCommand: StreamCommand {}

// TCPCommand and UDPCommand are StreamCommands through KindCommand.

/// A stream whose command line its kind's command accepted: what it runs and how it reports.
struct StreamSetup {
    var config: RunConfig
    var thresholds: [Threshold]
    var header: (RunConfig, [ThresholdOutcome]) -> ReportHeader
    var codeName: (Int) -> String
}

/// The kinds a scenario stream may have (DESIGN.md §3), each its command with the flags the kind implies.
/// Adding a kind is one line in `all`.
struct StreamKind: Sendable {
    let name: String
    /// The command as typed after `loadgen` (for messages).
    let command: String
    /// Flags the kind adds before the stream's own (http2 is `loadgen http --http2`).
    let implied: [String]
    /// Parses a stream's arguments with the kind's command; throws what the command throws.
    let setUp: @Sendable ([String]) throws -> StreamSetup
    /// The command's own message for an error it threw while parsing or validating.
    let message: @Sendable (any Error) -> String

    static let all: [StreamKind] = [
        .command(DNSCommand.self, "dns"),
        .command(HTTPCommand.self, "http1"),
        .command(HTTPCommand.self, "http2", implied: ["--http2"]),
        .command(TCPCommand.self, "tcp"),
        .command(UDPCommand.self, "udp"),
    ]

    static func named(_ name: String) -> StreamKind? { all.first { $0.name == name } }

    static func command<C: StreamCommand>(_ type: C.Type, _ name: String, implied: [String] = []) -> StreamKind {
        StreamKind(name: name, command: C.configuration.commandName ?? name, implied: implied, setUp: { arguments in
            let command = try C.parse(arguments)
            if command.findMax.findMax {
                throw ValidationError("--find-max searches one target's maximum in runs of its own; use it with loadgen \(C.configuration.commandName ?? name), not in a scenario")
            }
            let config = try command.makeConfig()
            let limits = try command.thresholds.thresholds(openLoop: config.load.requestedRate != nil)
            return StreamSetup(config: config, thresholds: limits, header: { C.header(config: $0, thresholds: $1) },
                               codeName: C.codeName)
        }, message: { C.message(for: $0) })
    }
}
