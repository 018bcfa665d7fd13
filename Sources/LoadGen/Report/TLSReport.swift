/// The TLS part of a report (runs whose transport is TLS): what the handshakes agreed on, full and resumed
/// handshakes, their times, and the `SSL_write` calls made.
enum TLSReport {
    static func json(_ t: TLSCounters) -> JSON {
        func counts(_ map: [String: UInt64]) -> JSON {
            .object(map.sorted { $0.key < $1.key }.map { ($0.key, JSON.uint($0.value)) })
        }
        let alpn = TLSCounters.mostCommon(t.alpn)
        return .object([
            ("version", TLSCounters.mostCommon(t.versions).map(JSON.string) ?? .null),
            ("cipher", TLSCounters.mostCommon(t.ciphers).map(JSON.string) ?? .null),
            ("alpn", alpn.flatMap { $0.isEmpty ? nil : JSON.string($0) } ?? .null),
            ("handshakes_full", .uint(t.handshakesFull)),
            ("handshakes_resumed", .uint(t.handshakesResumed)),
            ("handshake_us", JSONReport.latency(t.handshakeTime)),
            ("versions", counts(t.versions)),
            ("ciphers", counts(t.ciphers)),
            ("ssl_write_calls", .uint(t.sslWriteCalls)),
        ])
    }

    /// "  tls       TLSv1.3 TLS_AES_256_GCM_SHA384, ALPN h2; 10 handshakes (1 full, 9 resumed), p50 1.20 ms, p99 3.40 ms; 5,000 SSL_write calls"
    static func line(_ t: TLSCounters) -> String {
        guard t.handshakes > 0 else {
            return "  tls       no handshake completed; \(Wording.count(t.sslWriteCalls, "SSL_write call", grouped: true))"
        }
        let version = TLSCounters.mostCommon(t.versions) ?? "?"
        let cipher = TLSCounters.mostCommon(t.ciphers) ?? "?"
        let alpn = TLSCounters.mostCommon(t.alpn).flatMap { $0.isEmpty ? nil : $0 } ?? "none"
        let mixed = t.versions.count > 1 || t.ciphers.count > 1 ? " (mostly)" : ""
        let h = t.handshakeTime
        return "  tls       \(version) \(cipher)\(mixed), ALPN \(alpn); "
            + "\(Wording.count(t.handshakes, "handshake", grouped: true)) (\(Wording.group(t.handshakesFull)) full, "
            + "\(Wording.group(t.handshakesResumed)) resumed), p50 \(TextReport.duration(Double(h.percentileNanos(50)))), "
            + "p99 \(TextReport.duration(Double(h.percentileNanos(99)))); "
            + "\(Wording.count(t.sslWriteCalls, "SSL_write call", grouped: true))"
    }
}
