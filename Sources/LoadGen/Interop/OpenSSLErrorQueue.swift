import COpenSSL

/// OpenSSL's error queue, which is per thread: emptied before each handshake step, kept empty between reads and
/// writes, and read after a failure, so a failure is never explained by an error some other connection left behind.
enum OpenSSLErrorQueue {
    /// The oldest entry (the root cause) of a drained queue, and every entry's reason text.
    struct Drained {
        var code: UInt = 0
        var reasons: [String] = []

        var library: Int32 { COpenSSL_ERR_GET_LIB(code) }
        var reason: Int32 { COpenSSL_ERR_GET_REASON(code) }
        /// The reason texts joined, or `fallback` when the queue was empty.
        func text(or fallback: String) -> String { reasons.isEmpty ? fallback : reasons.joined(separator: "; ") }
        /// True for an entry of libssl with the given reason (`SSL_R_…`).
        func isSSL(_ sslReason: Int32) -> Bool { library == ERR_LIB_SSL && reason == sslReason }
    }

    static func clear() { ERR_clear_error() }

    /// The steady path's `SSL_read` and `SSL_write` skip `ERR_clear_error` (a sweep of all 16 entries that cost
    /// about 140 ns per HTTPS request): on a loop thread the queue stays empty between operations, as every
    /// failure drains it and a completed handshake clears it. Debug builds (the tests) check that here.
    static func expectEmpty() {
        assert(ERR_peek_error() == 0, "OpenSSL's error queue holds an entry nobody drained")
    }

    /// Empties the queue. The corresponding C function is `ERR_get_error`.
    static func drain() -> Drained {
        var drained = Drained()
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if drained.code == 0 { drained.code = code }
            if drained.reasons.count < 4, let text = ERR_reason_error_string(code) {
                drained.reasons.append(String(cString: text))
            }
        }
        return drained
    }
}
