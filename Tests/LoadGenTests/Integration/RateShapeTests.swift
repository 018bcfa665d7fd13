import Foundation
import Testing

/// Shaped rates (issue 12, point 2) against real servers: `--rate A..B --ramp DUR` and `--steps`. Each second of
/// a ramp and each step is checked three ways: the report's `steps` window, the events log's intended and sent
/// times, and the shape's own arithmetic; the server counts the total.
@Suite(.serialized) struct RateShapeTests {
    /// Events per whole second after the origin (event 0's intended time), by the events log's `field`.
    static func perSecond(_ records: [[String: Any]], _ field: String, seconds: Int) throws -> [Int] {
        let origin = try records.map { try #require($0["intended"] as? NSNumber).int64Value }.min() ?? 0
        var counts = [Int](repeating: 0, count: seconds + 1)
        for record in records {
            let at = try #require(record[field] as? NSNumber).int64Value - origin
            counts[min(seconds, Int(at / 1_000_000_000))] += 1
        }
        return counts
    }

    static func records(_ path: URL) throws -> [[String: Any]] {
        try String(contentsOf: path, encoding: .utf8).split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    /// The report's `steps`, checked to add up as the run's counts do.
    static func steps(_ report: LoadGenReport, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        let steps = try #require(report.object["steps"] as? [[String: Any]], "no steps in \(report)", sourceLocation: sourceLocation)
        func sum(_ key: String) -> Double { steps.reduce(0) { $0 + (LoadGenReport.number($1[key]) ?? -1e9) } }
        for (key, total) in [("intended", try report.int("intended")), ("sent", try report.sent), ("completed", try report.completed)] {
            #expect(sum(key) == Double(total), "steps' \(key) add up to \(sum(key)), the run's is \(total)", sourceLocation: sourceLocation)
        }
        for step in steps {
            let n = { (k: String) in LoadGenReport.number(step[k]) ?? -1 }
            #expect(n("intended") == n("sent") + n("not_sent") && n("sent") == n("completed") + n("timeouts") + n("errors") + n("cancelled"),
                    "a step does not add up: \(step)", sourceLocation: sourceLocation)
        }
        return steps
    }

    static func within(_ measured: Int, _ expected: Int, _ fraction: Double) -> Bool {
        Double(abs(measured - expected)) <= max(1, Double(expected) * fraction)
    }

    @Test("--rate 1000..5000 --ramp 4s: per second, intended and sent follow the ramp (1500, 2500, 3500, 4500) within 1% in the report and the events log; knot answers all 12000")
    func dnsRamp() async throws {
        let directory = try TemporaryDirectory.make(prefix: "ramp")
        defer { try? FileManager.default.removeItem(at: directory) }
        let events = directory.appendingPathComponent("events.jsonl")
        try await DNSRun.withKnot { ns, port, knot in
            let before = try await knot.stats()
            let report = try await LoadGen.run(DNSRun.arguments(netns: ns, port: port, ["--rate", "1000..5000", "--ramp", "4s",
                                                                                        "--timeout", "1s", "--events", events.path]),
                                               deadline: 30).report()
            try report.expectAccounting()
            #expect(try report.int("intended") == 12_000 && report.completed == 12_000, "\(report)")
            let seen = try await knot.stats() - before
            #expect(seen.udp4 == 12_000, "knot's count")
            let expected = [1500, 2500, 3500, 4500]
            let steps = try RateShapeTests.steps(report)
            #expect(steps.map { LoadGenReport.number($0["intended"]) ?? 0 } == expected.map(Double.init), "\(steps)")
            #expect(steps.map { LoadGenReport.number($0["rate_from"]) ?? 0 } == [1000, 2000, 3000, 4000], "\(steps)")
            let records = try RateShapeTests.records(events)
            let intended = try RateShapeTests.perSecond(records, "intended", seconds: 4)
            let sent = try RateShapeTests.perSecond(records, "sent", seconds: 4)
            #expect(Array(intended.prefix(4)) == expected && intended[4] == 0, "intended per second \(intended)")
            for (second, count) in expected.enumerated() {
                #expect(RateShapeTests.within(sent[second], count, 0.01), "second \(second): sent \(sent[second]), the ramp intends \(count)")
            }
        }
    }

    @Test("--steps 2000@1s,0@500ms,4000@1s: each step intends and sends its rate × span within 1%, nothing goes out in the pause, and knot answers all 6000")
    func dnsSteps() async throws {
        let directory = try TemporaryDirectory.make(prefix: "steps")
        defer { try? FileManager.default.removeItem(at: directory) }
        let events = directory.appendingPathComponent("events.jsonl")
        try await DNSRun.withKnot { ns, port, knot in
            let before = try await knot.stats()
            let report = try await LoadGen.run(DNSRun.arguments(netns: ns, port: port, ["--steps", "2000@1s,0@500ms,4000@1s",
                                                                                        "--timeout", "1s", "--events", events.path]),
                                               deadline: 30).report()
            try report.expectAccounting()
            let seen = try await knot.stats() - before
            #expect(try seen.udp4 == 6_000 && report.completed == 6_000, "knot's count; \(report)")
            let steps = try RateShapeTests.steps(report)
            #expect(steps.map { LoadGenReport.number($0["intended"]) ?? 0 } == [2000, 0, 4000], "\(steps)")
            #expect(abs(try report.double("duration_s") - 2.5) < 1e-6, "the run lasts the steps' sum")
            let records = try RateShapeTests.records(events)
            let origin = try records.map { try #require($0["intended"] as? NSNumber).int64Value }.min() ?? 0
            var bySent = [0, 0, 0]
            for record in records {
                let at = Double(try #require(record["sent"] as? NSNumber).int64Value - origin) / 1e9
                bySent[at < 1.0 ? 0 : at < 1.5 ? 1 : 2] += 1
            }
            #expect(RateShapeTests.within(bySent[0], 2000, 0.01) && RateShapeTests.within(bySent[2], 4000, 0.01), "sent per step \(bySent)")
            #expect(bySent[1] <= 20, "\(bySent[1]) queries went out during the pause (only late ones of step 1 may)")
        }
    }

    @Test("HTTP/1.1 --rate 0..2000 --ramp 2s --duration 3s: per second 500, 1500, then 2000 held; nginx logs every request")
    func httpRampThenHold() async throws {
        try await NetworkNamespace.with { ns in
            try await NginxServer.with(in: ns) { nginx in
                let run = try await LoadGen.run(["http", nginx.url("/"), "--netns", ns.name, "--rate", "0..2000", "--ramp", "2s",
                                                 "--duration", "3s", "-c", "20", "--json", "--quiet"], deadline: 30)
                let report = try run.report()
                try report.expectAccounting()
                #expect(try report.int("intended") == 4000, "\(report)")
                let steps = try RateShapeTests.steps(report)
                #expect(steps.map { LoadGenReport.number($0["intended"]) ?? 0 } == [500, 1500, 2000], "\(steps)")
                #expect(steps.map { LoadGenReport.number($0["step"]) ?? -1 } == [1, 1, 0], "the last window is the hold")
                let log = try await nginx.accessLog(expected: try report.completed)
                let completed = try report.completed
                #expect(log.count == completed && completed == 4000, "nginx logged \(log.count)")
            }
        }
    }

    @Test("shape flags that cannot work are usage errors naming the flag and what would")
    func badShapes() async throws {
        let cases: [([String], String)] = [
            (["--steps", "1000@"], "--steps"),
            (["--steps", "0@1s,0@2s"], "never sends anything"),
            (["--steps", "1k@1s", "--rate", "5"], "leave out --rate"),
            (["--ramp", "2s"], "--ramp DUR needs --rate A..B"),
            (["--rate", "0..0", "--ramp", "1s"], "goes from 0 to 0"),
            (["--rate", "1k..2k", "--count", "10"], "add --ramp DUR"),
            (["--rate", "1k..x", "--ramp", "1s"], "where a rate belongs"),
            (["--interval", "1ms", "--ramp", "1s"], "not with --interval"),
        ]
        for (extra, message) in cases {
            let run = try await LoadGen.run(["dns", "--server", "127.0.0.1:9", "--name", "a.example.test"] + extra, deadline: 10)
            #expect(run.exitCode == 2 && run.stderr.contains(message), "\(extra): exit \(run.exitCode), \(run.stderr)")
        }
    }
}

extension RateShapeTests {
    @Test("SIGINT 1.5 s into --rate 1000..3000 --ramp 4s: the steps still add up to the run's counts, the windows after the stop intend nothing, and knot answered every completed query")
    func rampInterrupted() async throws {
        try await DNSRun.withKnot { ns, port, knot in
            let before = try await knot.stats()
            let child = try LoadGen.start(DNSRun.arguments(netns: ns, port: port, ["--rate", "1000..3000", "--ramp", "4s", "--timeout", "1s"]))
            try await Task.sleep(nanoseconds: 1_500_000_000)
            child.signal(SIGINT)
            let run = LoadGenRun(arguments: [], await child.wait(seconds: 20), sourceLocation: #_sourceLocation)
            let report = try FaultRun.report(run, stoppedBy: SIGINT)
            try report.expectAccounting()
            #expect(try report.bool("interrupted"))
            let steps = try RateShapeTests.steps(report)
            #expect(steps.count == 4, "\(steps)")
            #expect(steps.suffix(2).allSatisfy { LoadGenReport.number($0["intended"]) == 0 }, "windows after the stop: \(steps)")
            let seen = try await knot.stats() - before
            #expect(try seen.udp4 == report.sent, "knot saw \(seen.udp4)")
        }
    }

    @Test("SIGINT during --find-max: the step it lands in ends with exact counts, the search stops there and reports the steps so far")
    func findMaxInterrupted() async throws {
        try await DNSRun.withKnot { ns, port, _ in
            let child = try LoadGen.start(DNSRun.arguments(netns: ns, port: port, ["--find-max", "--rate", "1000", "--step-duration", "1s",
                                                                                  "--timeout", "200ms"]))
            try await Task.sleep(nanoseconds: 2_600_000_000)
            child.signal(SIGINT)
            let run = LoadGenRun(arguments: [], await child.wait(seconds: 20), sourceLocation: #_sourceLocation)
            let report = try FaultRun.report(run, stoppedBy: SIGINT)
            try report.expectAccounting()
            let search = try #require(report.object["find_max"] as? [String: Any], "\(report)")
            let steps = try #require(search["steps"] as? [[String: Any]])
            #expect(steps.count >= 2 && steps.count <= 4, "the search went on after the stop: \(steps.count) steps")
            #expect(LoadGenReport.number(search["max_rate"]) != nil, "the steps before the stop held")
        }
    }
}
