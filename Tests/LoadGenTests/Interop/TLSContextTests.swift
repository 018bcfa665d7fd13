import Foundation
import Testing
@testable import LoadGen

/// Every TLS configuration mistake is found when the context is built, with a message naming its flag.
@Suite struct TLSContextTests {
    /// The error `settings` are refused with, or nil.
    static func refusal(_ settings: TLSSettings) -> TLSConfigError? {
        do {
            _ = try TLSContext(settings: settings)
            return nil
        } catch {
            return error
        }
    }

    static func expectRefused(_ settings: TLSSettings, flag: String, mentioning words: [String],
                              sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error = refusal(settings) else {
            Issue.record("accepted: \(settings)", sourceLocation: sourceLocation)
            return
        }
        #expect(error.flag == flag, "\(error)", sourceLocation: sourceLocation)
        for part in flag.split(separator: "/") {
            #expect(error.message.contains(part), "the message names \(part): \(error.message)", sourceLocation: sourceLocation)
        }
        for word in words {
            #expect(error.message.contains(word), "'\(word)' in: \(error.message)", sourceLocation: sourceLocation)
        }
    }

    /// A file in the certificates' directory that is not PEM.
    static func notPEM() throws -> String {
        let path = try TLSCertificates.shared().path("not-pem.txt")
        try "just some text\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("--cacert: a missing file and a file without certificates")
    func caFile() throws {
        Self.expectRefused(TLSSettings(caFile: "/nonexistent/ca.pem"), flag: "--cacert",
                           mentioning: ["'/nonexistent/ca.pem'", "No such file", "PEM"])
        Self.expectRefused(TLSSettings(caFile: try Self.notPEM()), flag: "--cacert", mentioning: ["not-pem.txt", "PEM"])
        #expect(Self.refusal(TLSSettings(caFile: try TLSCertificates.shared().caCert)) == nil)
    }

    @Test("--cert/--key: missing files, a file without a certificate or key, a key of another certificate")
    func clientCertificateErrors() throws {
        let certificates = try TLSCertificates.shared()
        Self.expectRefused(TLSSettings(certFile: "/nonexistent/c.pem"), flag: "--cert", mentioning: ["No such file"])
        Self.expectRefused(TLSSettings(certFile: try Self.notPEM()), flag: "--cert", mentioning: ["PEM"])
        Self.expectRefused(TLSSettings(certFile: certificates.clientCert, keyFile: "/nonexistent/k.pem"), flag: "--key",
                           mentioning: ["No such file"])
        Self.expectRefused(TLSSettings(certFile: certificates.clientCert, keyFile: try Self.notPEM()), flag: "--key",
                           mentioning: ["PEM"])
        // The server's key does not belong to the client's certificate.
        Self.expectRefused(TLSSettings(certFile: certificates.clientCert, keyFile: certificates.serverKey), flag: "--key",
                           mentioning: ["--cert", "not the private key"])
        // A certificate file without a key in it, and no --key.
        Self.expectRefused(TLSSettings(certFile: certificates.clientCert), flag: "--key",
                           mentioning: ["read from --cert's file"])
        Self.expectRefused(TLSSettings(keyFile: certificates.clientKey), flag: "--key", mentioning: ["--cert FILE"])
    }

    @Test("--ciphers and --ciphersuites: unknown names are named, even inside a list OpenSSL would half accept")
    func cipherErrors() {
        Self.expectRefused(TLSSettings(ciphers: "FOO"), flag: "--ciphers", mentioning: ["'FOO'", "openssl ciphers"])
        Self.expectRefused(TLSSettings(ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA255"),
                           flag: "--ciphers", mentioning: ["'ECDHE-ECDSA-AES128-GCM-SHA255'"])
        Self.expectRefused(TLSSettings(ciphers: "TLS_AES_128_GCM_SHA256"), flag: "--ciphers", mentioning: ["--ciphersuites"])
        Self.expectRefused(TLSSettings(ciphersuites: "TLS_AES_128_GCM_SHA256:TLS_FOO"), flag: "--ciphersuites",
                           mentioning: ["'TLS_FOO'", "TLS_AES_128_GCM_SHA256"])
        Self.expectRefused(TLSSettings(ciphersuites: "ECDHE-ECDSA-AES128-GCM-SHA256"), flag: "--ciphersuites",
                           mentioning: ["--ciphers"])
        // Operators and keywords are fine.
        #expect(Self.refusal(TLSSettings(ciphers: "HIGH:!aNULL:!MD5:@STRENGTH")) == nil)
        #expect(Self.refusal(TLSSettings(ciphersuites: "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256")) == nil)
    }

    @Test("--tls-min above --tls-max, and --sni with an address or what is not a name")
    func settingsErrors() {
        Self.expectRefused(TLSSettings(minVersion: .tls13, maxVersion: .tls12), flag: "--tls-min/--tls-max",
                           mentioning: ["--tls-min 1.3", "--tls-max 1.2"])
        Self.expectRefused(TLSSettings(sni: "127.0.0.1"), flag: "--sni", mentioning: ["'127.0.0.1'", "names only"])
        Self.expectRefused(TLSSettings(sni: "a b"), flag: "--sni", mentioning: ["'a b'"])
        #expect(Self.refusal(TLSSettings(minVersion: .tls13, maxVersion: .tls13)) == nil)
    }

    @Test("The system CA store loads by default, and the defaults are curl's")
    func defaults() {
        let settings = TLSSettings()
        #expect(!settings.insecure && settings.resume && settings.alpn.isEmpty && settings.caFile == nil)
        #expect(Self.refusal(settings) == nil)
    }
}
