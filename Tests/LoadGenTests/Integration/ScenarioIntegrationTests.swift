import Foundation
import Glibc
import Testing

extension DNSIntegrationTests {
    /// `loadgen run SCENARIO.yaml` (issue 12 point 4): DNS, HTTP/1.1 and h2c streams from one file on the same
    /// loop thread in one test netns, checked against what knot and nginx counted, per stream.
    @Suite struct Scenario {
        @Test("DNS 1000/s + HTTP/1.1 500/s + h2c 300/s with counts: each stream's completed == knot's queries / nginx's HTTP/1.1 and HTTP/2.0 lines; streams[] sums to the total; one events log with stream fields, one origin, one loop thread")
        func threeStreamsMatchTheServers() async throws {
            try await ScenarioRun.withServers { ns, port, knot, nginx, directory in
                let events = directory.appendingPathComponent("events.jsonl").path
                let file = try ScenarioRun.write(directory, """
                netns: \(ns.name)
                timeout: 2s
                events: \(events)
                json: true
                quiet: true
                progress-json: true
                streams:
                  - name: names
                    kind: dns
                    rate: 1000
                    count: 2000
                    server: 127.0.0.1:\(port)
                    names: [\(KnotServer.existingName)]
                  - name: web
                    kind: http1
                    rate: 500
                    count: 1000
                    urls: ['\(nginx.url(NginxServer.indexPath))']
                    connections: 4
                  - name: h2
                    kind: http2
                    rate: 300
                    count: 600
                    urls: ['\(nginx.h2URL())']
                    connections: 2
                    streams: 20
                """)
                let (run, report, delta) = try await knot.measure(["run", file], deadline: 30)
                let streams = try ScenarioRun.streams(report)
                #expect(try streams.map { try $0.string("name") } == ["names", "web", "h2"])
                #expect(try streams.map { try $0.string("kind") } == ["dns", "http1", "http2"])
                try ScenarioRun.expectTotals(report, streams)
                for (stream, count) in zip(streams, [2000, 1000, 600]) {
                    try FaultRun.expectInvariants(stream, intended: count)
                    #expect(try stream.completed == count, "\(stream)")
                }
                #expect(try streams[0].completed == delta.requests, "knot saw \(delta.requests) queries")
                let log = try await nginx.accessLog(expected: 1600)
                #expect(log.filter { $0.proto == "HTTP/1.1" }.count == (try streams[1].completed))
                #expect(log.filter { $0.proto == "HTTP/2.0" }.count == (try streams[2].completed))
                #expect(log.count == 1600 && log.allSatisfy { $0.status == 200 }, "\(log.prefix(3))")
                try ScenarioRun.expectProgress(run.stderr, report)
                try ScenarioRun.expectEventsLog(EventLog.read(events), streams: streams,
                                                rates: ["names": 1000, "web": 500, "h2": 300], inode: ns.inode)
            }
        }

        @Test("Ctrl-C 1.5 s into a 20 s scenario stops every stream: each exact (both invariants, completed == the servers' counts), interrupted")
        func ctrlCStopsEveryStream() async throws {
            try await ScenarioRun.withServers { ns, port, knot, nginx, directory in
                let file = try ScenarioRun.write(directory, """
                netns: \(ns.name)
                duration: 20s
                rate: 1500
                threads: 2
                timeout: 2s
                streams:
                  - {name: d, kind: dns, share: 0.6, server: '127.0.0.1:\(port)', names: \(KnotServer.existingName)}
                  - {name: w, kind: http1, share: 0.4, urls: '\(nginx.url(NginxServer.indexPath))', connections: 4}
                """)
                let before = try await knot.stats()
                let run = try await FaultRun.run(["run", file, "--json", "--quiet"], after: 1.5, deadline: 15) { child in
                    child.signal(SIGINT)
                }
                let delta = try await knot.stats() - before
                let report = try FaultRun.report(run, stoppedBy: SIGINT)
                #expect(try report.bool("interrupted"))
                let streams = try ScenarioRun.streams(report)
                try ScenarioRun.expectTotals(report, streams)
                for stream in streams {
                    try FaultRun.expectInvariants(stream)
                    #expect(try stream.bool("interrupted"))
                    #expect(try stream.completed > 0, "\(stream)")
                    #expect(try stream.double("duration_s") < 2, "the window ends at the stop: \(stream)")
                }
                #expect(try streams.map { try $0.double("requested_rate") } == [900, 600])
                #expect(try streams[0].completed == delta.requests, "knot saw \(delta.requests) queries")
                let completed = try streams[1].completed
                let log = try await nginx.accessLog(expected: completed)
                #expect(log.count == completed, "nginx logged \(log.count), the stream completed \(completed)")
            }
        }

