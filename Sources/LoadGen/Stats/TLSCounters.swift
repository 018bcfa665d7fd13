/// What a TLS run counts besides requests: handshakes (full and resumed), how long they took, what they
/// agreed on, and the `SSL_write` calls made (the ground truth for trace_ssl). Merged across threads.
struct TLSCounters: Sendable {
    var handshakesFull: UInt64 = 0
    var handshakesResumed: UInt64 = 0
    /// From the ClientHello to the completed handshake.
    var handshakeTime = LatencyHistogram()
    /// Handshakes by negotiated version, cipher and ALPN protocol ("" when the server selected none).
    var versions: [String: UInt64] = [:]
    var ciphers: [String: UInt64] = [:]
    var alpn: [String: UInt64] = [:]
    /// `SSL_write` calls, summed when each connection closes (one per HTTP/1.1 request).
    var sslWriteCalls: UInt64 = 0
    /// The first TLS failure's one-line message (cause and the flag that would help), nil when none failed.
    var firstFailure: String?

    var handshakes: UInt64 { handshakesFull &+ handshakesResumed }

    mutating func record(_ handshake: TLSHandshakeSummary) {
        if handshake.resumed { handshakesResumed += 1 } else { handshakesFull += 1 }
        handshakeTime.record(handshake.nanos)
        versions[handshake.version, default: 0] += 1
        ciphers[handshake.cipher, default: 0] += 1
        alpn[handshake.alpn ?? "", default: 0] += 1
    }

    mutating func add(_ other: TLSCounters) {
        handshakesFull += other.handshakesFull
        handshakesResumed += other.handshakesResumed
        handshakeTime.add(other.handshakeTime)
        versions.merge(other.versions, uniquingKeysWith: +)
        ciphers.merge(other.ciphers, uniquingKeysWith: +)
        alpn.merge(other.alpn, uniquingKeysWith: +)
        sslWriteCalls += other.sslWriteCalls
        if firstFailure == nil { firstFailure = other.firstFailure }
    }

    /// The value most handshakes agreed on (ties: the smallest name, so reports are stable); nil when none.
    static func mostCommon(_ counts: [String: UInt64]) -> String? {
        counts.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key
    }
}
