import Foundation
import Testing

/// Integration tests for `loadgen http` over HTTP/1.1 (issue 3): the built binary against nginx started in a
/// network namespace the test creates, asserting on what nginx logged and what the kernel saw, not only on what
/// loadgen printed.
///
/// One serialized parent suite (timing-sensitive runs sharing two CPUs must not overlap); the nested suites live
/// in the other HTTP1*.swift files of this folder. Skipped only when neither root nor in CI.
@Suite(.serialized,
       .enabled(if: IntegrationEnvironment.shouldRun, "needs root (network namespaces); set CI=1 to make a missing root fail"))
struct HTTP1IntegrationTests {}

/// Helpers shared by the HTTP/1.1 integration suites.
enum HTTP1Run {
    /// `http URL... --netns NS EXTRA... --json --quiet`.
    static func arguments(_ urls: [String], netns: NetworkNamespace, _ extra: [String]) -> [String] {
        ["http"] + urls + ["--netns", netns.name] + extra + ["--json", "--quiet"]
    }

    /// The status counts in nginx's access log, keyed as loadgen's `status` object is ("200": n).
    static func statusCounts(_ log: [NginxServer.AccessLogEntry]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for entry in log { counts[String(entry.status), default: 0] += 1 }
        return counts
    }

    /// `status` without zero entries.
    static func status(_ report: LoadGenReport) throws -> [String: Int] {
        try report.counts("status").filter { $0.value != 0 }
    }

    /// What the report says beyond `LoadGenReport.description` (which lists the DNS keys), for failure messages.
    static func summary(_ report: LoadGenReport) -> String {
        let keys = ["sent", "completed", "timeouts", "errors", "cancelled", "not_sent", "not_sent_reasons", "duration_s",
                    "achieved_rate", "status", "error_kinds", "connect_errors", "connections_opened", "bytes_received",
                    "sockets_outside_netns"]
        func compact(_ value: Any) -> String {
            if let counts = value as? [String: Any] {
                let nonzero = counts.filter { LoadGenReport.number($0.value) != 0 }
                return "{" + nonzero.keys.sorted().map { "\($0): \(nonzero[$0]!)" }.joined(separator: ", ") + "}"
            }
            return "\(value)"
        }
        return keys.compactMap { key in report.object[key].map { "\(key)=\(compact($0))" } }.joined(separator: " ")
    }

    /// The checks every run against a healthy local nginx shares: the accounting, kind, nothing outside the netns,
    /// one log line per completed request with the same status counts, and every line HTTP/1.1.
    static func expectMatchesServer(_ report: LoadGenReport, _ log: [NginxServer.AccessLogEntry], netns: NetworkNamespace,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        try report.expectAccounting(sourceLocation: sourceLocation)
        #expect(try report.string("kind") == "http1", sourceLocation: sourceLocation)
        #expect(try report.int("netns_inode") == Int(netns.inode), sourceLocation: sourceLocation)
        #expect(try report.int("sockets_outside_netns") == 0, sourceLocation: sourceLocation)
        #expect(try log.count == report.completed,
                "nginx logged \(log.count) requests; \(summary(report))", sourceLocation: sourceLocation)
        let counted = try status(report), logged = statusCounts(log)
        #expect(counted == logged, "status counts: loadgen \(counted), nginx \(logged)", sourceLocation: sourceLocation)
        let otherProtocols = log.filter { $0.proto != "HTTP/1.1" }
        #expect(otherProtocols.isEmpty, "not HTTP/1.1: \(otherProtocols.prefix(3))", sourceLocation: sourceLocation)
    }
}

extension NginxServer {
    /// Runs loadgen with `arguments` (killed after `deadline` seconds) against this nginx and returns the run, its
    /// report and nginx's access log, after `HTTP1Run.expectMatchesServer` checked that the two agree.
    func measure(_ arguments: [String], netns: NetworkNamespace, deadline: Double,
                 sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> (run: LoadGenRun, report: LoadGenReport, log: [AccessLogEntry]) {
        let run = try await LoadGen.run(arguments, deadline: deadline)
        let report = try run.report(sourceLocation: sourceLocation)
        let log = try await accessLog()
        try HTTP1Run.expectMatchesServer(report, log, netns: netns, sourceLocation: sourceLocation)
        return (run, report, log)
    }
}
