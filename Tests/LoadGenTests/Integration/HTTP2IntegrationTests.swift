import Foundation
import Testing

/// Integration tests for `loadgen http --http2` (issue 4): the built binary against nghttpd and nginx (h2c with
/// prior knowledge) inside network namespaces the tests create, asserting on what the servers logged and what
/// the namespace's kernel counted, not only on what loadgen printed.
///
/// One serialized parent suite, so that no two of these runs (timing-sensitive, and sharing the two CPUs) overlap.
/// The nested suites live in the other HTTP2*.swift files of this folder. Skipped only when neither root nor in CI.
@Suite(.serialized,
       .enabled(if: IntegrationEnvironment.shouldRun, "needs root (network namespaces); set CI=1 to make a missing root fail"))
struct HTTP2IntegrationTests {}

/// Helpers shared by the HTTP/2 integration suites.
enum HTTP2Run {
    /// `http --netns NS --http2 URL ... --json --quiet`.
    static func arguments(netns: NetworkNamespace, url: String, _ extra: [String]) -> [String] {
        ["http", "--netns", netns.name, "--http2", url] + extra + ["--json", "--quiet"]
    }

    /// Header bytes of loadgen's request to `url` as RFC 7541 counts them (name + value + 32 per field):
    /// :method GET, :scheme http, :authority, :path and user-agent loadgen/VERSION.
    static func requestHeaderBytes(authority: String, path: String, version: String) -> Int {
        let fields = [(":method", "GET"), (":scheme", "http"), (":authority", authority), (":path", path),
                      ("user-agent", "loadgen/\(version)")]
        return fields.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 32 }
    }

    /// Everything an HTTP/2 report must carry (DESIGN.md §5, issue 4), and its HTTP/2 counters' own consistency.
    static func expectHTTP2Shape(_ report: LoadGenReport, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try report.string("kind") == "http2", sourceLocation: sourceLocation)
        for key in ["sent", "completed", "timeouts", "errors", "cancelled", "not_sent", "connections_opened"] {
            _ = try report.int(key)
        }
        let errorKinds = try report.counts("error_kinds")
        for kind in ["stream_reset", "reset", "closed"] {
            #expect(errorKinds[kind] != nil, "error_kinds lacks '\(kind)': \(errorKinds)", sourceLocation: sourceLocation)
        }
        let connectErrors = try report.counts("connect_errors")
        #expect(connectErrors["refused"] != nil, "connect_errors lacks 'refused': \(connectErrors)", sourceLocation: sourceLocation)
        _ = try report.counts("status")
        let h2 = try report.http2Counters()
        for key in ["streams_opened", "goaways_received", "resets_received", "retried", "request_header_bytes",
                    "request_header_bytes_hpack", "response_header_bytes", "response_header_bytes_hpack",
                    "header_compression_saved"] {
            #expect(h2[key] != nil, "http2 lacks '\(key)': \(h2)", sourceLocation: sourceLocation)
        }
        let (req, reqHPACK) = (h2["request_header_bytes"] ?? 0, h2["request_header_bytes_hpack"] ?? 0)
        let (resp, respHPACK) = (h2["response_header_bytes"] ?? 0, h2["response_header_bytes_hpack"] ?? 0)
        if try report.completed > 0 {
            #expect(reqHPACK > 0 && reqHPACK < req, "HPACK shrinks request headers: \(reqHPACK) of \(req)", sourceLocation: sourceLocation)
            #expect(respHPACK > 0 && respHPACK < resp, "HPACK shrinks response headers: \(respHPACK) of \(resp)", sourceLocation: sourceLocation)
            let saved = 1 - (reqHPACK + respHPACK) / (req + resp)
            let reported = h2["header_compression_saved"] ?? -1
            #expect(abs(reported - saved) < 0.002,
                    "header_compression_saved \(reported) is 1 - hpack/plain over both directions (\(saved))",
                    sourceLocation: sourceLocation)
        }
    }

    /// Exact accounting of HTTP/2 streams in a run without errors or timeouts: every stream opened was either a
    /// request's first send or a retry of one the server did not process.
    static func expectStreamAccounting(_ report: LoadGenReport, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let h2 = try report.http2Counters()
        let opened = Int(h2["streams_opened"] ?? -1), retried = Int(h2["retried"] ?? -1), sent = try report.sent
        #expect(opened == sent + retried,
                "streams_opened \(opened) == sent \(sent) + retried \(retried)", sourceLocation: sourceLocation)
    }
}

extension LoadGenReport {
    /// The `http2` object of an HTTP/2 report.
    func http2Counters() throws -> [String: Double] {
        guard let value = object["http2"] as? [String: Any] else {
            throw FixtureError("JSON report: 'http2' is missing or not an object: \(self)")
        }
        var result: [String: Double] = [:]
        for (name, number) in value {
            guard let n = LoadGenReport.number(number) else { throw FixtureError("JSON report: 'http2.\(name)' is not a number") }
            result[name] = n
        }
        return result
    }

    /// `http2.KEY` as a whole number.
    func http2Count(_ key: String) throws -> Int {
        guard let value = try http2Counters()[key] else { throw FixtureError("JSON report: 'http2.\(key)' is missing") }
        return Int(value)
    }

    var http2Description: String {
        "\(self) status=\(object["status"].map { "\($0)" } ?? "-") not_sent=\(object["not_sent"].map { "\($0)" } ?? "-") " +
            "connections_opened=\(object["connections_opened"].map { "\($0)" } ?? "-") " +
            "connect_errors=\(object["connect_errors"].map { "\($0)" } ?? "-") http2=\(object["http2"].map { "\($0)" } ?? "-")"
    }
}

extension NetworkNamespace {
    /// The namespace's TCP counters from /proc/net/snmp (`PassiveOpens`, `ActiveOpens`, `AttemptFails`, ...).
    func tcpSNMPCounters() async throws -> [String: Int] {
        try await snmp("Tcp")
    }
}
