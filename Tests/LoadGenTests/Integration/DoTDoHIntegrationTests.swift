import Foundation
import Glibc
import Testing

/// `loadgen dns --transport tls|https` (DNS over TLS, RFC 7858; DNS over HTTPS, RFC 8484) against unbound inside a
/// namespace the test creates, asserting that loadgen's counts equal unbound's own statistics.
@Suite(.serialized,
       .enabled(if: IntegrationEnvironment.shouldRun, "needs root (network namespaces); set CI=1 to make a missing root fail"))
struct DoTDoHIntegrationTests {
    /// A namespace with unbound in it.
    static func withUnbound<R>(_ body: (NetworkNamespace, UnboundServer) async throws -> R) async throws -> R {
        try await NetworkNamespace.with { ns in
            try await UnboundServer.with(in: ns) { unbound in try await body(ns, unbound) }
        }
    }

    /// `dns --netns NS --transport T --server 127.0.0.1 --cacert CA ... --json --quiet`.
    static func arguments(_ ns: NetworkNamespace, _ transport: String, cacert: Bool = true, _ extra: [String]) throws -> [String] {
        var arguments = ["dns", "--netns", ns.name, "--transport", transport, "--server", "127.0.0.1"]
        if cacert { arguments += ["--cacert", try TLSCertificates.shared().caCert] }
        return arguments + extra + ["--json", "--quiet"]
    }

