import Foundation
import Testing
@testable import LoadGen

/// The per-target counts of tcp and udp reports (`per_target`, the text's `target` lines) and what `loadgen merge`
/// makes of them and of `addresses`: summed by target and address, exactly, whatever the inputs' target lists.
@Suite struct ReportTargetsTests {
    static func part(_ target: String, _ address: String, _ sent: UInt64, completed: UInt64, timeouts: UInt64 = 0,
                     errors: UInt64 = 0, cancelled: UInt64 = 0) -> AddressPart {
        AddressPart(target: target, address: address, sent: sent, completed: completed, timeouts: timeouts, errors: errors,
                    cancelled: cancelled)
    }

    /// A tcp run whose threads counted `parts` (one list per thread), its totals their sums.
    static func result(_ parts: [[AddressPart]]) -> RunResult {
        let threads = parts.enumerated().map { index, own in
            var t = ThreadResult()
            t.threadIndex = index
            t.perAddress = own
            var seen = Set<String>()
            t.targetAddresses = own.map(\.address).filter { seen.insert($0).inserted }
            for p in own {
                t.counters.sent += p.sent
                t.counters.completed += p.completed
                t.counters.codes[0, default: 0] += p.completed
                t.counters.cancelled += p.cancelled
                for _ in 0..<p.timeouts { t.counters.recordTimeout(atNanos: 5) }
                for _ in 0..<p.errors { t.counters.recordError(.refused, atNanos: 5) }
                for _ in 0..<p.completed { t.responseTime.record(50_000) }
            }
            return t
        }
        return RunResult(threads: threads, originNanos: 0, endNanos: 1_000_000_000, windowNanos: 1_000_000_000)
    }

