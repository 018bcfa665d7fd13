import Foundation
import Testing
@testable import LoadGen

@Suite struct ReportKindsTests {
    func header(_ kind: String) -> ReportHeader {
        var h = ReportFixtures.header(kind: kind)
        h.eventNoun = kind == "tcp" ? "connections" : "datagrams"
        h.targets = ["127.0.0.1:7000"]
        h.transport = kind
        return h
    }

    func result() -> RunResult {
        var r = ReportFixtures.result()
        r.dns.duplicateAnswers = 3
        r.dns.lateAnswers = 2
        r.dns.idMismatches = 1
        r.truncated = 4
        return r
    }

    func json(_ kind: String, _ codeName: String) throws -> [String: Any] {
        let text = JSONReport.make(header(kind), result(), codeNames: { $0 == 0 ? codeName : "code\($0)" }).serialized()
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func tcpAndUDPReportOutcomesNotStatuses() throws {
        let tcp = try json("tcp", "established")
        #expect(tcp["kind"] as? String == "tcp")
        #expect((tcp["outcomes"] as? [String: Any])?["established"] as? Int == 199_000)
        #expect(tcp["status"] == nil && tcp["status_classes"] == nil && tcp["rcodes"] == nil && tcp["echoes"] == nil)
        let udp = try json("udp", "ok")
        let echoes = try #require(udp["echoes"] as? [String: Any])
        #expect(echoes["duplicates"] as? Int == 3 && echoes["late"] as? Int == 2)
        #expect(echoes["truncated"] as? Int == 4 && echoes["foreign"] as? Int == 1)
    }

    @Test func textNamesTheKindItsOutcomesAndTraffic() {
        let tcp = TextReport.make(header("tcp"), result(), codeNames: { $0 == 0 ? "established" : "code\($0)" })
        #expect(tcp.contains("loadgen tcp: 200000 connections"))
        #expect(tcp.contains("  outcomes  established 199000"))
        #expect(tcp.contains("connections established"))
        #expect(!tcp.contains("classes"))
        let udp = TextReport.make(header("udp"), result(), codeNames: { _ in "ok" })
        #expect(udp.contains("loadgen udp: 200000 datagrams"))
        #expect(udp.contains("echoes    no event took: duplicates 3  late 2  truncated 4  foreign 1"))
        #expect(!udp.contains("tc_fallbacks"))
    }

    @Test func otherKindsKeepTheirCodeKeys() {
        #expect(ReportFixtures.header(kind: "dns").codesKey == "rcodes")
        #expect(ReportFixtures.header(kind: "http1").codesKey == "status")
        #expect(ReportFixtures.header(kind: "scenario").codesKey == "status")
        #expect(header("udp").codesKey == "outcomes")
    }
}