    /// Both invariants of DESIGN.md §4.
    static func expectInvariants(_ report: LoadGenReport, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try report.expectAccounting(sourceLocation: sourceLocation)
        let (intended, sent, notSent) = (try report.int("intended"), try report.sent, try report.int("not_sent"))
        #expect(intended == sent + notSent, "intended \(intended) != sent \(sent) + not_sent \(notSent)",
                sourceLocation: sourceLocation)
    }

    static func rcodes(_ report: LoadGenReport) -> [String: Int] {
        (report.object["rcodes"] as? [String: Any] ?? [:]).compactMapValues { LoadGenReport.number($0).map(Int.init) }
    }

    @Test("DoT open loop at 2000/s over 2 pipelined connections: every query answered, counts equal unbound's")
    func dotOpenLoop() async throws {
        try await Self.withUnbound { ns, unbound in
            let before = try await unbound.stats()
            let run = try await LoadGen.run(try Self.arguments(ns, "tls", [
                "--name", UnboundServer.existingName, "--name", UnboundServer.missingName,
                "-c", "2", "--rate", "2000", "--duration", "2s", "--timeout", "1s"]), deadline: 20)
            let after = try await unbound.stats()
            let report = try run.report()
            try Self.expectInvariants(report)

            #expect(try report.string("transport") == "tls")
            #expect(try report.sent == 4000)
            #expect(try report.completed == 4000, "\(report)")
            let dot = (after.tls - after.https) - (before.tls - before.https)
            #expect(dot == 4000, "unbound counted \(dot) DNS-over-TLS queries")
            #expect(after.queries - before.queries == 4000)
            let rcodes = Self.rcodes(report)
            #expect(rcodes["NOERROR"] == after.rcode("NOERROR") - before.rcode("NOERROR"), "\(rcodes)")
            #expect(rcodes["NXDOMAIN"] == after.rcode("NXDOMAIN") - before.rcode("NXDOMAIN"), "\(rcodes)")
            #expect(rcodes["NOERROR"] == 2000 && rcodes["NXDOMAIN"] == 2000, "\(rcodes)")
            #expect(try report.int("connections_opened") == 2)
            let tls = try #require(report.object["tls"] as? [String: Any], "no tls block")
            #expect(LoadGenReport.number(tls["handshakes_full"]).map(Int.init)! + LoadGenReport.number(tls["handshakes_resumed"]).map(Int.init)! == 2)
            #expect(LoadGenReport.number(tls["ssl_write_calls"]).map(Int.init) == 4000, "one SSL_write per query")
        }
    }

    @Test("DoH POST and GET: every query an HTTP/2 request, counts equal unbound's", arguments: ["post", "get"])
    func doh(_ method: String) async throws {
        try await Self.withUnbound { ns, unbound in
            let before = try await unbound.stats()
            let run = try await LoadGen.run(try Self.arguments(ns, "https", [
                "--doh-method", method, "--name", UnboundServer.existingName, "--name", "q{seq}.example.test",
                "-c", "2", "--rate", "1000", "--duration", "1s", "--timeout", "1s"]), deadline: 20)
            let after = try await unbound.stats()
            let report = try run.report()
            try Self.expectInvariants(report)

            #expect(try report.string("transport") == "https")
            #expect(try report.sent == 1000)
            #expect(try report.completed == 1000, "\(report)")
            #expect(after.https - before.https == 1000, "unbound counted \(after.https - before.https) DoH queries")
            #expect(after.queries - before.queries == 1000)
            let rcodes = Self.rcodes(report)
            #expect(rcodes["NOERROR"] == 500 && rcodes["NXDOMAIN"] == 500, "\(rcodes)")
            #expect(rcodes["NXDOMAIN"] == after.rcode("NXDOMAIN") - before.rcode("NXDOMAIN"))
            let tls = try #require(report.object["tls"] as? [String: Any], "no tls block")
            #expect(tls["alpn"] as? String == "h2")
        }
    }

    @Test("An unknown CA without --cacert ends the run at once with exit 1 and the TLS message", arguments: ["tls", "https"])
    func unknownCA(_ transport: String) async throws {
        try await Self.withUnbound { ns, unbound in
            let run = try await LoadGen.run(try Self.arguments(ns, transport, cacert: false, [
                "--name", UnboundServer.existingName, "--rate", "100", "--count", "10"]), deadline: 20)
            #expect(run.exitCode == 1, "\(run.outcome.termination); stderr: \(run.stderr)")
            #expect(run.stderr.contains("not signed by a CA loadgen trusts"), "stderr: \(run.stderr)")
            #expect(try await unbound.stats().queries == 0)
        }
    }

    @Test("TLS options without --transport tls|https are refused (exit 2)")
    func tlsOptionsRefused() async throws {
        let run = try await LoadGen.run(["dns", "--server", "127.0.0.1", "-k", "--count", "1"], deadline: 10)
        #expect(run.exitCode == 2)
        #expect(run.stderr.contains("--insecure applies to TLS; add --transport tls or --transport https"), "\(run.stderr)")
    }

    @Test("SIGINT mid-run: the run stops, both invariants hold, unbound saw every query sent", arguments: ["tls", "https"])
    func interrupt(_ transport: String) async throws {
        try await Self.withUnbound { ns, unbound in
            let before = try await unbound.stats()
            let arguments = try Self.arguments(ns, transport, [
                "--name", UnboundServer.existingName, "-c", "2", "--rate", "1000", "--duration", "20s", "--timeout", "1s"])
            let child = try LoadGen.start(arguments)
            defer { child.kill() }
            try await Task.sleep(nanoseconds: 1_500_000_000)
            try #require(child.isRunning, "loadgen ended before the signal: \(child.endedSummary)")
            child.signal(SIGINT)
            var outcome = await child.wait(seconds: 10)
            #expect(!outcome.killedAfterDeadline)
            outcome.termination = .exited(0)
            let report = try LoadGenRun(arguments: arguments, outcome, sourceLocation: #_sourceLocation).report()
            try Self.expectInvariants(report)
            #expect(try report.bool("interrupted"))
            let after = try await unbound.stats()
            #expect(try report.sent == after.queries - before.queries, "unbound: \(after.queries - before.queries)")
            #expect(try report.completed == report.sent)
        }
    }

    @Test("unbound killed mid-run: both invariants hold and the run ends within schedule + timeout + 1 s",
          arguments: ["tls", "https"])
    func serverKilled(_ transport: String) async throws {
        try await Self.withUnbound { ns, unbound in
            let arguments = try Self.arguments(ns, transport, [
                "--name", UnboundServer.existingName, "-c", "2", "--rate", "1000", "--duration", "3s", "--timeout", "1s"])
            let child = try LoadGen.start(arguments)
            defer { child.kill() }
            try await Task.sleep(nanoseconds: 1_200_000_000)
            unbound.kill()
            let outcome = await child.wait(seconds: 20)
            let report = try LoadGenRun(arguments: arguments, outcome, sourceLocation: #_sourceLocation).report()
            try Self.expectInvariants(report)
            #expect(outcome.wallSeconds <= 3 + 1 + 1 + 0.5, "the run took \(outcome.wallSeconds) s (start-up included)")
            #expect(try report.completed > 0 && report.completed < 3000, "\(report)")
            #expect(try report.int("not_sent") > 0, "\(report)")
        }
    }
}
