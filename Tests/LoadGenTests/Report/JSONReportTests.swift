import Foundation
import Testing
@testable import LoadGen

@Suite struct JSONReportTests {
    /// A top-level member of a report document, or nil.
    static func member(_ key: String, of json: JSON) -> JSON? {
        guard case .object(let members) = json else { return nil }
        return members.first { $0.0 == key }?.1
    }

    private func document(_ header: ReportHeader = ReportFixtures.header(),
                          _ result: RunResult = ReportFixtures.result()) throws -> (text: String, object: [String: Any]) {
        let text = JSONReport.make(header, result, codeNames: DNSRcode.name).serialized()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        return (text, object)
    }

    @Test func containsEveryKeyDESIGNRequires() throws {
        let (_, o) = try document()
        for key in ["tool", "version", "kind", "netns", "threads", "duration_s", "requested_rate", "achieved_rate",
                    "sent", "completed", "timeouts", "errors", "cancelled", "error_kinds", "rcodes", "latency_us",
                    "service_time_us"] {
            #expect(o[key] != nil, "missing \(key)")
        }
        for key in ["latency_us", "service_time_us"] {
            let latency = try #require(o[key] as? [String: Any])
            for p in ["min", "mean", "p50", "p90", "p99", "p99.9", "p99.99", "max"] {
                #expect(latency[p] is NSNumber, "\(key).\(p)")
            }
        }
    }

    @Test func valuesMatchTheRun() throws {
        let (_, o) = try document()
        #expect(o["tool"] as? String == "loadgen")
        #expect(o["version"] as? String == LoadGenVersion.current)
        #expect(o["kind"] as? String == "dns")
        #expect(o["netns"] as? String == "bench")
        #expect(o["threads"] as? Int == 2)
        #expect(o["requested_rate"] as? Double == 20_000)
        #expect(o["sent"] as? Int == 200_000)
        #expect(o["completed"] as? Int == 199_990)
        #expect(o["timeouts"] as? Int == 6)
        #expect(o["errors"] as? Int == 3)
        #expect(o["cancelled"] as? Int == 1)
        #expect(o["interrupted"] as? Bool == false)
        #expect(o["rcodes"] as? [String: Int] == ["NOERROR": 199_000, "NXDOMAIN": 990])
        let kinds = try #require(o["error_kinds"] as? [String: Int])
        #expect(kinds["refused"] == 3)
        #expect(Set(kinds.keys) == Set(ErrorKind.allCases.map(\.name)))
        #expect(kinds.values.reduce(0, +) == 3)
        // duration_s is the issuing window (10 s), run_s runs to the last answer (10.001 s).
        #expect(o["duration_s"] as? Double == 10.0)
        #expect(o["run_s"] as? Double == 10.001)
        // achieved = sent / duration_s.
        let achieved = try #require(o["achieved_rate"] as? Double)
        #expect(abs(achieved - 20_000) < 0.01)
        #expect(o["intended"] as? Int == 200_000)
        #expect(o["not_sent"] as? Int == 0)
        #expect(o["not_sent_reasons"] as? [String: Int] == ["no_connection": 0, "held_back": 0, "stopped": 0])
        #expect(o["servers"] as? [String] == ["127.0.0.1:53", "[::1]:5353"])
        #expect((o["per_thread"] as? [[String: Any]])?.count == 2)
        // Accounting holds in the document itself.
        let sent = o["sent"] as! Int
        let parts = (o["completed"] as! Int) + (o["timeouts"] as! Int) + (o["errors"] as! Int) + (o["cancelled"] as! Int)
        #expect(sent == parts)
    }

    @Test func latenciesAreMicroseconds() throws {
        let (_, o) = try document()
        // Within 1% (the report's plumbing, not the histogram's precision, is under test here).
        func near(_ value: Double?, _ expected: Double) -> Bool { value.map { abs($0 - expected) <= expected / 100 } ?? false }
        let object = try #require(o["latency_us"] as? [String: Any])
        let latency = object.compactMapValues { $0 as? Double }
        #expect((object["hdr"] as? String)?.hasPrefix("HISTF") == true, "every count, base64 of HdrHistogram's V2 encoding")
        #expect(near(latency["min"], 41))
        #expect(near(latency["max"], 2_100))
        #expect(latency["p50"]! >= 90 && latency["p50"]! <= 112)
        #expect(latency["p50"]! <= latency["p90"]! && latency["p90"]! <= latency["p99"]!
            && latency["p99"]! <= latency["p99.9"]! && latency["p99.9"]! <= latency["p99.99"]!
            && latency["p99.99"]! <= latency["max"]!)
        let service = try #require(o["service_time_us"] as? [String: Any]).compactMapValues { $0 as? Double }
        #expect(near(service["min"], 40))
        #expect(near(service["max"], 140))
        #expect(near(service["mean"], 90))
        #expect(service["count"] == 199_990)
    }

    @Test func requestedRateIsNullInClosedLoop() throws {
        let (text, o) = try document(ReportFixtures.header(requestedRate: nil))
        #expect(o["requested_rate"] is NSNull)
        #expect(text.contains("\"requested_rate\": null"))
    }

    @Test func netnsIsNullWithoutOne() throws {
        let (_, o) = try document(ReportFixtures.header(netns: nil))
        #expect(o["netns"] is NSNull)
    }

    @Test func httpKindsUseStatusInsteadOfRcodes() throws {
        var r = ReportFixtures.result()
        r.counters.codes = [200: 5, 404: 1]
        let text = JSONReport.make(ReportFixtures.header(kind: "http2"), r, codeNames: { String($0) }).serialized()
        let o = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(o["rcodes"] == nil)
        #expect(o["status"] as? [String: Int] == ["200": 5, "404": 1])
        #expect(o["kind"] as? String == "http2")
        #expect(o["status_classes"] as? [String: Int] == ["1xx": 0, "2xx": 5, "3xx": 0, "4xx": 1, "5xx": 0])
    }

    @Test func keysComeInTheContractsOrder() throws {
        let (text, _) = try document()
        let order = ["\"tool\"", "\"version\"", "\"kind\"", "\"netns\"", "\"threads\"", "\"duration_s\"",
                     "\"requested_rate\"", "\"achieved_rate\"", "\"sent\"", "\"completed\"", "\"timeouts\"",
                     "\"errors\"", "\"cancelled\"", "\"error_kinds\"", "\"rcodes\"", "\"latency_us\"", "\"service_time_us\""]
        let positions = order.map { text.range(of: $0)?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        let found = positions.compactMap { $0 }
        #expect(found == found.sorted())
    }

    @Test func emptyRunIsStillValidJSON() throws {
        let r = RunResult(threads: [], originNanos: 0, endNanos: 0)
        let (_, o) = try document(ReportFixtures.header(), r)
        #expect(o["sent"] as? Int == 0)
        #expect(o["rcodes"] as? [String: Int] == [:])
        let latency = try #require(o["latency_us"] as? [String: Any]).compactMapValues { $0 as? Double }
        #expect(latency["p99"] == 0 && latency["max"] == 0)
    }
}