    static func json(_ result: RunResult, targets: [String]) -> String {
        var header = ReportMergeKindsTests.header("tcp")
        header.targets = targets
        return JSONReport.make(header, result, codeNames: ReportInput.codeNames(kind: "tcp")).serialized()
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Two threads (two namespaces, where `web` resolved differently): each target once, its addresses in the order
    /// met, every count the threads' sum.
    static let twoThreads = result([
        [part("web:7000", "127.0.0.1:7000", 50, completed: 49, timeouts: 1), part("web:7000", "[::1]:7000", 50, completed: 50),
         part("127.0.0.2:7001", "127.0.0.2:7001", 100, completed: 97, errors: 2, cancelled: 1)],
        [part("web:7000", "127.0.0.1:7000", 30, completed: 30), part("web:7000", "127.0.0.9:7000", 20, completed: 20),
         part("127.0.0.2:7001", "127.0.0.2:7001", 50, completed: 50)],
    ])

    @Test func perTargetInJSONSumsTheThreadsByTargetAndAddress() throws {
        let o = try Self.object(Self.json(Self.twoThreads, targets: ["web:7000", "127.0.0.2:7001"]))
        #expect(o["addresses"] as? [String] == ["127.0.0.1:7000", "[::1]:7000", "127.0.0.2:7001", "127.0.0.9:7000"])
        let targets = try #require(o["per_target"] as? [[String: Any]])
        #expect(targets.map { $0["target"] as? String } == ["web:7000", "127.0.0.2:7001"])
        #expect(targets[0]["addresses"] as? [String] == ["127.0.0.1:7000", "[::1]:7000", "127.0.0.9:7000"])
        #expect(targets[0]["sent"] as? Int == 150 && targets[0]["completed"] as? Int == 149 && targets[0]["timeouts"] as? Int == 1)
        #expect(targets[1]["sent"] as? Int == 150 && targets[1]["errors"] as? Int == 2 && targets[1]["cancelled"] as? Int == 1)
        let web = try #require(targets[0]["per_address"] as? [[String: Any]])
        #expect(web.map { $0["address"] as? String } == ["127.0.0.1:7000", "[::1]:7000", "127.0.0.9:7000"])
        #expect(web.map { $0["sent"] as? Int } == [80, 50, 20] && web.map { $0["completed"] as? Int } == [79, 50, 20])
        #expect(targets.reduce(0) { $0 + ($1["sent"] as? Int ?? 0) } == o["sent"] as? Int)
    }

    @Test func textShowsEachTargetAndANamesAddresses() {
        let text = TextReport.make(ReportMergeKindsTests.header("tcp"), Self.twoThreads, codeNames: ReportInput.codeNames(kind: "tcp"))
        let lines = text.split(separator: "\n").map(String.init)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("  target    web:7000:") }) else {
            Issue.record("no target line:\n\(text)")
            return
        }
        #expect(lines[start] == "  target    web:7000: sent 150  completed 149  timeouts 1  errors 0  cancelled 0")
        #expect(lines[start + 1] == "              127.0.0.1:7000: sent 80  completed 79  timeouts 1  errors 0  cancelled 0")
        #expect(lines[start + 3] == "              127.0.0.9:7000: sent 20  completed 20  timeouts 0  errors 0  cancelled 0")
        #expect(lines[start + 4] == "  target    127.0.0.2:7001: sent 150  completed 147  timeouts 0  errors 2  cancelled 1", "a literal has no address line")
        let single = TextReport.make(ReportMergeKindsTests.header("tcp"), Self.result([[Self.part("127.0.0.1:7000", "127.0.0.1:7000", 5, completed: 5)]]),
                                     codeNames: ReportInput.codeNames(kind: "tcp"))
        #expect(!single.contains("  target    "), "one address: the totals say it all\n\(single)")
    }

    @Test func mergingOneReportReproducesItsTargets() throws {
        let original = Self.json(Self.twoThreads, targets: ["web:7000", "127.0.0.2:7001"])
        let (h, r) = try ReportMerge.merge(try ReportMergeKindsTests.read(original))
        #expect(JSONReport.make(h, r, codeNames: ReportInput.codeNames(kind: "tcp")).serialized() == original)
    }

    /// Reports of different target lists (two machines, two target sets) merge by target and address.
    @Test func reportsWithDifferentTargetsMergeByTargetAndAddress() throws {
        let a = Self.json(Self.twoThreads, targets: ["web:7000", "127.0.0.2:7001"])
        let b = Self.json(Self.result([[Self.part("127.0.0.2:7001", "127.0.0.2:7001", 10, completed: 9, timeouts: 1),
                                        Self.part("db:5432", "127.0.0.3:5432", 10, completed: 10)]]),
                          targets: ["127.0.0.2:7001", "db:5432"])
        let m = try ReportMergeKindsTests.merged(a + "\n" + b)
        #expect(m["servers"] as? [String] == ["web:7000", "127.0.0.2:7001", "db:5432"])
        #expect(m["addresses"] as? [String] == ["127.0.0.1:7000", "[::1]:7000", "127.0.0.2:7001", "127.0.0.9:7000", "127.0.0.3:5432"])
        let targets = try #require(m["per_target"] as? [[String: Any]])
        #expect(targets.map { $0["target"] as? String } == ["web:7000", "127.0.0.2:7001", "db:5432"])
        #expect(targets.map { $0["sent"] as? Int } == [150, 160, 10])
        #expect(targets[1]["completed"] as? Int == 156 && targets[1]["timeouts"] as? Int == 1)
        #expect(targets.reduce(0) { $0 + ($1["sent"] as? Int ?? 0) } == m["sent"] as? Int)
    }

    /// The two-thread report as a JSON object, edited by `edit`, written again.
    static func edited(_ edit: (inout [String: Any]) -> Void) throws -> String {
        var o = try object(json(twoThreads, targets: ["web:7000", "127.0.0.2:7001"]))
        edit(&o)
        return String(decoding: try JSONSerialization.data(withJSONObject: o), as: UTF8.self)
    }

    /// A report of loadgen before per-target counts merges as before: its addresses kept, no per_target made up.
    @Test func reportsWithoutPerTargetStillMerge() throws {
        let old = try Self.edited { $0["per_target"] = nil }
        let m = try ReportMergeKindsTests.merged(old)
        #expect(m["per_target"] == nil && (m["addresses"] as? [String])?.count == 4)
    }

    /// Two targets whose completions took 100 µs and 2 ms: a report of one thread, as JSON.
    static func timedReport() -> String {
        var fast = part("a:1", "127.0.0.1:1", 10, completed: 10)
        var slow = part("b:1", "127.0.0.1:2", 10, completed: 9, timeouts: 1)
        for _ in 0..<10 { fast.responseTime?.record(100_000) }
        for _ in 0..<9 { slow.responseTime?.record(2_000_000) }
        return json(result([[fast, slow]]), targets: ["a:1", "b:1"])
    }

    static func latency(_ object: [String: Any], target: Int, address: Int? = nil) -> [String: Any]? {
        guard let targets = object["per_target"] as? [[String: Any]] else { return nil }
        guard let address else { return targets[target]["latency_us"] as? [String: Any] }
        return (targets[target]["per_address"] as? [[String: Any]])?[address]["latency_us"] as? [String: Any]
    }

    @Test func eachTargetAndAddressHasItsOwnLatency() throws {
        let o = try Self.object(Self.timedReport())
        for (target, count, p50) in [(0, 10, 100.0), (1, 9, 2000.0)] {
            for l in [Self.latency(o, target: target), Self.latency(o, target: target, address: 0)] {
                #expect(l?["count"] as? Int == count && l?["hdr"] is String, "\(String(describing: l))")
                let measured = try #require(LoadGenReport.number(l?["p50"]))
                #expect(abs(measured - p50) <= p50 * 0.01, "p50 \(measured) µs, recorded \(p50)")
            }
        }
        var header = ReportMergeKindsTests.header("tcp")
        header.targets = ["a:1", "b:1"]
        let text = TextReport.make(header, try ReportMerge.merge(try ReportMergeKindsTests.read(Self.timedReport())).1,
                                   codeNames: ReportInput.codeNames(kind: "tcp"))
        #expect(text.contains("  target    a:1: sent 10  completed 10  timeouts 0  errors 0  cancelled 0  p50 100us  p99 100us"), "\(text)")
        #expect(text.contains("  target    b:1: sent 10  completed 9  timeouts 1  errors 0  cancelled 0  p50 2."), "\(text)")
    }

    @Test func mergeAddsLatenciesUpAndLeavesThemOutWhereAnInputHadNone() throws {
        let twice = try ReportMergeKindsTests.merged(Self.timedReport() + "\n" + Self.timedReport())
        #expect(Self.latency(twice, target: 0)?["count"] as? Int == 20 && Self.latency(twice, target: 1, address: 0)?["count"] as? Int == 18)
        #expect(LoadGenReport.number(Self.latency(twice, target: 1)?["p50"]) == LoadGenReport.number(Self.latency(try Self.object(Self.timedReport()), target: 1)?["p50"]))
        var old = try Self.object(Self.timedReport())
        old["per_target"] = (old["per_target"] as! [[String: Any]]).map { t in
            var t = t
            t["latency_us"] = nil
            t["per_address"] = (t["per_address"] as! [[String: Any]]).map { var a = $0; a["latency_us"] = nil; return a }
            return t
        }
        let oldText = String(decoding: try JSONSerialization.data(withJSONObject: old), as: UTF8.self)
        let mixed = try ReportMergeKindsTests.merged(Self.timedReport() + "\n" + oldText)
        let targets = try #require(mixed["per_target"] as? [[String: Any]])
        #expect(targets.map { $0["sent"] as? Int } == [20, 20])
        #expect(Self.latency(mixed, target: 0) == nil && Self.latency(mixed, target: 1, address: 0) == nil, "unknown, not half")
    }

    @Test func latenciesThatDoNotFitTheCountsAreRefused() throws {
        let swaps: [(String, (inout [[String: Any]]) -> Void)] = [
            ("holds 10 values for 9 completed", { targets in
                var slow = targets[1]["per_address"] as! [[String: Any]]
                slow[0]["latency_us"] = (targets[0]["per_address"] as! [[String: Any]])[0]["latency_us"]
                targets[1]["per_address"] = slow
            }),
            ("holds 9 values, its addresses 10", { targets in targets[0]["latency_us"] = targets[1]["latency_us"] }),
        ]
        for (expected, edit) in swaps {
            var o = try Self.object(Self.timedReport())
            var targets = o["per_target"] as! [[String: Any]]
            edit(&targets)
            o["per_target"] = targets
            let message = ReportMergeKindsTests.failure(String(decoding: try JSONSerialization.data(withJSONObject: o), as: UTF8.self))
            #expect(message.contains("x.json:1") && message.contains("latency_us") && message.contains(expected), "\(message)")
        }
    }

    @Test func damagedPerTargetIsRefusedNamingTheFileAndField() throws {
        typealias Edit = (inout [[String: Any]]) -> Void
        func address(_ t: Int, _ a: Int, _ key: String, _ value: Any) -> Edit {
            { targets in
                var list = targets[t]["per_address"] as! [[String: Any]]
                list[a][key] = value
                targets[t]["per_address"] = list
            }
        }
        let cases: [(Edit, [String])] = [
            ({ targets in address(0, 1, "sent", 51)(&targets); address(0, 1, "completed", 51)(&targets) },
             ["x.json:1", "per_target", "per_address does not add up to the target's counts"]),
            (address(0, 1, "completed", 49), ["x.json:1", "sent 50 is not completed + timeouts + errors + cancelled"]),
            ({ $0[1]["per_address"] = nil }, ["x.json:1", "per_address"]),
            (address(1, 0, "sent", -1), ["x.json:1", "'sent'", "≥ 0"]),
            ({ targets in
                (targets[1]["sent"], targets[1]["completed"]) = (149, 146)
                address(1, 0, "sent", 149)(&targets)
                address(1, 0, "completed", 146)(&targets)
             }, ["x.json:1", "'sent' is 300 but per_target adds up to 299"]),
        ]
        for (index, (edit, parts)) in cases.enumerated() {
            let text = try Self.edited { o in
                var targets = o["per_target"] as! [[String: Any]]
                edit(&targets)
                o["per_target"] = targets
            }
            let message = ReportMergeKindsTests.failure(text)
            #expect(!message.isEmpty && !message.contains("\n") && parts.allSatisfy { message.contains($0) }, "case \(index): \(message)")
        }
    }
}
