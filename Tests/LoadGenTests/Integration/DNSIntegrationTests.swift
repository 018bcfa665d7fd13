import Foundation
import Testing

/// Integration tests for `loadgen dns` (issue 2): the built binary against Knot DNS (and dead or refusing
/// servers) inside network namespaces the tests create, asserting on what the server and the kernel saw.
///
/// One serialized parent suite, so that no two of these runs (timing-sensitive, and sharing the two CPUs) overlap.
/// The nested suites live in the other files of this folder. Skipped only when neither root nor in CI.
@Suite(.serialized,
       .enabled(if: IntegrationEnvironment.shouldRun, "needs root (network namespaces); set CI=1 to make a missing root fail"))
struct DNSIntegrationTests {}

/// Helpers shared by the integration suites.
enum DNSRun {
    /// A namespace with knot on a free port in it: `body(ns, port, knot)`.
    static func withKnot<R>(_ body: (NetworkNamespace, Int, KnotServer) async throws -> R) async throws -> R {
        try await NetworkNamespace.with { ns in
            let port = try await TestPorts.freeOnHost()
            return try await KnotServer.with(in: ns, port: port) { knot in try await body(ns, port, knot) }
        }
    }

    /// `dns --netns NS --server 127.0.0.1:PORT --name a.example.test ... --json --quiet`.
    static func arguments(netns: NetworkNamespace?, port: Int, _ extra: [String]) -> [String] {
        var arguments = ["dns"]
        if let netns { arguments += ["--netns", netns.name] }
        return arguments + ["--server", "127.0.0.1:\(port)", "--name", KnotServer.existingName] + extra + ["--json", "--quiet"]
    }

    /// A latency object of DESIGN.md §5: the required percentiles, in order.
    static func expectLatencyObject(_ report: LoadGenReport, _ key: String,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard let object = report.object[key] as? [String: Any] else {
            Issue.record("JSON report: '\(key)' is missing or not an object", sourceLocation: sourceLocation)
            return
        }
        let keys = ["min", "p50", "p90", "p99", "p99.9", "p99.99", "max"]
        let values = keys.map { LoadGenReport.number(object[$0]) }
        #expect(!values.contains { $0 == nil }, "\(key) lacks one of \(keys): \(object)", sourceLocation: sourceLocation)
        let present = values.compactMap { $0 }
        #expect(present == present.sorted(), "\(key) percentiles out of order: \(object)", sourceLocation: sourceLocation)
        #expect(LoadGenReport.number(object["mean"]) != nil, "\(key) lacks mean: \(object)", sourceLocation: sourceLocation)
        #expect((present.first ?? 0) > 0, "\(key).min should be above zero for answers over loopback: \(object)",
                sourceLocation: sourceLocation)
    }

    /// Checks `value` is within `fraction` of `target`.
    static func expectNear(_ value: Int, _ target: Int, within fraction: Double, _ what: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        let slack = Double(target) * fraction
        #expect(Double(abs(value - target)) <= slack, "\(what): \(value), expected \(target) ± \(Int(slack))",
                sourceLocation: sourceLocation)
    }
}

extension KnotServer {
    /// Runs loadgen with `arguments` (killed after `deadline` seconds) and returns the run, its report (the
    /// accounting checked) and what knot counted meanwhile.
    func measure(_ arguments: [String], deadline: Double, exitCode: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation)
        async throws -> (run: LoadGenRun, report: LoadGenReport, delta: KnotStats) {
        let before = try await stats()
        let run = try await LoadGen.run(arguments, deadline: deadline)
        let delta = try await stats() - before
        let report = try run.report(exitCode: exitCode, sourceLocation: sourceLocation)
        try report.expectAccounting(sourceLocation: sourceLocation)
        return (run, report, delta)
    }
}
