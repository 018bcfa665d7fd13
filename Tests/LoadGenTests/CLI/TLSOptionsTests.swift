import ArgumentParser
import Testing
@testable import LoadGen

/// The TLS flags of `loadgen http`: parsed into `TLSSettings`, refused on http:// runs and with both schemes,
/// and https:// URLs with their default port.
@Suite struct TLSOptionsTests {
    private func command(_ arguments: [String]) throws -> HTTPCommand {
        try HTTPCommand.parse(arguments)
    }

    @Test func flagsBecomeSettings() throws {
        let http = try command(["https://127.0.0.1/", "--cacert", "/ca.pem", "-k", "--sni", "app.test", "--cert", "/c.pem",
                                "--key", "/k.pem", "--tls-min", "1.2", "--tls-max", "1.3", "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256",
                                "--ciphersuites", "TLS_AES_128_GCM_SHA256", "--no-tls-resume"])
        let settings = http.tls.settings(alpn: ["h2"])
        #expect(settings == TLSSettings(caFile: "/ca.pem", insecure: true, sni: "app.test", certFile: "/c.pem", keyFile: "/k.pem",
                                        minVersion: .tls12, maxVersion: .tls13, ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256",
                                        ciphersuites: "TLS_AES_128_GCM_SHA256", alpn: ["h2"], resume: false))
        #expect(http.tls.givenFlags.count == 10)
        let plain = try command(["https://127.0.0.1/"])
        #expect(plain.tls.settings(alpn: []) == TLSSettings(), "defaults: verify, resume, no limits")
        #expect(plain.tls.givenFlags.isEmpty)
        #expect(try command(["https://127.0.0.1/", "--insecure"]).tls.insecure)
    }

    @Test func badVersionNamesTheFlag() {
        #expect(throws: (any Error).self) { try command(["https://127.0.0.1/", "--tls-min", "1.1"]) }
        do {
            _ = try command(["https://127.0.0.1/", "--tls-max", "TLSv1.3"])
            Issue.record("accepted --tls-max TLSv1.3")
        } catch {
            let message = LoadGenCommand.message(for: error)
            #expect(message.contains("--tls-max") && message.contains("1.2 or 1.3"), "\(message)")
        }
    }

    @Test func tlsFlagsNeedHTTPS() throws {
        for flags in [["-k"], ["--cacert", "/ca.pem"], ["--no-tls-resume"], ["--sni", "a.test"]] {
            let http = try command(["http://127.0.0.1/"] + flags)
            #expect(throws: ValidationError.self) { try http.tls.checkUnused(without: "give https:// URLs") }
            do {
                try http.tls.checkUnused(without: "give https:// URLs")
            } catch {
                #expect(error.message.hasPrefix(flags[0] == "-k" ? "--insecure" : flags[0]), "\(error.message)")
                #expect(error.message.contains("https://"))
            }
        }
        try command(["http://127.0.0.1/"]).tls.checkUnused(without: "")
    }

    @Test func contextErrorsAreUsageErrors() throws {
        let http = try command(["https://127.0.0.1/", "--ciphers", "NOT-A-CIPHER"])
        #expect(throws: ValidationError.self) { try http.tls.context(alpn: ["http/1.1"]) }
        let missing = try command(["https://127.0.0.1/", "--cacert", "/nonexistent/ca.pem"])
        do {
            _ = try missing.tls.context(alpn: ["http/1.1"])
            Issue.record("a missing --cacert file was accepted")
        } catch {
            #expect(error.message.contains("--cacert"), "\(error.message)")
        }
        _ = try command(["https://127.0.0.1/"]).tls.context(alpn: ["http/1.1"])
    }

    @Test func httpsURLs() throws {
        let url = try HTTPURL(parsing: "https://app.test/x")
        #expect(url.port == 443 && url.isTLS && url.authority == "app.test" && url.description == "https://app.test/x")
        let other = try HTTPURL(parsing: "https://127.0.0.1:8443/")
        #expect(other.port == 8443 && other.authority == "127.0.0.1:8443")
        let plain = try HTTPURL(parsing: "http://app.test:443/")
        #expect(plain.port == 443 && !plain.isTLS && plain.authority == "app.test:443", "443 is not http's default")
        #expect(throws: HTTPURLError.self) { try HTTPURL(parsing: "ftp://app.test/") }
    }
}
