import COpenSSL
import Testing
@testable import LoadGen

/// `TLSEngine` (the client) against an in-process OpenSSL server (`TLSTestServerConnection`), bytes shuttled in
/// memory by `TLSPair`, with a CA and certificates made by the `openssl` CLI (`TLSCertificates`).
@Suite struct TLSEngineTests {
    static func server(cert: String? = nil, minVersion: Int32 = TLS1_2_VERSION, maxVersion: Int32 = 0,
                       alpn: [String]? = nil, alpnStrict: Bool = false, clientCA: String? = nil) throws -> TLSTestServerContext {
        let certificates = try TLSCertificates.shared()
        return try TLSTestServerContext(cert: cert ?? certificates.serverCert, key: certificates.serverKey,
                                        minVersion: minVersion, maxVersion: maxVersion, alpn: alpn,
                                        alpnStrict: alpnStrict, requireClientCertificateFrom: clientCA)
    }

    static func trusting(_ settings: TLSSettings = TLSSettings()) throws -> TLSSettings {
        var settings = settings
        settings.caFile = try TLSCertificates.shared().caCert
        return settings
    }

    // MARK: Handshakes

    @Test("TLS 1.3 by default: verified against --cacert, SNI = the host name, version and cipher reported")
    func tls13Handshake() throws {
        let pair = try TLSPair(settings: Self.trusting(), host: "localhost", server: Self.server())
        try pair.pump()
        #expect(pair.client.isHandshakeComplete && pair.server.isHandshakeComplete)
        #expect(pair.client.negotiatedProtocol == "TLSv1.3")
        #expect(pair.client.negotiatedVersion == .tls13)
        #expect(pair.client.cipher?.hasPrefix("TLS_") == true, "a TLS 1.3 suite: \(String(describing: pair.client.cipher))")
        #expect(pair.client.alpnProtocol == nil, "no ALPN offered, none selected")
        #expect(!pair.client.isResumed && !pair.client.offeredSession)
        #expect(pair.server.serverName == "localhost", "SNI carries the URL's host name")
    }

    @Test("TLS 1.2 with --tls-max 1.2: an ECDHE-ECDSA cipher, and --ciphers picks it")
    func tls12Handshake() throws {
        let pair = try TLSPair(settings: Self.trusting(TLSSettings(maxVersion: .tls12)), server: Self.server())
        try pair.pump()
        #expect(pair.client.negotiatedProtocol == "TLSv1.2")
        #expect(pair.client.negotiatedVersion == .tls12)
        #expect(pair.client.cipher?.hasPrefix("ECDHE-ECDSA-") == true, "\(String(describing: pair.client.cipher))")

        let chosen = TLSSettings(maxVersion: .tls12, ciphers: "ECDHE-ECDSA-CHACHA20-POLY1305")
        let pinned = try TLSPair(settings: Self.trusting(chosen), server: Self.server())
        try pinned.pump()
        #expect(pinned.client.cipher == "ECDHE-ECDSA-CHACHA20-POLY1305")
    }

    @Test("--ciphersuites picks the TLS 1.3 suite; --tls-min 1.3 against a 1.3 server works")
    func tls13Ciphersuite() throws {
        let settings = TLSSettings(minVersion: .tls13, ciphersuites: "TLS_CHACHA20_POLY1305_SHA256")
        let pair = try TLSPair(settings: Self.trusting(settings), server: Self.server())
        try pair.pump()
        #expect(pair.client.cipher == "TLS_CHACHA20_POLY1305_SHA256")
    }

    @Test("An IP literal host: no SNI sent, the certificate's IP entry verified")
    func ipLiteralHost() throws {
        let pair = try TLSPair(settings: Self.trusting(), host: "127.0.0.1", server: Self.server())
        try pair.pump()
        #expect(pair.client.isHandshakeComplete)
        #expect(pair.server.serverName == nil, "never SNI for an IP literal")
    }

    @Test("--sni NAME: sent to the server and checked against the certificate, even when connecting by IP")
    func sniOverride() throws {
        let certificates = try TLSCertificates.shared()
        let settings = try Self.trusting(TLSSettings(sni: TLSCertificates.wrongName))
        let pair = try TLSPair(settings: settings, host: "127.0.0.1", server: Self.server(cert: certificates.wrongNameCert))
        try pair.pump()
        #expect(pair.client.isHandshakeComplete)
        #expect(pair.server.serverName == TLSCertificates.wrongName)
    }

    // MARK: ALPN

