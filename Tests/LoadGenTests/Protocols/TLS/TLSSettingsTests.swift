import Testing
@testable import LoadGen

@Suite struct TLSSettingsTests {
    @Test("SNI: the host name, never an IP literal, or --sni; the certificate is checked against the same")
    func serverNameAndVerifiedName() {
        let plain = TLSSettings()
        #expect(plain.serverName(forHost: "example.test") == "example.test")
        #expect(plain.serverName(forHost: "127.0.0.1") == nil)
        #expect(plain.serverName(forHost: "::1") == nil)
        #expect(plain.verifiedName(forHost: "example.test") == ("example.test", false))
        #expect(plain.verifiedName(forHost: "127.0.0.1") == ("127.0.0.1", true))
        #expect(plain.verifiedName(forHost: "::1") == ("::1", true))
        let overridden = TLSSettings(sni: "api.example.test")
        #expect(overridden.serverName(forHost: "127.0.0.1") == "api.example.test")
        #expect(overridden.verifiedName(forHost: "127.0.0.1") == ("api.example.test", false))
    }

    @Test("ALPN wire format: each name after its length")
    func alpnWireFormat() {
        #expect(TLSSettings(alpn: ["h2", "http/1.1"]).alpnWireFormat == [2] + Array("h2".utf8) + [8] + Array("http/1.1".utf8))
        #expect(TLSSettings().alpnWireFormat.isEmpty)
    }

    @Test("Versions order and name themselves as OpenSSL does")
    func versions() {
        #expect(TLSVersion.tls12 < .tls13)
        #expect(TLSVersion(rawValue: "1.3") == .tls13)
        #expect(TLSVersion.tls12.protocolName == "TLSv1.2")
    }

    @Test("Every failure kind is a stable JSON key, and every message names a flag that would help")
    func failureKindsAndMessages() {
        let cases: [(TLSFailure, String, String)] = [
            (.unknownCA(reason: "unable to get local issuer certificate"), "tls_unknown_ca", "--cacert FILE"),
            (.nameMismatch(checked: "example.test", certificateNames: []), "tls_name_mismatch", "--sni NAME"),
            (.nameMismatch(checked: "example.test", certificateNames: ["a.test", "10.0.0.1"]), "tls_name_mismatch",
             "(it is for a.test, 10.0.0.1)"),
            (.expired(reason: "certificate has expired"), "tls_expired", "-k/--insecure"),
            (.notTLS(firstBytes: "HTTP/1.1 400"), "tls_not_tls", "http://"),
            (.alert(code: 70, description: "protocol version"), "tls_alert", "--tls-min/--tls-max"),
            (.alert(code: 40, description: "handshake failure"), "tls_alert", "--ciphers"),
            (.alert(code: 116, description: "certificate required"), "tls_alert", "--cert FILE --key FILE"),
            (.alert(code: 112, description: "unrecognized name"), "tls_alert", "--sni NAME"),
            (.alert(code: 120, description: "no application protocol"), "tls_alert", "--http2"),
            (.alert(code: 80, description: "internal error"), "tls_alert", "--tls-min"),
            (.closedDuringHandshake, "tls_closed", "--tls-min/--tls-max"),
            (.other("something"), "tls_other", "-k/--insecure"),
        ]
        for (failure, kind, flag) in cases {
            #expect(failure.kind == kind)
            #expect(failure.message.contains(flag), "\(failure.message)")
            #expect(!failure.message.contains("\n"), "one line")
            #expect(failure.description == failure.message)
        }
    }

    @Test("A peer's bytes are quoted printable only, and short")
    func printableExcerpt() {
        let bytes: [UInt8] = Array("HTTP/1.1 \"400\"\r\n".utf8) + [0x00, 0xFF, 0x1B]
        let text = bytes.withUnsafeBytes { TLSFailure.printableExcerpt($0) }
        #expect(text == "HTTP/1.1 .400.  ...")
        let long = [UInt8](repeating: 0x41, count: 100).withUnsafeBytes { TLSFailure.printableExcerpt($0, limit: 24) }
        #expect(long.count == 24)
    }
}
