import Foundation
import Testing
@testable import LoadGen

@Suite struct TLSCountersTests {
    private func handshake(_ version: String, resumed: Bool, micros: UInt64, alpn: String? = "h2") -> TLSHandshakeSummary {
        TLSHandshakeSummary(version: version, cipher: version == "TLSv1.3" ? "TLS_AES_256_GCM_SHA384" : "ECDHE-ECDSA-AES128-GCM-SHA256",
                            alpn: alpn, resumed: resumed, nanos: micros * 1000)
    }

    @Test func recordsAndMergesAcrossThreads() {
        var a = TLSCounters(), b = TLSCounters()
        a.record(handshake("TLSv1.3", resumed: false, micros: 900))
        a.record(handshake("TLSv1.3", resumed: true, micros: 300))
        b.record(handshake("TLSv1.2", resumed: true, micros: 200, alpn: nil))
        a.sslWriteCalls = 10
        b.sslWriteCalls = 5
        b.firstFailure = "TLS: x"
        a.add(b)
        #expect(a.handshakesFull == 1 && a.handshakesResumed == 2 && a.handshakes == 3)
        #expect(a.handshakeTime.count == 3 && a.handshakeTime.maxNanos >= 899_000)
        #expect(a.versions == ["TLSv1.3": 2, "TLSv1.2": 1])
        #expect(a.alpn == ["h2": 2, "": 1])
        #expect(a.sslWriteCalls == 15 && a.firstFailure == "TLS: x")
        #expect(TLSCounters.mostCommon(a.versions) == "TLSv1.3")
        #expect(TLSCounters.mostCommon(["b": 1, "a": 1]) == "a", "ties: the smallest name")
        #expect(TLSCounters.mostCommon([:]) == nil)
    }

    @Test func errorKindsOfTLSFailures() {
        let cases: [(TLSFailure, ErrorKind)] = [
            (.unknownCA(reason: "x"), .tlsUnknownCA), (.nameMismatch(checked: "a", certificateNames: []), .tlsNameMismatch),
            (.expired(reason: "x"), .tlsExpired), (.notTLS(firstBytes: "HTTP"), .tlsNotTLS),
            (.alert(code: 40, description: "handshake failure"), .tlsAlert), (.closedDuringHandshake, .tlsClosed), (.other("x"), .tlsOther),
        ]
        for (failure, kind) in cases {
            #expect(ErrorKind(tls: failure) == kind)
            #expect(kind.name == failure.kind, "the JSON key is TLSFailure's kind")
            #expect(kind.isTLS)
        }
        #expect(ErrorKind.tlsALPN.name == "tls_alpn" && ErrorKind.tlsALPN.isDeterministicTLS)
        #expect(!ErrorKind.tlsClosed.isDeterministicTLS && !ErrorKind.tlsOther.isDeterministicTLS, "may go away on retry")
        #expect(!ErrorKind.refused.isTLS)
    }

    @Test func reportBlockAndLine() throws {
        var t = TLSCounters()
        t.record(handshake("TLSv1.3", resumed: false, micros: 1000, alpn: "http/1.1"))
        t.record(handshake("TLSv1.3", resumed: true, micros: 400, alpn: "http/1.1"))
        t.sslWriteCalls = 1234
        let json = TLSReport.json(t).serialized()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["version"] as? String == "TLSv1.3" && object["alpn"] as? String == "http/1.1")
        #expect(object["handshakes_full"] as? Int == 1 && object["handshakes_resumed"] as? Int == 1)
        #expect(object["ssl_write_calls"] as? Int == 1234)
        #expect((object["handshake_us"] as? [String: Any])?["count"] as? Int == 2)
        let line = TLSReport.line(t)
        #expect(line.contains("TLSv1.3 TLS_AES_256_GCM_SHA384, ALPN http/1.1; 2 handshakes (1 full, 1 resumed)"), "\(line)")
        #expect(line.contains("1,234 SSL_write calls"), "\(line)")
        #expect(TLSReport.line(TLSCounters()).contains("no handshake completed"))
        let none = try #require(try JSONSerialization.jsonObject(with: Data(TLSReport.json(TLSCounters()).serialized().utf8)) as? [String: Any])
        #expect(none["version"] is NSNull && none["alpn"] is NSNull)
    }
}
