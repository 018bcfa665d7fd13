/// Why a TLS handshake (or a TLS connection) failed, as a user can act on it: each case has a one-line message
/// naming the cause and the flag that would help, and a short stable `kind` for JSON counters.
enum TLSFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// The certificate chain does not lead to a trusted CA (`reason`: OpenSSL's verify error text).
    case unknownCA(reason: String)
    /// The certificate is not for the name (or address) that was checked; `certificateNames` are the names and
    /// addresses it is for (empty when unknown).
    case nameMismatch(checked: String, certificateNames: [String])
    /// The certificate (or one in its chain) has expired, or is not valid yet (`reason` says which).
    case expired(reason: String)
    /// The peer answered with bytes that are not a TLS record; `firstBytes` is a printable excerpt.
    case notTLS(firstBytes: String)
    /// The peer sent a fatal TLS alert (`code` as in RFC 8446 §6, `description` as OpenSSL names it).
    case alert(code: Int, description: String)
    /// The peer closed the connection before the handshake finished.
    case closedDuringHandshake
    /// Anything else (OpenSSL's reason text).
    case other(String)

    /// The key counted in JSON (`connect_errors` by kind).
    var kind: String {
        switch self {
        case .unknownCA: "tls_unknown_ca"
        case .nameMismatch: "tls_name_mismatch"
        case .expired: "tls_expired"
        case .notTLS: "tls_not_tls"
        case .alert: "tls_alert"
        case .closedDuringHandshake: "tls_closed"
        case .other: "tls_other"
        }
    }

    var description: String { message }

    /// One line: the cause, then what would help.
    var message: String {
        switch self {
        case .unknownCA(let reason):
            "TLS: the server's certificate is not signed by a CA loadgen trusts (\(reason)); " +
                "give its CA with --cacert FILE, or skip verification with -k/--insecure"
        case .nameMismatch(let checked, let names):
            "TLS: the server's certificate is not for '\(checked)'" +
                (names.isEmpty ? "" : " (it is for \(names.joined(separator: ", ")))") +
                "; connect by a name the certificate lists, check another name with --sni NAME, or skip verification " +
                "with -k/--insecure"
        case .expired(let reason):
            "TLS: the server's certificate is out of its validity period (\(reason)); renew it, or skip verification " +
                "with -k/--insecure"
        case .notTLS(let firstBytes):
            "TLS: the server did not answer with TLS (it sent \"\(firstBytes)\"): a plain-text port? use http:// " +
                "or the server's TLS port"
        case .alert(let code, let description):
            "TLS: the server refused the handshake with the alert '\(description)' (\(code)); " + TLSFailure.advice(alert: code)
        case .closedDuringHandshake:
            "TLS: the server closed the connection during the handshake; is it a TLS port? it may also reject " +
                "what was offered: check --tls-min/--tls-max, --ciphers/--ciphersuites and --sni NAME"
        case .other(let reason):
            "TLS: the handshake failed: \(reason); -k/--insecure, --tls-min/--tls-max or --ciphers may help"
        }
    }

    /// The flags that address a given alert (RFC 8446 §6 codes).
    static func advice(alert code: Int) -> String {
        switch code {
        case 70: // protocol_version
            "the server accepts none of the TLS versions offered: change --tls-min/--tls-max"
        case 40, 71: // handshake_failure, insufficient_security
            "it shares no cipher or version with loadgen: change --ciphers/--ciphersuites or --tls-min/--tls-max"
        case 42, 43, 44, 45, 46, 48, 116: // certificate problems, certificate_required
            "it wants a client certificate it accepts: give --cert FILE --key FILE"
        case 112: // unrecognized_name
            "it does not know the server name sent: give the one it serves with --sni NAME"
        case 120: // no_application_protocol
            "it speaks none of the ALPN protocols offered: use --http2 only with servers that offer h2"
        default:
            "check --tls-min/--tls-max, --ciphers/--ciphersuites, --cert/--key and --sni NAME"
        }
    }

    /// A printable excerpt of what a peer sent (at most `limit` bytes; anything not printable ASCII becomes '.').
    static func printableExcerpt(_ bytes: UnsafeRawBufferPointer, limit: Int = 24) -> String {
        var text = ""
        for byte in bytes.prefix(max(0, limit)) {
            if byte == 0x0D || byte == 0x0A {
                text += " "
            } else if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                text += "."
            }
        }
        return text
    }
}
