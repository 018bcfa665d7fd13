import Foundation
import Testing
@testable import LoadGen

/// `loadgen merge` of tcp and udp reports, without processes: hand-made reports written by `JSONReport`, read back,
/// merged and written again; and what a damaged or edited tcp/udp report gets instead of a merge.
@Suite struct ReportMergeKindsTests {
    /// A header as a tcp or udp report reads back (no workload, count or duration in the JSON).
    static func header(_ kind: String) -> ReportHeader {
        var h = ReportFixtures.header(kind: kind)
        (h.eventNoun, h.transport, h.targets) = (ReportInput.eventNoun(kind: kind), kind, ["127.0.0.1:7000"])
        (h.targetsSource, h.workload, h.count, h.durationNanos) = ("close fin", [], nil, nil)
        return h
    }

    /// The two-thread fixture as a tcp or udp run: every completed event has the kind's one outcome (code 0).
    static func big(_ kind: String) -> RunResult {
        var threads = ReportFixtures.result().threads
        for i in threads.indices {
            threads[i].counters.codes = [0: threads[i].counters.completed]
            (threads[i].connectionsOpened, threads[i].bytesReceived) = (kind == "tcp" ? 100_000 : 0, 4_000 + UInt64(i))
            threads[i].recordConnectError(.refused, atNanos: 5)
        }
        threads[0].dns = DNSCounters(duplicateAnswers: 3, lateAnswers: 2, idMismatches: 1, tcFallbacks: 0)
        threads[0].truncated = 4
        return RunResult(threads: threads, originNanos: 1_000_000, endNanos: 10_002_000_000, windowNanos: 10_000_000_000,
                         interrupted: false)
    }

    /// One thread of a different shape: 10 sent (7 completed, a timeout, a reset, a cancelled), 2 not sent.
    static func small(_ kind: String) -> RunResult {
        var t = ThreadResult()
        (t.tid, t.netns, t.counters.sent, t.counters.completed, t.counters.cancelled) = (7, "bench", 10, 7, 1)
        t.counters.recordTimeout(atNanos: 9)
        t.counters.recordError(.reset, atNanos: 9)
        t.counters.recordNotSent(.noConnection, count: 2, atNanos: 9)
        t.counters.codes = [0: 7]
        for us in [50, 60, 70, 80, 90_000, 100, 3_000] as [UInt64] {
            t.responseTime.record(us * 1_000)
            t.serviceTime.record(us * 900)
        }
        (t.connectionsOpened, t.bytesReceived, t.cpuNanos) = (kind == "tcp" ? 9 : 0, 70, 1_000_000)
        t.dns = DNSCounters(duplicateAnswers: 5, lateAnswers: 1, idMismatches: 7, tcFallbacks: 0)
        t.truncated = 2
        return RunResult(threads: [t], originNanos: 0, endNanos: 2_000_000_000, windowNanos: 2_000_000_000, interrupted: false)
    }

    static func json(_ kind: String, _ result: RunResult) -> String {
        JSONReport.make(header(kind), result, codeNames: ReportInput.codeNames(kind: kind)).serialized()
    }

    static func read(_ text: String, source: String = "x.json") throws -> [ReportInput] {
        try JSONInput.documents(in: text, source: source).map { doc, line in
            try ReportInput(JSONInput.Object(parsing: doc, path: "\(source):\(line)"))
        }
    }

    /// The merged report as a JSON object, the way `loadgen merge --json` writes it.
    static func merged(_ text: String) throws -> [String: Any] {
        let (h, r) = try ReportMerge.merge(try read(text))
        let out = JSONReport.make(h, r, codeNames: ReportInput.codeNames(kind: h.kind)).serialized()
        return try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
    }

    static func failure(_ text: String) -> String {
        do {
            _ = try ReportMerge.merge(try read(text))
            return ""
        } catch let failure as JSONInput.Failure {
            return failure.description
        } catch {
            return "\(error)"
        }
    }

    @Test(arguments: ["tcp", "udp"])
    func mergingOneReportReproducesIt(kind: String) throws {
        let original = Self.json(kind, Self.big(kind))
        let (h, r) = try ReportMerge.merge(try Self.read(original))
        #expect(h.kind == kind && h.eventNoun == ReportInput.eventNoun(kind: kind))
        #expect(JSONReport.make(h, r, codeNames: ReportInput.codeNames(kind: kind)).serialized() == original)
    }

