/// When loadgen sent an event, on every clock its `--events` log records.
struct SentTimes {
    /// `sent`: CLOCK_MONOTONIC ns.
    var monotonicNanos: Int64?
    /// `sent_boottime_ns`: CLOCK_BOOTTIME ns (what eBPF's `bpf_ktime_get_boot_ns` reports).
    var boottimeNanos: Int64?
    /// `sent_wall` as ns since the Unix epoch.
    var wallNanos: Int64?
    /// `sent_wall` as written.
    var wallText: String?

    func nanos(on clock: ObservedClock) -> Int64? {
        switch clock {
        case .wall: wallNanos
        case .boottime: boottimeNanos
        case .monotonic: monotonicNanos
        }
    }
}

/// One line of loadgen's per-event ground-truth log (`--events FILE`): the fields `loadgen verify` uses.
struct VerifyEvent {
    var line: Int
    var seq: UInt64
    var kind: String?
    var netns: UInt64?
    var sent: SentTimes
    /// DNS: the message ID.
    var dnsID: UInt16?
    /// DNS: the question name as sent.
    var qname: String?
    /// `ip:port` of the socket that sent it, and of the server.
    var src: String?
    var dst: String?
    /// HTTP: the per-run connection number.
    var connection: UInt64?
    /// Values at the extra paths asked for (`--key` event fields), in order.
    var extra: [JSONFieldReader.Value?] = []
}

/// Parses loadgen's `--events` JSON Lines log.
enum VerifyEventLog {
    private static let fixedPaths: [[String]] = [
        ["seq"], ["kind"], ["netns"], ["sent"], ["sent_boottime_ns"], ["sent_wall"], ["id"], ["qname"], ["src"],
        ["dst"], ["connection"],
    ]

    /// Every event in the file, in file order. `extraPaths` are read into `VerifyEvent.extra`.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, file: String,
                      extraPaths: [[String]] = []) throws(VerifyInputError) -> [VerifyEvent] {
        let paths = JSONFieldReader.Paths(fixedPaths + extraPaths)
        var events: [VerifyEvent] = []
        events.reserveCapacity(bytes.count / 300)
        try JSONFieldReader.forEachObject(in: bytes, paths: paths, file: file) { line, slots in
            func fail(_ message: String) -> VerifyInputError { VerifyInputError(file: file, line: line, message) }
            func unsigned(_ slot: Int, _ name: String) throws -> UInt64? {
                guard let value = slots[slot], !isNull(value) else { return nil }
                guard let v = value.unsigned else { throw fail("'\(name)' must be a non-negative integer") }
                return v
            }
            func string(_ slot: Int, _ name: String) throws -> String? {
                guard let value = slots[slot], !isNull(value) else { return nil }
                guard let s = value.string else { throw fail("'\(name)' must be a string") }
                return s
            }
            func nanos(_ slot: Int, _ name: String) throws -> Int64? {
                guard let v = try unsigned(slot, name) else { return nil }
                guard v <= UInt64(Int64.max) else { throw fail("'\(name)' is out of range") }
                return Int64(v)
            }
            guard let seq = try unsigned(0, "seq") else {
                throw fail("no 'seq'; this does not look like loadgen's --events log")
            }
            var sent = SentTimes(monotonicNanos: try nanos(3, "sent"), boottimeNanos: try nanos(4, "sent_boottime_ns"))
            if let wall = try string(5, "sent_wall") {
                guard let n = VerifyText.rfc3339Nanos(wall) else {
                    throw fail("'sent_wall' '\(wall)' is not an RFC 3339 time")
                }
                sent.wallNanos = n
                sent.wallText = wall
            }
            var id: UInt16?
            if let v = try unsigned(6, "id") {
                guard v <= 0xFFFF else { throw fail("'id' \(v) is not a DNS ID (0-65535)") }
                id = UInt16(v)
            }
            var netns = try unsigned(2, "netns")
            if netns == 0 { netns = nil }
            events.append(VerifyEvent(
                line: line, seq: seq, kind: try string(1, "kind"), netns: netns, sent: sent, dnsID: id,
                qname: try string(7, "qname"), src: try string(8, "src"), dst: try string(9, "dst"),
                connection: try unsigned(10, "connection"),
                extra: extraPaths.isEmpty ? [] : Array(slots[fixedPaths.count...])))
        }
        return events
    }

    private static func isNull(_ value: JSONFieldReader.Value) -> Bool {
        if case .null = value { return true }
        return false
    }
}
