import Foundation
import Testing

/// Helpers of the DNS fault suites: the two accounting invariants and the time bound every fault run must meet.
enum DNSFault {
    /// Runs loadgen (killed after `deadline` s), checks `intended == sent + not_sent`, `sent == completed +
    /// timeouts + errors + cancelled`, and that it ended within `schedule` + `timeout` + 1 s.
    static func run(_ arguments: [String], schedule: Double, timeout: Double, deadline: Double = 20,
                    sourceLocation: SourceLocation = #_sourceLocation) async throws -> (LoadGenRun, LoadGenReport) {
        let run = try await LoadGen.run(arguments, deadline: deadline, sourceLocation: sourceLocation)
        let report = try FaultRun.report(run, sourceLocation: sourceLocation)
        // DESIGN.md §3: exit 1 when not one query completed (the report still comes first), else 0.
        let expected: Int32 = try report.completed == 0 ? 1 : 0
        #expect(run.exitCode == expected, "exit \(run.exitCode), expected \(expected): \(run.commandLine); \(run.stderr.prefix(500))",
                sourceLocation: sourceLocation)
        try expectInvariants(report, sourceLocation: sourceLocation)
        // Under a sanitizer, start-up and shut-down take longer: the bound grows by that slack (none in `make test`).
        let slack = IntegrationEnvironment.sanitizerSlackSeconds
        #expect(run.wallSeconds <= schedule + timeout + 1 + slack,
                "took \(run.wallSeconds) s, more than the schedule \(schedule) s + timeout \(timeout) s + 1 s (+ \(slack) s): \(run.commandLine)",
                sourceLocation: sourceLocation)
        return (run, report)
    }

    /// Both accounting invariants of DESIGN.md §4.
    static func expectInvariants(_ report: LoadGenReport, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try report.expectAccounting(sourceLocation: sourceLocation)
        let intended = try report.int("intended"), sent = try report.sent, notSent = try report.int("not_sent")
        #expect(intended == sent + notSent, "intended \(intended) != sent \(sent) + not_sent \(notSent); \(report)",
                sourceLocation: sourceLocation)
        let reasons = try report.counts("not_sent_reasons").values.reduce(0, +)
        #expect(reasons == notSent, "not_sent_reasons add up to \(reasons), not_sent is \(notSent)", sourceLocation: sourceLocation)
    }

    /// `dns --netns NS --server 127.0.0.1:PORT --name a.example.test EXTRA --json --quiet`.
    static func arguments(_ ns: NetworkNamespace, port: Int, _ extra: [String]) -> [String] {
        DNSRun.arguments(netns: ns, port: port, extra)
    }

    /// One line of /proc/net/snmp inside the namespace (`Ip`, `Udp`, `Tcp`, ...), by counter name.
    static func snmp(_ ns: NetworkNamespace, _ prefix: String) async throws -> [String: Int] {
        let text = try await Command.check(["ip", "netns", "exec", ns.name, "cat", "/proc/net/snmp"])
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("\(prefix):") }
        guard lines.count >= 2 else { throw FixtureError("no \(prefix) lines in /proc/net/snmp: \(text)") }
        let names = lines[0].split(separator: " ").dropFirst()
        let values = lines[1].split(separator: " ").dropFirst()
        var counters: [String: Int] = [:]
        for (name, value) in zip(names, values) { counters[String(name)] = Int(value) }
        return counters
    }

    /// A namespace with the fixture DNS server on a free port: `body(ns, port, server)`.
    static func withFixture<R>(_ mode: DNSFixtureServer.Mode, delay: Double = 2, closeAfter: Int = 0,
                               _ body: (NetworkNamespace, Int, DNSFixtureServer) async throws -> R) async throws -> R {
        try await NetworkNamespace.with { ns in
            let port = try await TestPorts.freeOnHost()
            return try await DNSFixtureServer.with(in: ns, port: port, mode: mode, delay: delay, closeAfter: closeAfter) {
                try await body(ns, port, $0)
            }
        }
    }
}
