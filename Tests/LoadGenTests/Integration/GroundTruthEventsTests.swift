import Foundation
import Glibc
import Testing

extension GroundTruthIntegrationTests {
    /// `--events`: one line per sent event, joinable with what a packet capture and the servers saw.
    @Suite struct EventsLog {
        @Test("DNS --events at 5000/s: one line per sent query, seq 0..<sent, and the (id, qname) tshark saw in the netns")
        func dnsEventsMatchCapture() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                // A wildcard, so that every q{seq} name has an answer (NOERROR).
                try await KnotServer.with(in: ns, port: port, extraRecords: ["*   A   192.0.2.9"]) { knot in
                    try await PcapCapture.with(in: ns, port: port) { capture in
                        let directory = try TemporaryDirectory.make(prefix: "gt-events")
                        defer { try? FileManager.default.removeItem(at: directory) }
                        let eventsPath = directory.appendingPathComponent("events.jsonl").path

                        let before = try await knot.stats()
                        var window = ClockWindow.start()
                        let (run, pid) = try await GroundTruthRun.run(
                            ["dns", "--netns", ns.name, "--server", "127.0.0.1:\(port)", "--name", "q{seq}.example.test",
                             "--rate", "5000", "--duration", "2s", "--timeout", "2s", "--events", eventsPath, "--json", "--quiet"],
                            deadline: 20)
                        window.end()
                        let delta = try await knot.stats() - before
                        let report = try run.report()
                        try report.expectAccounting()
                        let sent = try report.sent
                        DNSRun.expectNear(sent, 10_000, within: 0.02, "sent at 5000/s for 2 s")
                        #expect(try report.completed == delta.udp4, "knot saw \(delta.udp4) UDP queries; \(report)")

                        let events = try EventLog.read(eventsPath)
                        try EventLog.expectMatchesReport(events, report, kind: "dns", pid: pid, netnsInodes: [ns.inode], window: window)
                        try GroundTruthDNS.expectQueryFields(events, port: port)

                        // What tshark decoded from the namespace's loopback during the same run.
                        let captured = try await capture.fields(["dns.id", "dns.qry.name"], filter: "dns.flags.response == 0")
                        let seen = try GroundTruthDNS.tsharkQueries(captured)
                        let logged = try GroundTruthDNS.loggedQueries(events)
                        #expect(seen.values.reduce(0, +) == sent, "tshark saw \(seen.values.reduce(0, +)) queries; the log has \(sent)")
                        #expect(seen == logged, "(id, qname) differ: \(GroundTruthDNS.difference(logged: logged, seen: seen))")
                    }
                }
            }
        }

        @Test("--events -: stdout is only the JSON lines (one per sent event), the JSON report goes to stderr")
        func eventsOnStdout() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                try await KnotServer.with(in: ns, port: port, extraRecords: ["*   A   192.0.2.9"]) { _ in
                    var window = ClockWindow.start()
                    let (run, pid) = try await GroundTruthRun.run(
                        ["dns", "--netns", ns.name, "--server", "127.0.0.1:\(port)", "--name", "q{seq}.example.test",
                         "--rate", "5000", "--count", "1000", "--timeout", "2s", "--events", "-", "--json", "--quiet"],
                        deadline: 15)
                    window.end()
                    let report = try GroundTruthRun.stderrReport(run)
                    try report.expectAccounting()
                    #expect(try report.sent == 1000, "\(report)")
                    #expect(run.stdout.hasSuffix("\n"), "the last line ends with a newline")
                    #expect(!run.stdout.contains("\"tool\""), "the report is not on stdout")
                    let events = try EventLog.parse(run.stdout, source: "stdout")
                    try EventLog.expectMatchesReport(events, report, kind: "dns", pid: pid, netnsInodes: [ns.inode], window: window)
                    try GroundTruthDNS.expectQueryFields(events, port: port)
                }
            }
        }

        @Test("HTTP/1.1 --events with {seq} in the URL and a header: nginx logged each id exactly once, as the log says")
        func http1EventsMatchAccessLog() async throws {
            try await NetworkNamespace.with { ns in
                try await NginxServer.with(in: ns, h2c: true, groundTruthLog: true) { nginx in
                    try await GroundTruthHTTP.runAndCompare(ns: ns, nginx: nginx, http2: false,
                                                            ["--rate", "2000", "--count", "2000", "-c", "4"])
                }
            }
        }

        @Test("HTTP/2 --events with {seq} in the URL and a header: nginx logged each id exactly once; odd stream ids")
        func http2EventsMatchAccessLog() async throws {
            try await NetworkNamespace.with { ns in
                try await NginxServer.with(in: ns, h2c: true, groundTruthLog: true) { nginx in
                    try await GroundTruthHTTP.runAndCompare(ns: ns, nginx: nginx, http2: true,
                                                            ["--rate", "3000", "--count", "3000", "-c", "2"])
                }
            }
        }
    }
}

