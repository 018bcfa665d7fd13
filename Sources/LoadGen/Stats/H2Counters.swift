/// What an HTTP/2 run counts besides requests: streams, GOAWAYs, resets, retries and what HPACK saved.
struct H2Counters: Sendable, Equatable {
    var streamsOpened: UInt64 = 0
    var goAwaysReceived: UInt64 = 0
    var resetsReceived: UInt64 = 0
    /// Streams refused (REFUSED_STREAM, or above a GOAWAY's last stream ID) and sent again on another
    /// connection; the event is still counted once in `sent`.
    var retried: UInt64 = 0
    /// Request header lists as RFC 7541 sizes them (name + value + 32 per field) and as HEADERS frames carried
    /// them after HPACK.
    var requestHeaderBytes: UInt64 = 0
    var requestHeaderBlockBytes: UInt64 = 0
    var responseHeaderBytes: UInt64 = 0
    var responseHeaderBlockBytes: UInt64 = 0

    mutating func add(_ other: H2Counters) {
        streamsOpened += other.streamsOpened
        goAwaysReceived += other.goAwaysReceived
        resetsReceived += other.resetsReceived
        retried += other.retried
        requestHeaderBytes += other.requestHeaderBytes
        requestHeaderBlockBytes += other.requestHeaderBlockBytes
        responseHeaderBytes += other.responseHeaderBytes
        responseHeaderBlockBytes += other.responseHeaderBlockBytes
    }

    /// The fraction of header bytes HPACK saved, requests and responses together (0 when nothing was sent).
    static func saving(_ h: H2Counters) -> Double {
        let before = h.requestHeaderBytes + h.responseHeaderBytes
        let after = h.requestHeaderBlockBytes + h.responseHeaderBlockBytes
        return before > 0 && after <= before ? 1 - Double(after) / Double(before) : 0
    }
}
