import Foundation
import Testing
@testable import LoadGen

@Suite struct EventRecordTests {
    func render(_ build: (inout EventRecord) -> Void) -> String {
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: 4096)
        defer { storage.deallocate() }
        var record = EventRecord(base: storage, capacity: 4096)
        record.begin()
        build(&record)
        record.end()
        return String(decoding: record.bytes, as: UTF8.self)
    }

    @Test func aRecordIsOneValidJSONLine() throws {
        let line = render { r in
            r.field("seq", UInt64(18_446_744_073_709_551_615))
            r.field("thread", 0)
            r.field("neg", -42)
            r.field("kind", "dns" as StaticString)
            r.field("qname", "we\"ird\\name\n")
        }
        #expect(line.hasSuffix("}\n"))
        #expect(line.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect((object["seq"] as? NSNumber)?.uint64Value == .max)
        #expect(object["neg"] as? Int == -42)
        #expect(object["kind"] as? String == "dns")
        #expect(object["qname"] as? String == "we\"ird\\name\n")
    }

    @Test func wallClockIsRFC3339WithNanoseconds() throws {
        let line = render { $0.field("t", wallNanos: 1_795_846_568_720_884_542) }
        #expect(line == "{\"t\":\"2026-11-28T06:16:08.720884542Z\"}\n")
        #expect(render { $0.field("t", wallNanos: 0) } == "{\"t\":\"1970-01-01T00:00:00.000000000Z\"}\n")
        // A leap day.
        #expect(render { $0.field("t", wallNanos: 951_782_400_000_000_001) } == "{\"t\":\"2000-02-29T00:00:00.000000001Z\"}\n")
    }

    @Test func civilDatesAgreeWithFoundation() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for days in stride(from: Int64(-1000), through: 40_000, by: 37) {
            let date = Date(timeIntervalSince1970: Double(days) * 86_400)
            let c = calendar.dateComponents([.year, .month, .day], from: date)
            let (y, m, d) = EventRecord.civilDate(daysSinceEpoch: days)
            #expect(Int(y) == c.year && Int(m) == c.month && Int(d) == c.day, "day \(days)")
        }
    }
}
