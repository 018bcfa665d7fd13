import Foundation

/// A test CA and the certificates signed by it, made once per test process with the `openssl` CLI (Debian's
/// `openssl` package) in a private temporary directory. Every key is ECDSA P-256, as in DESIGN.md's TLS figures.
///
/// - `server`: for `localhost` and `127.0.0.1`, valid for a year.
/// - `expired`: the same names and key, expired since the moment it was made (`-days -1`).
/// - `wrongName`: the server key, for `wrong.example.test` only.
/// - `client`: a client certificate (`CN=loadgen client`, clientAuth); `clientBundle` holds it and its key.
struct TLSCertificates: Sendable {
    let directory: String

    var caCert: String { path("ca.pem") }
    var serverCert: String { path("server.pem") }
    var serverKey: String { path("server.key") }
    var expiredCert: String { path("expired.pem") }
    var wrongNameCert: String { path("wrong-name.pem") }
    var clientCert: String { path("client.pem") }
    var clientKey: String { path("client.key") }
    /// The client certificate followed by its key, in one file (`--cert FILE` without `--key`).
    var clientBundle: String { path("client-bundle.pem") }
    /// The name the wrong-name certificate is for.
    static let wrongName = "wrong.example.test"
    static let clientCommonName = "loadgen client"

    func path(_ name: String) -> String { directory + "/" + name }

    /// Made on first use; later calls return the same files (or the same failure).
    static func shared() throws -> TLSCertificates { try made.get() }

    private static let made = Result { try TLSCertificates.make() }

    private static func make() throws -> TLSCertificates {
        let directory = try TemporaryDirectory.make(prefix: "tls-certs").path
        let certificates = TLSCertificates(directory: directory)
        try certificates.makeAll()
        return certificates
    }

    private func makeAll() throws {
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", path("ca.key"), "-out", caCert, "-days", "3650", "-subj", "/CN=loadgen test CA"])
        try newKey(serverKey, csr: path("server.csr"), subject: "/CN=localhost")
        try newKey(clientKey, csr: path("client.csr"), subject: "/CN=\(TLSCertificates.clientCommonName)")
        let serverNames = "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
        try sign(path("server.csr"), extensions: serverNames, days: 365, serial: 2, into: serverCert)
        try sign(path("server.csr"), extensions: serverNames, days: -1, serial: 3, into: expiredCert)
        try sign(path("server.csr"), extensions: "subjectAltName=DNS:\(TLSCertificates.wrongName)\nextendedKeyUsage=serverAuth\n",
                 days: 365, serial: 4, into: wrongNameCert)
        try sign(path("client.csr"), extensions: "extendedKeyUsage=clientAuth\n", days: 365, serial: 5, into: clientCert)
        let bundle = try String(contentsOfFile: clientCert, encoding: .utf8) + String(contentsOfFile: clientKey, encoding: .utf8)
        try bundle.write(toFile: clientBundle, atomically: true, encoding: .utf8)
    }

    private func newKey(_ key: String, csr: String, subject: String) throws {
        try openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", key, "-out", csr, "-subj", subject])
    }

    private func sign(_ csr: String, extensions: String, days: Int, serial: Int, into output: String) throws {
        let extensionsFile = output + ".ext"
        try ("basicConstraints=CA:FALSE\n" + extensions).write(toFile: extensionsFile, atomically: true, encoding: .utf8)
        try openssl(["x509", "-req", "-in", csr, "-CA", caCert, "-CAkey", path("ca.key"), "-set_serial", String(serial),
                     "-days", String(days), "-extfile", extensionsFile, "-out", output])
    }

    private func openssl(_ arguments: [String]) throws {
        guard let outcome = Command.runBlocking(["openssl"] + arguments, timeout: 30) else {
            throw FixtureError("could not start openssl (Debian's `openssl` package; `make setup` installs it)")
        }
        guard outcome.exitCode == 0 else {
            throw FixtureError("openssl \(arguments.prefix(2).joined(separator: " ")) failed (\(outcome.termination)): \(outcome.stderr)")
        }
    }
}