    @Test("ALPN: h2 selected; a server preferring http/1.1 selects it; a server without ALPN selects nothing",
          arguments: [TLSVersion.tls12, .tls13])
    func alpnSelection(version: TLSVersion) throws {
        let settings = try Self.trusting(TLSSettings(maxVersion: version, alpn: ["h2", "http/1.1"]))
        let h2 = try TLSPair(settings: settings, server: Self.server(alpn: ["h2", "http/1.1"]))
        try h2.pump()
        #expect(h2.client.alpnProtocol == "h2")

        let http1 = try TLSPair(settings: settings, server: Self.server(alpn: ["http/1.1"]))
        try http1.pump()
        #expect(http1.client.alpnProtocol == "http/1.1", "the server chose http/1.1: the caller must see it")

        let none = try TLSPair(settings: settings, server: Self.server())
        try none.pump()
        #expect(none.client.isHandshakeComplete && none.client.alpnProtocol == nil)

        let h2Only = try Self.trusting(TLSSettings(maxVersion: version, alpn: ["h2"]))
        let declined = try TLSPair(settings: h2Only, server: Self.server(alpn: ["http/1.1"]))
        try declined.pump()
        #expect(declined.client.alpnProtocol == nil, "a server that speaks none of the offer may select nothing")
    }

    // MARK: Verification

    static func failure(_ settings: TLSSettings, host: String = "localhost", cert: String? = nil) throws -> TLSFailure? {
        let pair = try TLSPair(settings: settings, host: host, server: server(cert: cert))
        do {
            try pair.pump()
            return nil
        } catch {
            #expect(pair.server.failure != nil, "the client's alert reached the server: \(error)")
            return error
        }
    }

    @Test("Without --cacert the test CA is unknown (system store): tls_unknown_ca, naming --cacert and -k",
          arguments: [TLSVersion.tls12, .tls13])
    func unknownCA(version: TLSVersion) throws {
        let failure = try Self.failure(TLSSettings(maxVersion: version))
        guard case .unknownCA(let reason) = failure else { Issue.record("got \(String(describing: failure))"); return }
        #expect(reason.contains("issuer"), "OpenSSL's verify reason: \(reason)")
        #expect(failure?.kind == "tls_unknown_ca")
        #expect(failure?.message.contains("--cacert FILE") == true && failure?.message.contains("-k/--insecure") == true)
    }

    @Test("A certificate for another name: tls_name_mismatch naming the name checked and --sni, by name and by IP")
    func nameMismatch() throws {
        let wrong = try TLSCertificates.shared().wrongNameCert
        let byName = try Self.failure(Self.trusting(), host: "localhost", cert: wrong)
        #expect(byName == .nameMismatch(checked: "localhost", certificateNames: [TLSCertificates.wrongName]))
        #expect(byName?.kind == "tls_name_mismatch")
        #expect(byName?.message.contains("--sni NAME") == true && byName?.message.contains("'localhost'") == true)
        #expect(byName?.message.contains("it is for \(TLSCertificates.wrongName)") == true, "\(String(describing: byName))")
        let byIP = try Self.failure(Self.trusting(), host: "127.0.0.1", cert: wrong)
        #expect(byIP == .nameMismatch(checked: "127.0.0.1", certificateNames: [TLSCertificates.wrongName]))
        // The good certificate checked against another --sni: its DNS and IP entries are listed.
        let bySNI = try Self.failure(Self.trusting(TLSSettings(sni: "other.test")), host: "127.0.0.1")
        #expect(bySNI == .nameMismatch(checked: "other.test", certificateNames: ["localhost", "127.0.0.1"]))
    }

    @Test("An expired certificate: tls_expired")
    func expired() throws {
        let failure = try Self.failure(Self.trusting(), cert: TLSCertificates.shared().expiredCert)
        guard case .expired(let reason) = failure else { Issue.record("got \(String(describing: failure))"); return }
        #expect(reason.contains("expired"), "\(reason)")
        #expect(failure?.kind == "tls_expired")
        #expect(failure?.message.contains("-k/--insecure") == true)
    }

    @Test("-k/--insecure accepts an unknown CA, a wrong name and an expired certificate")
    func insecureAcceptsAll() throws {
        let certificates = try TLSCertificates.shared()
        for cert in [certificates.serverCert, certificates.wrongNameCert, certificates.expiredCert] {
            let pair = try TLSPair(settings: TLSSettings(insecure: true), server: Self.server(cert: cert))
            try pair.pump()
            #expect(pair.client.isHandshakeComplete, "insecure handshake with \(cert)")
        }
    }
}