        @Test("a stream's threshold is its own: breached in one stream, exit 4 naming it, after the whole report")
        func thresholdPerStream() async throws {
            try await DNSRun.withKnot { ns, port, _ in
                let directory = try TemporaryDirectory.make(prefix: "scenario")
                defer { try? FileManager.default.removeItem(at: directory) }
                let file = try ScenarioRun.write(directory, """
                netns: \(ns.name)
                count: 200
                json: true
                quiet: true
                streams:
                  - {name: strict, kind: dns, rate: 1000, server: '127.0.0.1:\(port)', names: \(KnotServer.existingName), max-latency: p50=1us}
                  - {name: easy, kind: dns, rate: 500, server: '127.0.0.1:\(port)', names: \(KnotServer.existingName), max-error-ratio: 0.5}
                """)
                let run = try await LoadGen.run(["run", file], deadline: 20)
                let streams = try ScenarioRun.streams(try run.report(exitCode: 4))
                let held = try streams.map { stream in
                    try #require(stream.object["thresholds"] as? [[String: Any]]).map { $0["held"] as? Bool }
                }
                #expect(held == [[false], [true]], "\(streams)")
                #expect(run.stderr.contains("stream 'strict': 1 threshold breached: max_latency_p50"), "stderr: \(run.stderr)")
                #expect(!run.stderr.contains("'easy'"), "stderr: \(run.stderr)")
            }
        }

        @Test("a bad scenario file: exit 2 with FILE:LINE: key 'K': the stream and the command's reason, nothing run")
        func badFileExitsTwo() async throws {
            let directory = try TemporaryDirectory.make(prefix: "scenario")
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = try ScenarioRun.write(directory, """
            duration: 1s
            streams:
              - name: web
                kind: http2
                urls: ['http://127.0.0.1:9/']
                streams: lots
            """)
            let run = try await LoadGen.run(["run", file], deadline: 10)
            #expect(run.exitCode == 2, "\(run.outcome.termination); stderr: \(run.stderr)")
            #expect(run.stderr.hasPrefix("loadgen: \(file):6: key 'streams': stream 'web' (http2): The value 'lots' is invalid for '--streams <N>'"),
                    "stderr: \(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
    }
}

/// Writing scenario files and reading scenario reports.
enum ScenarioRun {
    /// A test netns with knot (on a free port) and nginx (HTTP/1.1 and h2c) in it, and a scratch directory.
    static func withServers(_ body: (NetworkNamespace, Int, KnotServer, NginxServer, URL) async throws -> Void) async throws {
        try await DNSRun.withKnot { ns, port, knot in
            try await NginxServer.with(in: ns, h2c: true) { nginx in
                let directory = try TemporaryDirectory.make(prefix: "scenario")
                defer { try? FileManager.default.removeItem(at: directory) }
                try await body(ns, port, knot, nginx, directory)
            }
        }
    }

