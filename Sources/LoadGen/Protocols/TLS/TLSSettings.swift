/// A TLS protocol version loadgen can be limited to (`--tls-min`, `--tls-max`).
enum TLSVersion: String, Sendable, CaseIterable, Comparable {
    case tls12 = "1.2"
    case tls13 = "1.3"

    /// The name OpenSSL reports for it (`SSL_get_version`).
    var protocolName: String {
        switch self {
        case .tls12: "TLSv1.2"
        case .tls13: "TLSv1.3"
        }
    }

    static func < (a: TLSVersion, b: TLSVersion) -> Bool { a.rawValue < b.rawValue }
}

/// A TLS configuration mistake found before any connection: names the flag, the value and what would work.
struct TLSConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The flag (or flags, as "--tls-min/--tls-max") the user gave.
    let flag: String
    let message: String

    var description: String { message }
}

/// The client's TLS options for one run, as the user gave them (plain values: the OpenSSL context is built from
/// them in `Interop/TLSContext`; the memberwise initializer defaults every field). Defaults verify as curl does: the system CA store, the certificate checked
/// against the URL's host, SNI for host names.
struct TLSSettings: Sendable, Equatable {
    /// `--cacert FILE`: trust these CAs (PEM) instead of the system store.
    var caFile: String?
    /// `-k/--insecure`: do not fail a handshake whose certificate does not verify.
    var insecure = false
    /// `--sni NAME`: the server name to send and to check the certificate against, instead of the URL's host.
    var sni: String?
    /// `--cert FILE` / `--key FILE`: a client certificate (PEM) and its key (defaults to the certificate's file).
    var certFile: String?
    var keyFile: String?
    /// `--tls-min` / `--tls-max`; nil: TLS 1.2 and the highest OpenSSL supports.
    var minVersion: TLSVersion?
    var maxVersion: TLSVersion?
    /// `--ciphers`: OpenSSL's cipher list for TLS 1.2 and below.
    var ciphers: String?
    /// `--ciphersuites`: OpenSSL's TLS 1.3 ciphersuites.
    var ciphersuites: String?
    /// ALPN protocols offered, in order of preference (e.g. ["h2"], ["http/1.1"]); empty: no ALPN extension.
    var alpn: [String] = []
    /// `--tls-resume` (default) / `--no-tls-resume`: offer the last session from this server on new connections.
    var resume = true

    /// The checks that need no OpenSSL: the version range, --key without --cert, the SNI name.
    func validate() throws(TLSConfigError) {
        if let minVersion, let maxVersion, minVersion > maxVersion {
            throw TLSConfigError(flag: "--tls-min/--tls-max",
                                 message: "--tls-min \(minVersion.rawValue) is above --tls-max \(maxVersion.rawValue): " +
                                     "give a minimum at or below the maximum (1.2 or 1.3)")
        }
        if keyFile != nil && certFile == nil {
            throw TLSConfigError(flag: "--key", message: "--key needs --cert FILE: give the client certificate the key belongs to")
        }
        if let sni, !TLSSettings.isHostName(sni) || TLSSettings.isIPLiteral(sni) {
            throw TLSConfigError(flag: "--sni",
                                 message: "--sni '\(sni)' is not a host name (SNI carries names only, never addresses): " +
                                     "give the name the server's certificate is for, e.g. --sni example.test")
        }
    }

    /// The name sent as SNI for a connection to `host`: `sni` if given, else the host when it is a name; IP
    /// literals are never sent (RFC 6066).
    func serverName(forHost host: String) -> String? {
        if let sni { return sni }
        return TLSSettings.isIPLiteral(host) ? nil : host
    }

    /// What the server's certificate is checked against for a connection to `host`: `sni` if given, else the
    /// host (a name, or an IP address matched against the certificate's IP entries).
    func verifiedName(forHost host: String) -> (name: String, isIPAddress: Bool) {
        if let sni { return (sni, false) }
        return (host, TLSSettings.isIPLiteral(host))
    }

    /// The ALPN protocol list in its wire format: each name preceded by its length. The names come from loadgen
    /// itself ("h2", "http/1.1"), never from the user: one outside 1...255 bytes is a programming error.
    var alpnWireFormat: [UInt8] {
        var bytes: [UInt8] = []
        for name in alpn {
            precondition((1...255).contains(name.utf8.count), "ALPN protocol name '\(name)'")
            bytes.append(UInt8(name.utf8.count))
            bytes.append(contentsOf: name.utf8)
        }
        return bytes
    }

    static func isIPLiteral(_ host: String) -> Bool {
        Endpoint.isIPv4(host) || Endpoint.isIPv6(host)
    }

    /// Letters, digits, '-', '_' and '.' (an SNI name; no spaces, no ports, no brackets).
    static func isHostName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 253 && text.utf8.allSatisfy { ch in
            ch.isASCIIAlphanumeric || ch == UInt8(ascii: "-") || ch == UInt8(ascii: ".") || ch == UInt8(ascii: "_")
        }
    }
}
