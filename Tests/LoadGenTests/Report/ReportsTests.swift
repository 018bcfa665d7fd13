import Foundation
import Testing
@testable import LoadGen

@Suite struct ReportsTests {
    @Test func textGoesToStdoutWithTheSpectrumAfterIt() {
        let plain = Reports.make(ReportFixtures.header(), ReportFixtures.result(), json: false, spectrum: false, codeNames: DNSRcode.name)
        #expect(plain.stdout == TextReport.make(ReportFixtures.header(), ReportFixtures.result(), codeNames: DNSRcode.name))
        #expect(plain.stderr.isEmpty)
        let full = Reports.make(ReportFixtures.header(), ReportFixtures.result(), json: false, spectrum: true, codeNames: DNSRcode.name)
        #expect(full.stdout.hasPrefix(plain.stdout))
        #expect(full.stdout.contains("# Response time (from intended send time), microseconds"))
        let closed = Reports.make(ReportFixtures.header(requestedRate: nil), ReportFixtures.result(), json: false, spectrum: true,
                                  codeNames: DNSRcode.name)
        #expect(closed.stdout.contains("# Response time (closed loop: from when each event was issued), microseconds"))
        #expect(full.stdout.contains("# Service time (from actual send), microseconds"))
        #expect(full.stderr.isEmpty)
    }

    @Test func jsonStaysOneDocumentOnStdoutAndTheSpectrumGoesToStderr() throws {
        let r = Reports.make(ReportFixtures.header(), ReportFixtures.result(), json: true, spectrum: true, codeNames: DNSRcode.name)
        #expect(r.stdout.hasSuffix("}\n"))
        #expect(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) is [String: Any])
        #expect(!r.stdout.contains("Percentile"))
        #expect(r.stderr.contains("1/(1-Percentile)"))
        let quiet = Reports.make(ReportFixtures.header(), ReportFixtures.result(), json: true, spectrum: false, codeNames: DNSRcode.name)
        #expect(quiet.stderr.isEmpty)
    }
}
