import COpenSSL

extension TLSContext {
    /// `--ciphers` (TLS 1.2) and `--ciphersuites` (TLS 1.3). OpenSSL accepts a list in which at least one entry
    /// matches and silently drops the others; a typo in a load test's cipher list would then measure another
    /// cipher, so each plain name is also checked alone and the first that matches nothing is named.
    static func setCiphers(_ context: OpaquePointer, _ settings: TLSSettings) throws(TLSConfigError) {
        if let list = settings.ciphers {
            let advice = "name TLS 1.2 ciphers as `openssl ciphers -v` lists them, e.g. " +
                "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256 (TLS 1.3 suites go in --ciphersuites)"
            try apply(list, flag: "--ciphers", advice: advice) { SSL_CTX_set_cipher_list(context, $0) }
        }
        if let list = settings.ciphersuites {
            let advice = "name TLS 1.3 suites, e.g. TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256 " +
                "(TLS 1.2 ciphers go in --ciphers)"
            try apply(list, flag: "--ciphersuites", advice: advice) { SSL_CTX_set_ciphersuites(context, $0) }
        }
    }

    /// Sets `list` with `set` (OpenSSL's setter, 1 on success), after checking each plain entry alone.
    private static func apply(_ list: String, flag: String, advice: String,
                              _ set: (String) -> Int32) throws(TLSConfigError) {
        // Operators (!x, -x, +x, @STRENGTH, @SECLEVEL=n) only make sense within the list.
        let entries = list.split(whereSeparator: { $0 == ":" || $0 == "," || $0 == " " })
        for entry in entries where !"!-+@".contains(entry.first!) {
            OpenSSLErrorQueue.clear()
            if set(String(entry)) != 1 {
                OpenSSLErrorQueue.clear()
                throw TLSConfigError(flag: flag, message: "\(flag) '\(list)': OpenSSL here has no cipher '\(entry)'; \(advice)")
            }
        }
        OpenSSLErrorQueue.clear()
        guard set(list) == 1 else {
            let reason = OpenSSLErrorQueue.drain().text(or: "no cipher match")
            throw TLSConfigError(flag: flag, message: "\(flag) '\(list)': OpenSSL accepts no cipher in it (\(reason)); \(advice)")
        }
    }
}
