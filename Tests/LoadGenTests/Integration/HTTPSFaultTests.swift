import Foundation
import Glibc
import Testing

/// Hostile TLS peers (issue 10 point 6): a plain HTTP server on the TLS port, a server that closes mid-handshake,
/// one that never finishes the handshake, one that answers with an alert, certificates that do not verify, and
/// Ctrl-C during handshakes. Each is one clear line naming the cause and the flag that would help, exit 1 when
/// nothing could connect, and both accounting invariants intact.
@Suite(.serialized) struct HTTPSFaultTests {
    /// A run with keep-alive connections that none of can come up: exit 1 before the clock starts, stderr names
    /// the cause (and `mentions`).
    static func expectRefusedAtOnce(_ run: LoadGenRun, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.exitCode == 1, "\(run.outcome.termination); stderr: \(run.stderr)", sourceLocation: sourceLocation)
        for text in mentions {
            #expect(run.stderr.contains(text), "stderr should mention '\(text)': \(run.stderr)", sourceLocation: sourceLocation)
        }
        #expect(run.stderr.split(separator: "\n").count <= 2, "one clear line: \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.wallSeconds < 5, "refused at once, took \(run.wallSeconds) s", sourceLocation: sourceLocation)
    }

    @Test("certificates: no --cacert (unknown CA), expired, wrong name: exit 1 with the cause and the flag; -k and --sni fix what they should")
    func certificates() async throws {
        let certificates = try TLSCertificates.shared()
        try await NetworkNamespace.with { ns in
            try await NginxServer.with(in: ns, tls: try .good()) { nginx in
                let unknown = try await LoadGen.run(["http", nginx.httpsURL(), "--netns", ns.name, "--count", "5", "--quiet"], deadline: 20)
                Self.expectRefusedAtOnce(unknown, mentions: ["not signed by a CA", "--cacert"])
                let insecure = try await LoadGen.run(["http", nginx.httpsURL(), "--netns", ns.name, "-k", "--count", "5", "--json", "--quiet"],
                                                     deadline: 20)
                #expect(try insecure.report().completed == 5)
                let wrongSNI = try await LoadGen.run(try HTTPSNginxTests.arguments(nginx.httpsURL(), netns: ns,
                                                                                   ["--sni", "other.test", "--count", "5"]), deadline: 20)
                Self.expectRefusedAtOnce(wrongSNI, mentions: ["not for 'other.test'", "localhost", "--sni"])
                let rightSNI = try await LoadGen.run(try HTTPSNginxTests.arguments(nginx.httpsURL(), netns: ns,
                                                                                   ["--sni", "localhost", "--count", "5"]), deadline: 20)
                #expect(try rightSNI.report().completed == 5)
            }
            for (cert, mentions) in [(certificates.expiredCert, ["validity period", "-k/--insecure"]),
                                     (certificates.wrongNameCert, ["not for '127.0.0.1'", TLSCertificates.wrongName])] {
                let setup = NginxServer.TLSSetup(cert: cert, key: certificates.serverKey)
                try await NginxServer.with(in: ns, tls: setup) { nginx in
                    let run = try await LoadGen.run(try HTTPSNginxTests.arguments(nginx.httpsURL(), netns: ns, ["--count", "5"]),
                                                    deadline: 20)
                    Self.expectRefusedAtOnce(run, mentions: mentions)
                    #expect(try await nginx.tlsAccessLog().isEmpty, "no request reached nginx")
                }
            }
        }
    }

    @Test("plain HTTP on the TLS port: not TLS (names what it sent); --http2 to a port without h2: the ALPN refusal")
    func wrongProtocol() async throws {
        try await NetworkNamespace.with { ns in
            try await NginxServer.with(in: ns, tls: try .good()) { nginx in
                let plain = try await LoadGen.run(try HTTPSNginxTests.arguments("https://127.0.0.1:\(nginx.port)/", netns: ns, ["--count", "5"]),
                                                  deadline: 20)
                Self.expectRefusedAtOnce(plain, mentions: ["did not answer with TLS", "HTTP/1.1 400", "use http://"])
                let noH2 = try await LoadGen.run(try HTTPSNginxTests.arguments(nginx.httpsURL(), netns: ns, ["--http2", "--count", "5"]),
                                                 deadline: 20)
                Self.expectRefusedAtOnce(noH2, mentions: ["ALPN", "--http2"])
            }
        }
    }

    @Test("a server that closes mid-handshake, and one that alerts: exit 1, the cause; every connection attempt counted as the server saw it")
    func closeAndAlert() async throws {
        try await NetworkNamespace.with { ns in
            for (mode, kind, mention) in [("close", "tls_closed", "closed the connection during the handshake"),
                                          ("alert", "tls_alert", "handshake failure")] {
                try await HTTPFaultServer.with(in: ns, mode: .tls(mode)) { server in
                    let run = try await LoadGen.run(
                        try HTTPSNginxTests.arguments(server.httpsURL(), netns: ns, ["--no-keepalive", "-c", "2", "--rate", "50",
                                                                                     "--count", "20", "--timeout", "1s"]),
                        deadline: 20)
                    let report = try FaultRun.report(run)
                    try FaultRun.expectInvariants(report, intended: 20)
                    #expect(run.exitCode == 1, "\(run.outcome.termination) \(run.stderr)")
                    #expect(run.stderr.contains(mention), "\(run.stderr)")
                    let log = try await server.log()
                    let attempts = try report.counts("connect_errors")[kind] ?? 0
                    #expect(attempts > 0 && attempts == log.count(mode), "\(kind) \(attempts), server: \(log.count(mode)) \(mode)")
                    #expect(try report.int("connections_opened") == log.count("accept"))
                    #expect(log.count("hello") == log.count("accept"), "every connection began with a ClientHello")
                }
            }
        }
    }

    @Test("a handshake that never finishes: connect timeout, events not_sent no_connection, the run ends on time")
    func stalledHandshake() async throws {
        try await NetworkNamespace.with { ns in
            try await HTTPFaultServer.with(in: ns, mode: .tls("stall")) { server in
                let run = try await LoadGen.run(
                    try HTTPSNginxTests.arguments(server.httpsURL(), netns: ns, ["-c", "2", "--rate", "20", "--count", "20",
                                                                                 "--timeout", "1s", "--connect-timeout", "300ms"]),
                    deadline: 20)
                let report = try FaultRun.report(run)
                try FaultRun.expectInvariants(report, intended: 20)
                try FaultRun.expectEndedOnTime(run, report, schedule: 1, timeout: 1)
                #expect(try report.sent == 0)
                #expect(try FaultRun.notSentReasons(report)["no_connection"] == 20)
                #expect(try report.counts("connect_errors")["connect_timeout"] ?? 0 >= 2)
                let log = try await server.log()
                #expect(log.count("stall") == log.count("accept") && log.count("accept") >= 2)
            }
        }
    }

    @Test("Ctrl-C while handshakes hang: exit by itself at once with both invariants; nothing sent")
    func interruptDuringHandshakes() async throws {
        try await NetworkNamespace.with { ns in
            try await HTTPFaultServer.with(in: ns, mode: .tls("stall")) { server in
                let arguments = try HTTPSNginxTests.arguments(server.httpsURL(), netns: ns,
                                                              ["--no-keepalive", "-c", "8", "--rate", "1000", "--count", "20000",
                                                               "--timeout", "5s", "--connect-timeout", "10s"])
                let (run, afterSignal) = try await SignalRun.run(arguments, signals: [SIGINT])
                #expect(afterSignal <= 1.5, "ended \(afterSignal) s after Ctrl-C")
                let report = try FaultRun.report(run, stoppedBy: SIGINT)
                try FaultRun.expectInvariants(report)
                #expect(try report.bool("interrupted"))
                #expect(try report.sent == 0)
                let log = try await server.log()
                #expect(log.count("hello") >= 1, "handshakes were under way: \(log.count("accept")) accepted")
            }
        }
    }
}