    static func write(_ directory: URL, _ text: String) throws -> String {
        let path = directory.appendingPathComponent("scenario.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The report's `streams` entries, each a whole report.
    static func streams(_ report: LoadGenReport) throws -> [LoadGenReport] {
        guard let list = report.object["streams"] as? [[String: Any]] else {
            throw FixtureError("JSON report: 'streams' is missing or not an array of objects: \(report)")
        }
        return list.map(LoadGenReport.init)
    }

    /// The total's invariants, and every count of the streams adding up to it.
    static func expectTotals(_ report: LoadGenReport, _ streams: [LoadGenReport],
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        try FaultRun.expectInvariants(report, sourceLocation: sourceLocation)
        #expect(try report.string("kind") == "scenario", sourceLocation: sourceLocation)
        #expect(report.object["status"] == nil && report.object["rcodes"] == nil, "no mixed answer codes in the total",
                sourceLocation: sourceLocation)
        for key in ["intended", "sent", "not_sent", "completed", "timeouts", "errors", "cancelled"] {
            let sum = try streams.map { try $0.int(key) }.reduce(0, +), total = try report.int(key)
            #expect(total == sum, "total \(key) \(total) != the streams' \(sum)", sourceLocation: sourceLocation)
        }
    }

    /// --progress-json over every stream: the seconds' answers add up to the total completed (each worker hands
    /// in its own interval-log lane), the last line holds the total counts.
    static func expectProgress(_ stderr: String, _ report: LoadGenReport, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var objects: [[String: Any]] = []
        for line in stderr.split(separator: "\n") {
            objects.append(try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                                        "not JSON: \(line)", sourceLocation: sourceLocation))
        }
        let answers = objects.compactMap { LoadGenReport.number($0["answers"]) }.reduce(0, +)
        let (completed, sent) = (try report.completed, try report.sent)
        #expect(objects.count >= 2 && answers == Double(completed), "answers \(answers) of \(completed): \(stderr)",
                sourceLocation: sourceLocation)
        #expect(LoadGenReport.number(objects.last?["sent"]) == Double(sent)
                && LoadGenReport.number(objects.last?["completed"]) == Double(completed), "\(objects.last ?? [:])",
                sourceLocation: sourceLocation)
    }

    /// One line per sent event of each stream, marked with its name; every stream's seq 0..<sent, its intended
    /// times on its own schedule from one shared origin; all from one process's loop threads in the netns.
    static func expectEventsLog(_ events: [GroundTruthEvent], streams: [LoadGenReport], rates: [String: Double],
                                inode: UInt64, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var byStream: [String: [GroundTruthEvent]] = [:]
        for event in events { byStream[try event.string("stream"), default: []].append(event) }
        var origins: Set<Int> = []
        for stream in streams {
            let name = try stream.string("name"), kind = try stream.string("kind")
            let mine = (byStream[name] ?? []).sorted { (try? $0.seq) ?? 0 < (try? $1.seq) ?? 0 }
            let sent = try stream.sent
            #expect(mine.count == sent, "\(name): \(mine.count) lines, \(sent) sent", sourceLocation: sourceLocation)
            #expect(try mine.map { try $0.seq } == Array(0..<mine.count), "\(name): seq 0..<sent", sourceLocation: sourceLocation)
            #expect(try mine.allSatisfy { try $0.string("kind") == kind && $0.int("netns") == Int(inode) },
                    "\(name): kind \(kind) and the netns on every line", sourceLocation: sourceLocation)
            if kind == "http2" {
                #expect(mine.allSatisfy { ((try? $0.int("h2_stream")) ?? 0) % 2 == 1 }, "\(name): the HTTP/2 stream ID in h2_stream",
                        sourceLocation: sourceLocation)
            }
            guard let first = mine.first, let last = mine.last, let rate = rates[name] else { continue }
            let origin = try first.int("intended")
            origins.insert(origin)
            let span = Double(try last.int("intended") - origin) / 1e9
            #expect(abs(span - Double(mine.count - 1) / rate) < 0.001, "\(name): intended span \(span) s at \(rate)/s",
                    sourceLocation: sourceLocation)
        }
        #expect(origins.count == 1, "one origin for every stream: \(origins)", sourceLocation: sourceLocation)
        #expect(Set(try events.map { try $0.int("tid") }).count == 1, "every stream on the one loop thread",
                sourceLocation: sourceLocation)
        #expect(byStream.count == streams.count, "only the streams' names: \(byStream.keys.sorted())", sourceLocation: sourceLocation)
    }
}
