import Foundation
import Testing

/// `https://` against nginx (`listen ... ssl` and `listen ... ssl http2`) with the suite's own CA and
/// certificates: counts equal nginx's TLS access log, and the protocol, `$ssl_protocol` and
/// `$ssl_session_reused` nginx logged are the ones asked for (issue 10 point 6).
@Suite(.serialized) struct HTTPSNginxTests {
    /// `http URL --netns NS --cacert CA EXTRA --json --quiet`.
    static func arguments(_ url: String, netns: NetworkNamespace, _ extra: [String]) throws -> [String] {
        ["http", url, "--netns", netns.name, "--cacert", try TLSCertificates.shared().caCert] + extra + ["--json", "--quiet"]
    }

    /// The JSON `tls` block.
    static func tls(_ report: LoadGenReport) throws -> LoadGenReport {
        guard let block = report.object["tls"] as? [String: Any] else {
            throw FixtureError("JSON report: 'tls' is missing: \(report)")
        }
        return LoadGenReport(block)
    }

    @Test("HTTPS/1.1 keep-alive at a rate: nginx logged every request once, over HTTP/1.1 and TLSv1.3; one full handshake per connection; SSL_write calls == sent")
    func keepAlive() async throws {
        try await NetworkNamespace.with { ns in
            try await NginxServer.with(in: ns, tls: try .good()) { nginx in
                let run = try await LoadGen.run(
                    try Self.arguments(nginx.httpsURL(), netns: ns, ["-c", "4", "--rate", "1000", "--count", "2000"]),
                    deadline: 30)
                let report = try run.report()
                try FaultRun.expectInvariants(report, intended: 2000)
                #expect(try report.completed == 2000, "\(HTTP1Run.summary(report))")
                #expect(try report.string("transport") == "tls")
                let log = try await nginx.tlsAccessLog(expected: 2000)
                #expect(log.count == 2000)
                #expect(log.allSatisfy { $0.proto == "HTTP/1.1" && $0.tlsProtocol == "TLSv1.3" && $0.status == 200 },
                        "\(Set(log.map { "\($0.proto) \($0.tlsProtocol) \($0.status)" }))")
                #expect(Set(log.map(\.connection)).count == 4, "4 keep-alive connections")
                let tls = try Self.tls(report)
                #expect(try tls.string("version") == "TLSv1.3")
                #expect(try tls.string("alpn") == "http/1.1")
                #expect(try tls.int("handshakes_full") + tls.int("handshakes_resumed") == 4)
                #expect(try tls.int("ssl_write_calls") == report.sent)
                #expect(try report.int("connections_opened") == 4)
            }
        }
    }

    @Test("h2 over TLS by ALPN: nginx logged HTTP/2.0 for every request; alpn h2; :scheme https accepted")
    func http2() async throws {
        try await NetworkNamespace.with { ns in
            try await NginxServer.with(in: ns, tls: try .good()) { nginx in
                let run = try await LoadGen.run(
                    try Self.arguments(nginx.httpsURL(http2: true), netns: ns,
                                       ["--http2", "-c", "2", "--streams", "20", "--rate", "2000", "--count", "4000"]),
                    deadline: 30)
                let report = try run.report()
                try FaultRun.expectInvariants(report, intended: 4000)
                #expect(try report.completed == 4000, "\(HTTP1Run.summary(report))")
                let log = try await nginx.tlsAccessLog(expected: 4000)
                #expect(log.count == 4000)
                #expect(log.allSatisfy { $0.proto == "HTTP/2.0" && $0.status == 200 && $0.port == nginx.h2TLSPort })
                #expect(try Self.tls(report).string("alpn") == "h2")
                #expect(try report.string("kind") == "http2")
            }
        }
    }

    @Test("--no-keepalive: a TLS connection per request, resumed as nginx counts it; --no-tls-resume: every handshake full")
    func handshakeModes() async throws {
        try await NetworkNamespace.with { ns in
            try await NginxServer.with(in: ns, tls: try .good()) { nginx in
                let resumed = try await LoadGen.run(
                    try Self.arguments(nginx.httpsURL(), netns: ns, ["--no-keepalive", "-c", "2", "--rate", "300", "--count", "300"]),
                    deadline: 30).report()
                try FaultRun.expectInvariants(resumed, intended: 300)
                var log = try await nginx.tlsAccessLog(expected: 300)
                #expect(log.count == 300 && Set(log.map(\.connection)).count == 300, "one connection per request")
                let tls = try Self.tls(resumed)
                #expect(try tls.int("handshakes_resumed") == log.filter(\.resumed).count, "nginx's \\$ssl_session_reused")
                #expect(try tls.int("handshakes_full") == log.filter { !$0.resumed }.count)
                #expect(try tls.int("handshakes_resumed") >= 240, "sessions are resumed (all but the first few): \(tls.object)")
                #expect(try resumed.int("connections_opened") == 300)

                let full = try await LoadGen.run(
                    try Self.arguments(nginx.httpsURL(), netns: ns,
                                       ["--no-keepalive", "--no-tls-resume", "--tls-max", "1.2", "-c", "2", "--rate", "300", "--count", "200"]),
                    deadline: 30).report()
                try FaultRun.expectInvariants(full, intended: 200)
                log = Array(try await nginx.tlsAccessLog(expected: 500).dropFirst(300))
                #expect(log.count == 200)
                #expect(log.allSatisfy { !$0.resumed && $0.tlsProtocol == "TLSv1.2" })
                #expect(try Self.tls(full).int("handshakes_full") == 200)
                #expect(try Self.tls(full).string("version") == "TLSv1.2")
            }
        }
    }

    @Test("the events log carries tls_version, sni and resumed per event")
    func eventsLog() async throws {
        try await NetworkNamespace.with { ns in
            try await NginxServer.with(in: ns, tls: try .good()) { nginx in
                let events = try TemporaryDirectory.make(prefix: "tls-events").appendingPathComponent("events.jsonl").path
                let report = try await LoadGen.run(
                    try Self.arguments(nginx.httpsURL(host: "127.0.0.1"), netns: ns,
                                       ["--no-keepalive", "-c", "1", "--count", "20", "--sni", "localhost", "--events", events]),
                    deadline: 30).report()
                #expect(try report.completed == 20)
                let lines = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n")
                let records = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                #expect(records.count == 20)
                #expect(records.allSatisfy { $0["tls_version"] as? String == "TLSv1.3" && $0["sni"] as? String == "localhost" })
                let resumedCount = records.filter { ($0["resumed"] as? Bool) == true }.count
                let log = try await nginx.tlsAccessLog(expected: 20)
                #expect(resumedCount == log.filter(\.resumed).count, "loadgen's resumed flags vs nginx's log")
            }
        }
    }

    @Test("client certificates: nginx requiring one serves --cert/--key, and answers 400 without one (as nginx does: it completes the handshake)")
    func clientCertificate() async throws {
        let certificates = try TLSCertificates.shared()
        var setup = try NginxServer.TLSSetup.good()
        setup.clientCA = certificates.caCert
        try await NetworkNamespace.with { ns in
            try await NginxServer.with(in: ns, tls: setup) { nginx in
                let good = try await LoadGen.run(
                    try Self.arguments(nginx.httpsURL(), netns: ns,
                                       ["-c", "1", "--count", "50", "--cert", certificates.clientCert, "--key", certificates.clientKey]),
                    deadline: 30).report()
                #expect(try good.completed == 50)
                #expect(try await nginx.tlsAccessLog(expected: 50).count == 50)
                let refused = try await LoadGen.run(try Self.arguments(nginx.httpsURL(), netns: ns, ["-c", "1", "--count", "5"]),
                                                    deadline: 30).report()
                #expect(try HTTP1Run.status(refused) == ["400": 5], "nginx: 'No required SSL certificate was sent'")
                let log = try await nginx.tlsAccessLog(expected: 55)
                #expect(log.filter { $0.status == 400 }.count == 5)
            }
        }
    }
}

extension HTTPSNginxTests {
    @Test("h2 over TLS against nghttpd: every request completed on 4 connections, 4 full handshakes as the kernel's PassiveOpens, ALPN h2")
    func nghttpd() async throws {
        try await NetworkNamespace.with { ns in
            try await NghttpdServer.with(in: ns, tls: true) { server in
                let run = try await LoadGen.run(
                    try Self.arguments(server.url, netns: ns, ["--http2", "-c", "4", "--streams", "20", "--count", "4000"]),
                    deadline: 30)
                let report = try run.report()
                try FaultRun.expectInvariants(report, intended: 4000)
                #expect(try report.completed == 4000 && report.counts("status") == ["200": 4000], "\(HTTP1Run.summary(report))")
                let tls = try Self.tls(report)
                #expect(try tls.string("alpn") == "h2")
                #expect(try tls.int("handshakes_full") + tls.int("handshakes_resumed") == 4)
                #expect(try tls.int("ssl_write_calls") > 0)
                let tcp = try await ns.tcpSNMPCounters()
                #expect(tcp["PassiveOpens"] == 4 && tcp["ActiveOpens"] == 4, "\(tcp)")
                #expect(server.isRunning, "nghttpd survived: \(server.log)")
            }
        }
    }
}