/// DNS events against what tshark decoded.
enum GroundTruthDNS {
    struct Query: Hashable, CustomStringConvertible {
        var id: Int
        var name: String
        var description: String { "(0x\(String(id, radix: 16)), \(name))" }
    }

    /// The DNS fields of every event: qname expanded from `q{seq}.example.test`, type A over UDP to the server, an
    /// id, a source in the namespace, and an rcode (NOERROR, from the wildcard) exactly when the query completed.
    static func expectQueryFields(_ events: [GroundTruthEvent], port: Int,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        var problems: [String] = []
        for event in events {
            func problem(_ text: String) { if problems.count < 10 { problems.append("line \(event.line): \(text): \(event)") } }
            let seq = try event.seq
            if try event.string("qname") != "q\(seq).example.test" { problem("qname is not q\(seq).example.test") }
            if try event.string("qtype") != "A" { problem("qtype is not A") }
            if try event.string("transport") != "udp" { problem("transport is not udp") }
            if try event.string("dst") != "127.0.0.1:\(port)" { problem("dst is not 127.0.0.1:\(port)") }
            if try !event.string("src").hasPrefix("127.0.0.1:") { problem("src is not 127.0.0.1:PORT") }
            if try !(0...0xffff).contains(event.int("id")) { problem("id is not 16 bits") }
            let completed = try event.outcome == "completed"
            if completed, (try? event.string("rcode")) != "NOERROR" { problem("completed without rcode NOERROR") }
            if !completed, event.has("rcode") { problem("an rcode without an answer") }
        }
        #expect(problems.isEmpty, "DNS fields:\n\(problems.joined(separator: "\n"))", sourceLocation: sourceLocation)
    }

    /// `tshark -T fields -e dns.id -e dns.qry.name` lines (`0x002a<TAB>q42.example.test`) as a multiset.
    static func tsharkQueries(_ text: String) throws -> [Query: Int] {
        var queries: [Query: Int] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2, fields[0].hasPrefix("0x"), let id = Int(fields[0].dropFirst(2), radix: 16) else {
                throw FixtureError("tshark: cannot parse '\(line)'")
            }
            queries[Query(id: id, name: String(fields[1])), default: 0] += 1
        }
        return queries
    }

    /// The events' (id, qname) as a multiset.
    static func loggedQueries(_ events: [GroundTruthEvent]) throws -> [Query: Int] {
        var queries: [Query: Int] = [:]
        for event in events { queries[Query(id: try event.int("id"), name: try event.string("qname")), default: 0] += 1 }
        return queries
    }

    static func difference(logged: [Query: Int], seen: [Query: Int]) -> String {
        let onlyLogged = logged.filter { seen[$0.key] != $0.value }.map { "\($0.key)×\($0.value) (tshark ×\(seen[$0.key] ?? 0))" }
        let onlySeen = seen.filter { logged[$0.key] == nil }.map { "\($0.key)×\($0.value)" }
        return "logged but not seen as often: \(onlyLogged.prefix(10)) (\(onlyLogged.count)); seen, never logged: \(onlySeen.prefix(10)) (\(onlySeen.count))"
    }
}

