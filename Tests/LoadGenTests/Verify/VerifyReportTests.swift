import Foundation
import Testing
@testable import LoadGen

@Suite struct VerifyReportTests {
    private func report(events: Int, rows: [Int], extra: [String] = []) throws -> VerifyReport {
        var lines = [VerifySamples.tsharkHeader]
        lines += rows.map { VerifySamples.tsharkRow(id: 0x1000 + $0, name: "q\($0).example.test", seq: $0) }
        lines += extra
        return try Verifier.run(events: VerifySamples.dnsEvents(events), eventsFile: "ev.jsonl",
                                observed: lines.joined(separator: "\n"), observedFile: "obs.tsv",
                                options: VerifyOptions(format: .tsharkFields))
    }

    @Test func verdictIsZeroWhenNothingWasMissedAndThreeOtherwise() throws {
        let all = try report(events: 5, rows: [0, 1, 2, 3, 4])
        #expect(all.exitCode == 0)
        #expect(all.captureRatio == 1)
        // Unexpected and duplicated observations do not fail the run: only missed ones do.
        let noisy = try report(events: 5, rows: [0, 1, 2, 3, 4, 4, 9])
        #expect(noisy.exitCode == 0)
        #expect(noisy.duplicates == 1 && noisy.unexpected == 1)
        let lossy = try report(events: 5, rows: [0, 1, 3, 4])
        #expect(lossy.exitCode == 3)
        #expect(lossy.captureRatio == 0.8)
        // Nothing generated is no ground truth: an error (exit 1), never a pass.
        #expect(throws: VerifyInputError.noGroundTruth(file: "ev.jsonl", "no events to verify against (--events): the log is empty; give the file a run wrote with --events FILE, after it sent something")) {
            _ = try report(events: 0, rows: [])
        }
    }

    @Test func ratioNeverRoundsUpToOne() {
        #expect(VerifyReport.ratioText(999_999, 1_000_000) == "0.999999")
        #expect(VerifyReport.ratioText(9_999_999, 10_000_000) == "0.999999")
        #expect(VerifyReport.ratioText(1, 3) == "0.333333")
        #expect(VerifyReport.ratioText(5, 5) == "1")
        #expect(VerifyReport.ratioText(0, 5) == "0")
        #expect(VerifyReport.ratioText(1, 2) == "0.5")
        #expect(VerifyReport.percentText(999_999, 1_000_000) == "99.9999%")
        #expect(VerifyReport.percentText(4, 5) == "80%")
        #expect(VerifyReport.percentText(5, 5) == "100%")
        #expect(VerifyReport.microsText(12_345) == "12.345")
        #expect(VerifyReport.microsText(-20_000) == "-20")
        #expect(VerifyReport.microsText(7) == "0.007")
        #expect(VerifyReport.human(850) == "850ns")
        #expect(VerifyReport.human(12_340) == "12.3us")
        #expect(VerifyReport.human(-4_560_000) == "-4.6ms")
        #expect(VerifyReport.human(1_200_000_000) == "1.2s")
    }

    @Test func textReportListsWhatWasMissedUnexpectedAndDuplicated() throws {
        let r = try report(events: 4, rows: [0, 2, 2, 3], extra: [VerifySamples.tsharkRow(id: 0xBEEF, name: "stray.test")])
        let text = r.text()
        #expect(text.contains("generated              4  DNS queries"))
        #expect(text.contains("matched                3  capture ratio 0.75 (75%)"))
        #expect(text.contains("missed                 1\n"))
        #expect(text.contains("seq 1  sent_wall 2025-11-28T06:13:00.001000000Z  id=4097 (0x1001) qname=q1.example.test"))
        #expect(text.contains("line 6  id=48879 (0xbeef) qname=stray.test"))
        #expect(text.contains("id=4098 (0x1002) qname=q2.example.test  generated 1, observed 1 more"))
        #expect(text.contains("observe delay           min 40.0us"))
        #expect(text.contains("wall clock − sent_wall"))
        #expect(text.hasSuffix("result: 1 of 4 DNS queries missed (exit 3)\n"))
    }

    @Test func jsonReportParsesAndCarriesTheCounts() throws {
        let r = try report(events: 4, rows: [0, 2, 2, 3], extra: [VerifySamples.tsharkRow(id: 0xBEEF, name: "stray.test")])
        let data = Data(r.json().serialized().utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["generated"] as? Int == 4)
        #expect(object["observed"] as? Int == 5)
        #expect(object["matched"] as? Int == 3)
        #expect(object["missed"] as? Int == 1)
        #expect(object["unexpected"] as? Int == 1)
        #expect(object["duplicates"] as? Int == 1)
        #expect(object["exit_code"] as? Int == 3)
        #expect((object["capture_ratio"] as? NSNumber)?.doubleValue == 0.75)
        let delay = try #require(object["observe_delay_us"] as? [String: Any])
        #expect(delay["clock"] as? String == "wall")
        #expect((delay["min"] as? NSNumber)?.doubleValue == 40)
        let missed = try #require(object["missed_first"] as? [[String: Any]])
        #expect(missed.count == 1)
        #expect(missed[0]["seq"] as? Int == 1)
        let key = try #require(missed[0]["key"] as? [String: Any])
        #expect(key["id"] as? Int == 4097)
        #expect(key["qname"] as? String == "q1.example.test")
        let unexpected = try #require(object["unexpected_first"] as? [[String: Any]])
        #expect(unexpected.first?["line"] as? Int == 6)
        #expect((object["ignored"] as? [String: Any])?.isEmpty == true)
    }

    @Test func samplesAreCappedAtTen() throws {
        let r = try report(events: 30, rows: [], extra: (100..<125).map { VerifySamples.tsharkRow(id: $0, name: "x\($0)") })
        #expect(r.missed == 30 && r.missedSamples.count == 10)
        #expect(r.missedSamples.map(\.seq) == Array(0..<10))
        #expect(r.unexpected == 25 && r.unexpectedSamples.count == 10)
    }
}
