import COpenSSL
import Testing
@testable import LoadGen

/// How `TLSEngine` reports peers that fail: not TLS at all, closing mid-handshake, alerts, hostile records.
@Suite struct TLSEngineFailureTests {
    static func client(_ settings: TLSSettings = TLSSettings(insecure: true), host: String = "localhost") throws -> TLSEngine {
        try TLSEngine(context: TLSContext(settings: settings), host: host)
    }

    /// Runs the client's first handshake step (its ClientHello goes to `takeOutput`).
    static func started(_ client: TLSEngine) throws {
        #expect(try client.handshake() == false)
        #expect(!client.takeOutput().isEmpty, "a ClientHello")
    }

    @Test("A plain HTTP answer to the ClientHello is tls_not_tls, quoting what came back, sanitized")
    func plainHTTPIsNotTLS() throws {
        let client = try Self.client()
        try Self.started(client)
        Array("HTTP/1.1 400 Bad Request\r\nContent-Type: \"x\"\r\n\r\n".utf8).withUnsafeBytes { client.feed($0) }
        #expect(throws: TLSFailure.notTLS(firstBytes: "HTTP/1.1 400 Bad Request")) { try client.handshake() }
        #expect(client.failure?.kind == "tls_not_tls")
        #expect(client.failure?.message.contains("http://") == true)
        // The failure sticks: the engine never tries again.
        #expect(throws: TLSFailure.notTLS(firstBytes: "HTTP/1.1 400 Bad Request")) { try client.handshake() }
    }

    @Test("Even two bytes of plain text are enough to say it is not TLS; control bytes are not echoed")
    func shortGarbage() throws {
        let client = try Self.client()
        try Self.started(client)
        ([0x48, 0x0A] as [UInt8]).withUnsafeBytes { client.feed($0) }
        #expect(throws: TLSFailure.notTLS(firstBytes: "H ")) { try client.handshake() }
        let other = try Self.client()
        try Self.started(other)
        ([0x16, 0x07, 0x00, 0x10] as [UInt8]).withUnsafeBytes { other.feed($0) }
        #expect(throws: TLSFailure.notTLS(firstBytes: "....")) { try other.handshake() }
    }

    @Test("The server closing before the handshake ends is tls_closed, also after part of its answer")
    func closedDuringHandshake() throws {
        let client = try Self.client()
        try Self.started(client)
        client.endOfInput()
        #expect(throws: TLSFailure.closedDuringHandshake) { try client.handshake() }
        #expect(TLSFailure.closedDuringHandshake.kind == "tls_closed")

        let pair = try TLSPair(settings: TLSSettings(insecure: true), server: TLSEngineTests.server())
        #expect(try pair.client.handshake() == false)
        pair.sendClientOutput()
        pair.server.step()
        let flight = pair.server.takeOutput()
        #expect(flight.count > 40)
        flight.prefix(40).withUnsafeBytes { pair.client.feed($0) }
        #expect(try pair.client.handshake() == false, "a partial flight: waiting")
        pair.client.endOfInput()
        #expect(throws: TLSFailure.closedDuringHandshake) { try pair.client.handshake() }
    }

    @Test("Version conflicts: --tls-max 1.2 against a 1.3-only server, --tls-min 1.3 against a 1.2-only one")
    func versionConflicts() throws {
        let tooOld = try TLSPair(settings: TLSSettings(insecure: true, maxVersion: .tls12),
                                 server: TLSEngineTests.server(minVersion: TLS1_3_VERSION))
        #expect(throws: TLSFailure.alert(code: 70, description: "protocol version")) { try tooOld.pump() }
        #expect(tooOld.client.failure?.message.contains("--tls-min/--tls-max") == true)
        #expect(tooOld.client.failure?.kind == "tls_alert")

        let tooNew = try TLSPair(settings: TLSSettings(insecure: true, minVersion: .tls13),
                                 server: TLSEngineTests.server(maxVersion: TLS1_2_VERSION))
        #expect(throws: TLSFailure.alert(code: 70, description: "protocol version")) { try tooNew.pump() }
    }

    @Test("The server's no_application_protocol alert when it speaks none of the ALPN offer")
    func alpnAlert() throws {
        let pair = try TLSPair(settings: TLSSettings(insecure: true, alpn: ["h2"]),
                               server: TLSEngineTests.server(alpn: ["http/1.1"], alpnStrict: true))
        #expect(throws: TLSFailure.alert(code: 120, description: "no application protocol")) { try pair.pump() }
        #expect(pair.client.failure?.message.contains("--http2") == true)
    }

    @Test("A server requiring a client certificate: an alert naming --cert/--key (TLS 1.2 in the handshake, 1.3 on read)")
    func clientCertificateRequired() throws {
        let ca = try TLSCertificates.shared().caCert
        let tls12 = try TLSPair(settings: TLSSettings(insecure: true, maxVersion: .tls12),
                                server: TLSEngineTests.server(clientCA: ca))
        #expect(throws: TLSFailure.alert(code: 40, description: "handshake failure")) { try tls12.pump() }

        // In TLS 1.3 the client's handshake ends with its Finished; the server's verdict comes after it.
        let tls13 = try TLSPair(settings: TLSSettings(insecure: true), server: TLSEngineTests.server(clientCA: ca))
        try tls13.pump()
        #expect(tls13.clientReadFailure == .alert(code: 116, description: "certificate required"))
        #expect(tls13.clientReadFailure?.message.contains("--cert FILE --key FILE") == true)
        #expect(throws: TLSFailure.alert(code: 116, description: "certificate required")) {
            try tls13.client.write(UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }

    @Test("After the handshake: a close_notify reads as a clean close, an end of input without one as unclean")
    func closes() throws {
        let clean = try TLSPair(settings: TLSSettings(insecure: true), server: TLSEngineTests.server())
        try clean.pump()
        clean.server.write(Array("bye".utf8))
        clean.server.shutdown()
        try clean.pump()
        #expect(clean.clientReceived == Array("bye".utf8))
        #expect(clean.clientClosed == .closed(cleanly: true))

        let abrupt = try TLSPair(settings: TLSSettings(insecure: true), server: TLSEngineTests.server())
        try abrupt.pump()
        abrupt.client.endOfInput()
        var buffer = [UInt8](repeating: 0, count: 64)
        let result = try buffer.withUnsafeMutableBytes { try abrupt.client.read(into: $0) }
        #expect(result == .closed(cleanly: false))
        #expect(try buffer.withUnsafeMutableBytes { try abrupt.client.read(into: $0) } == .closed(cleanly: false))
    }

    @Test("Hostile records after the handshake: an oversized length, a forged record, each a failure, never a crash",
          arguments: [[0x17, 0x03, 0x03, 0xFF, 0xFF], [0x17, 0x03, 0x03, 0x00, 0x20] + [UInt8](repeating: 0xAB, count: 32),
                      [0x63, 0x03, 0x03, 0x00, 0x01, 0x00]])
    func hostileRecords(bytes: [UInt8]) throws {
        let pair = try TLSPair(settings: TLSSettings(insecure: true), server: TLSEngineTests.server())
        try pair.pump()
        bytes.withUnsafeBytes { pair.client.feed($0) }
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(throws: TLSFailure.self) { try buffer.withUnsafeMutableBytes { try pair.client.read(into: $0) } }
        guard case .other(let reason) = pair.client.failure else {
            Issue.record("got \(String(describing: pair.client.failure))")
            return
        }
        #expect(!reason.isEmpty)
        #expect(pair.client.takeOutput().count > 0, "an alert for the server")
    }
}