/// HTTP events against nginx's access log.
enum GroundTruthHTTP {
    /// Runs `loadgen http [--http2] 'http://127.0.0.1:PORT/?id={seq}' -H 'X-Seq: {seq}' EXTRA --events F` and checks
    /// the log against the report and against nginx's access log.
    static func runAndCompare(ns: NetworkNamespace, nginx: NginxServer, http2: Bool, _ extra: [String],
                              sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let port = http2 ? nginx.h2Port! : nginx.port
        let kind = http2 ? "http2" : "http1"
        let directory = try TemporaryDirectory.make(prefix: "gt-events")
        defer { try? FileManager.default.removeItem(at: directory) }
        let eventsPath = directory.appendingPathComponent("events.jsonl").path
        let template = "http://127.0.0.1:\(port)/?id={seq}"

        var window = ClockWindow.start()
        let (run, pid) = try await GroundTruthRun.run(
            ["http", "--netns", ns.name] + (http2 ? ["--http2"] : []) + [template, "-H", "X-Seq: {seq}"] + extra
                + ["--timeout", "3s", "--events", eventsPath, "--json", "--quiet"],
            deadline: 20, sourceLocation: sourceLocation)
        window.end()
        let report = try run.report()
        try report.expectAccounting(sourceLocation: sourceLocation)
        let (sent, completed) = (try report.sent, try report.completed)
        #expect(completed == sent, "a local nginx answers everything: \(HTTP1Run.summary(report))", sourceLocation: sourceLocation)
        let connectionsOpened = try report.int("connections_opened")

        let events = try EventLog.read(eventsPath)
        try EventLog.expectMatchesReport(events, report, kind: kind, pid: pid, netnsInodes: [ns.inode], window: window,
                                         sourceLocation: sourceLocation)

        var problems: [String] = []
        var sourceOfConnection: [Int: Set<String>] = [:]
        var streams: [String: Int] = [:]
        var completedSeqs: Set<String> = []
        for event in events {
            func problem(_ text: String) { if problems.count < 10 { problems.append("line \(event.line): \(text): \(event)") } }
            let seq = try event.seq
            if try event.string("method") != "GET" { problem("method is not GET") }
            if try event.string("url") != "http://127.0.0.1:\(port)/?id=\(seq)" { problem("url is not the template with id=\(seq)") }
            if try event.string("dst") != "127.0.0.1:\(port)" { problem("dst is not 127.0.0.1:\(port)") }
            let completed = try event.outcome == "completed"
            if completed {
                completedSeqs.insert(String(seq))
                if (try? event.int("status")) != 200 { problem("completed without status 200") }
            } else if event.has("status") {
                problem("a status without a response")
            }
            guard let connection = try? event.int("connection") else { problem("no connection"); continue }
            if !(0..<connectionsOpened).contains(connection) { problem("connection not in 0..<connections_opened (\(connectionsOpened))") }
            if let src = try? event.string("src") { sourceOfConnection[connection, default: []].insert(src) }
            if http2 {
                guard let stream = try? event.int("stream") else { problem("no stream"); continue }
                if stream % 2 != 1 { problem("stream id \(stream) is not odd (client-initiated)") }
                streams["\(connection)/\(stream)", default: 0] += 1
            } else if event.has("stream") {
                problem("a stream on HTTP/1.1")
            }
        }
        #expect(problems.isEmpty, "HTTP fields:\n\(problems.joined(separator: "\n"))", sourceLocation: sourceLocation)
        let reused = sourceOfConnection.filter { $0.value.count != 1 }
        #expect(reused.isEmpty, "a connection number with several source endpoints: \(reused.prefix(5))", sourceLocation: sourceLocation)
        let twice = streams.filter { $0.value > 1 }
        #expect(twice.isEmpty, "(connection, stream) used twice: \(twice.prefix(5))", sourceLocation: sourceLocation)

        // nginx's side: exactly one request per completed event, with the id from the URL and the header.
        let log = try await nginx.groundTruthLog(expected: completed)
        #expect(log.count == completed, "nginx logged \(log.count) requests, loadgen completed \(completed)", sourceLocation: sourceLocation)
        let wrong = log.filter {
            $0.port != port || $0.status != 200 || $0.serverProtocol != (http2 ? "HTTP/2.0" : "HTTP/1.1") || $0.argID != $0.xSeq
                || $0.request != "GET /?id=\($0.argID) \($0.serverProtocol)"
        }
        #expect(wrong.isEmpty, "access-log lines that do not fit (port, 200, protocol, id == X-Seq): \(wrong.prefix(5))",
                sourceLocation: sourceLocation)
        var ids: [String: Int] = [:]
        for entry in log { ids[entry.argID, default: 0] += 1 }
        let repeated = ids.filter { $0.value > 1 }
        #expect(repeated.isEmpty, "ids nginx saw more than once: \(repeated.sorted { $0.key < $1.key }.prefix(10))",
                sourceLocation: sourceLocation)
        let neverServed = completedSeqs.subtracting(ids.keys), neverLogged = Set(ids.keys).subtracting(completedSeqs)
        #expect(neverServed.isEmpty && neverLogged.isEmpty,
                "completed in the log but not seen by nginx: \(neverServed.sorted().prefix(10)) (\(neverServed.count)); seen by nginx but not completed in the log: \(neverLogged.sorted().prefix(10)) (\(neverLogged.count))",
                sourceLocation: sourceLocation)
        // The connections: as many distinct ones in the events log as nginx served requests on.
        let loggedConnections = Set(try events.filter { try $0.outcome == "completed" }.map { try $0.int("connection") })
        let nginxConnections = Set(log.map(\.connection))
        #expect(loggedConnections.count == nginxConnections.count,
                "the log's completed events used \(loggedConnections.count) connections, nginx served them on \(nginxConnections.count)",
                sourceLocation: sourceLocation)
    }
}
