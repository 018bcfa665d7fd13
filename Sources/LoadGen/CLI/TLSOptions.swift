import ArgumentParser

/// The TLS options of https:// URLs (and, for `loadgen dns`, DNS over TLS and HTTPS). Verification is curl's:
/// the system CA store, the certificate checked against the URL's host, SNI = the host name.
struct TLSOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Trust the CA certificates (PEM) in FILE instead of the system store.", valueName: "FILE"))
    var cacert: String?

    @Flag(name: [.customShort("k"), .long], help: "Do not verify the server's certificate (still TLS, still counted).")
    var insecure = false

    @Option(help: ArgumentHelp("Send NAME as SNI and check the certificate against it instead of the URL's host.", valueName: "NAME"))
    var sni: String?

    @Option(help: ArgumentHelp("A client certificate (PEM) for servers that ask for one.", valueName: "FILE"))
    var cert: String?

    @Option(help: ArgumentHelp("The client certificate's private key (PEM; default: the --cert file).", valueName: "FILE"))
    var key: String?

    @Option(help: ArgumentHelp("Lowest TLS version offered: 1.2 (default) or 1.3.", valueName: "VERSION"),
            transform: TLSOptions.version(flag: "--tls-min"))
    var tlsMin: TLSVersion?

    @Option(help: ArgumentHelp("Highest TLS version offered: 1.2 or 1.3 (default).", valueName: "VERSION"),
            transform: TLSOptions.version(flag: "--tls-max"))
    var tlsMax: TLSVersion?

    @Option(help: ArgumentHelp("OpenSSL cipher list for TLS 1.2, e.g. ECDHE-ECDSA-AES128-GCM-SHA256.", valueName: "LIST"))
    var ciphers: String?

    @Option(help: ArgumentHelp("OpenSSL TLS 1.3 ciphersuites, e.g. TLS_AES_128_GCM_SHA256.", valueName: "LIST"))
    var ciphersuites: String?

    @Flag(inversion: .prefixedNo,
          help: "Resume the last TLS session with the server on new connections (default); --no-tls-resume forces a full handshake on every connection.")
    var tlsResume = true

    /// The version names loadgen accepts.
    static func version(flag: String) -> @Sendable (String) throws -> TLSVersion {
        { text in
            guard let version = TLSVersion(rawValue: text) else {
                throw ValidationError("\(flag) '\(text)': give 1.2 or 1.3")
            }
            return version
        }
    }

    /// The flags that only mean something with TLS, as given (for the "needs https://" message).
    var givenFlags: [String] {
        var flags: [String] = []
        if cacert != nil { flags.append("--cacert") }
        if insecure { flags.append("--insecure") }
        if sni != nil { flags.append("--sni") }
        if cert != nil { flags.append("--cert") }
        if key != nil { flags.append("--key") }
        if tlsMin != nil { flags.append("--tls-min") }
        if tlsMax != nil { flags.append("--tls-max") }
        if ciphers != nil { flags.append("--ciphers") }
        if ciphersuites != nil { flags.append("--ciphersuites") }
        if !tlsResume { flags.append("--no-tls-resume") }
        return flags
    }

    /// The settings for connections offering `alpn`.
    func settings(alpn: [String]) -> TLSSettings {
        TLSSettings(caFile: cacert, insecure: insecure, sni: sni, certFile: cert, keyFile: key, minVersion: tlsMin,
                    maxVersion: tlsMax, ciphers: ciphers, ciphersuites: ciphersuites, alpn: alpn, resume: tlsResume)
    }

    /// The run's TLS context (every file read and every option checked now, before any connection); a mistake is
    /// a usage error naming its flag.
    func context(alpn: [String]) throws(ValidationError) -> TLSContext {
        do {
            return try TLSContext(settings: settings(alpn: alpn))
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// Refuses TLS flags on a run without TLS.
    func checkUnused(without what: String) throws(ValidationError) {
        guard let flag = givenFlags.first else { return }
        throw ValidationError("\(flag) applies to TLS; \(what)")
    }
}