    @Test(arguments: ["tcp", "udp"])
    func twoReportsAddUpExactly(kind: String) throws {
        let (a, b) = (Self.big(kind), Self.small(kind))
        let m = try Self.merged(Self.json(kind, a) + "\n" + Self.json(kind, b))
        func int(_ key: String, _ o: [String: Any]? = nil) -> Int { (o ?? m)[key] as? Int ?? -1 }
        #expect(m["kind"] as? String == kind)
        let keys = ["sent", "completed", "timeouts", "errors", "cancelled", "not_sent", "intended", "bytes_received",
                    "connections_opened", "truncated", "duplicate_answers", "late_answers", "id_mismatch"]
        let ja = try #require(try JSONSerialization.jsonObject(with: Data(Self.json(kind, a).utf8)) as? [String: Any])
        let jb = try #require(try JSONSerialization.jsonObject(with: Data(Self.json(kind, b).utf8)) as? [String: Any])
        for key in keys { #expect(int(key) == int(key, ja) + int(key, jb), "\(key)") }
        #expect(int("sent") == 200_010 && int("intended") == 200_012)
        #expect(int("sent") == int("completed") + int("timeouts") + int("errors") + int("cancelled"))
        #expect(int("intended") == int("sent") + int("not_sent"))
        let outcome = kind == "tcp" ? "established" : "ok"
        #expect(m["outcomes"] as? [String: Int] == [outcome: 199_997])
        #expect((m["error_kinds"] as? [String: Int])?["reset"] == 1 && (m["error_kinds"] as? [String: Int])?["refused"] == 3)
        #expect((m["connect_errors"] as? [String: Int])?["refused"] == 2)
        #expect((m["not_sent_reasons"] as? [String: Int])?["no_connection"] == 2)
        #expect((m["per_thread"] as? [Any])?.count == 3)
        if kind == "udp" {
            #expect(m["echoes"] as? [String: Int] == ["duplicates": 8, "late": 3, "truncated": 6, "foreign": 8])
        } else {
            #expect(m["echoes"] == nil)
        }
        try Self.expectExactHistograms(m, a, b)
    }

    /// Every histogram of the merge is the two inputs' histograms added: its `hdr` the sum's, and so its percentiles.
    static func expectExactHistograms(_ m: [String: Any], _ a: RunResult, _ b: RunResult) throws {
        let paths = [("latency_us", \RunResult.responseTime), ("service_time_us", \RunResult.serviceTime),
                     ("schedule_lag_us", \RunResult.scheduleLag)]
        for (key, path) in paths {
            var sum = a[keyPath: path]
            sum.add(b[keyPath: path])
            let o = try #require(m[key] as? [String: Any])
            #expect(o["hdr"] as? String == sum.encoded, "\(key)")
            #expect(o["count"] as? Int == Int(a[keyPath: path].count + b[keyPath: path].count), "\(key)")
            let read = try ReportInput.histogram(JSONInput.Object(o, path: key), overRange: 0)
            for p in [50.0, 90, 99, 99.9, 100] { #expect(read.percentileNanos(p) == sum.percentileNanos(p), "\(key) p\(p)") }
        }
    }

    @Test func kindsDoNotMix() {
        let tcp = Self.json("tcp", Self.big("tcp")), udp = Self.json("udp", Self.big("udp"))
        let message = Self.failure(tcp + "\n" + udp)
        #expect(message == "cannot merge a udp report with a tcp report: merge runs of one kind", "\(message)")
        var dns = ReportFixtures.header()
        (dns.workload, dns.count, dns.durationNanos) = ([], nil, nil)
        let dnsText = JSONReport.make(dns, ReportFixtures.result(), codeNames: ReportInput.codeNames(kind: "dns")).serialized()
        #expect(Self.failure(udp + "\n" + dnsText) == "cannot merge a dns report over udp with a udp report: merge runs of one kind")
    }

    /// Edited or damaged tcp and udp reports: one line naming the file and the field, never a trap.
    @Test(arguments: ["tcp", "udp"])
    func hostileReportsNameTheFileAndField(kind: String) {
        let good = Self.json(kind, Self.big(kind))
        let outcome = kind == "tcp" ? "established" : "ok"
        func edited(_ old: String, _ new: String) -> String {
            #expect(good.contains(old), "\(old)")
            return Self.failure(good.replacingOccurrences(of: old, with: new))
        }
        let cases: [(String, String, [String])] = [
            ("\"\(outcome)\": 199990", "\"\(outcome)\": 199989", ["x.json:1", "outcomes add up to 199989, not completed 199990"]),
            ("\"\(outcome)\": 199990", "\"\(outcome)\": 199990, \"refused\": 1", ["x.json:1", "'refused' in outcomes", "only '\(outcome)'"]),
            ("\"\(outcome)\": 199990", "\"\(outcome)\": -5", ["x.json:1 outcomes", "'\(outcome)'", "≥ 0"]),
            ("\"\(outcome)\": 199990", "\"\(outcome)\": 1e30", ["x.json:1 outcomes", "'\(outcome)'", "2^53"]),
            ("\"completed\": 199990", "\"completed\": 199991", ["x.json:1", "'sent' is 200000 but completed + timeouts + errors + cancelled is 200001"]),
            ("\"cancelled\": 1", "\"cancelled\": 18446744073709551615", ["x.json:1", "'cancelled'", "2^53"]),
            ("\"intended\": 200000", "\"intended\": 200001", ["x.json:1", "intended, sent, not_sent"]),
            ("\"connections_opened\": ", "\"connections_opened\": -1, \"x\": ", ["x.json:1", "'connections_opened'"]),
        ]
        for (old, new, parts) in cases {
            let message = edited(old, new)
            #expect(!message.contains("\n") && parts.allSatisfy { message.contains($0) }, "\(new): \(message)")
        }
        if kind == "udp" {
            let message = edited("\"foreign\": 1", "\"foreign\": 2")
            #expect(message.contains("x.json:1 echoes") && message.contains("'foreign' is 2 but 'id_mismatch' is 1"), "\(message)")
            #expect(edited("\"echoes\": {", "\"echoes_\": {").contains("'echoes' must be an object (missing)"))
        }
        #expect(edited("\"kind\": \"\(kind)\"", "\"kind\": \"sctp\"").contains("kind 'sctp' is not dns, http1, http2, tcp or udp"))
    }
}
