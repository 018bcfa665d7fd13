/// The clock a tracer's timestamp is on, and so which of loadgen's sent times it is compared with.
enum ObservedClock: String, CaseIterable {
    /// Nanoseconds since the Unix epoch (RFC 3339 strings, Unix seconds, IG's converted timestamps): `sent_wall`.
    case wall
    /// CLOCK_BOOTTIME ns (`bpf_ktime_get_boot_ns`, IG's raw eBPF timestamps): `sent_boottime_ns`.
    case boottime
    /// CLOCK_MONOTONIC ns (`bpf_ktime_get_ns`, bpftrace's `nsecs`): `sent`.
    case monotonic

    var sentField: String {
        switch self {
        case .wall: "sent_wall"
        case .boottime: "sent_boottime_ns"
        case .monotonic: "sent"
        }
    }
}

/// A tracer's timestamp.
struct ObservedTime: Equatable {
    var clock: ObservedClock
    var nanos: Int64

    /// Integers at or above this are nanoseconds since the epoch (after 1973); below, nanoseconds since boot.
    static let wallThresholdNanos: Int64 = 100_000_000_000_000_000

    /// Reads a timestamp: an RFC 3339 string is wall-clock; a number with a fraction (or such a string) is Unix
    /// seconds; an integer is nanoseconds, wall-clock from 1e17 up, else boot time. `clock` forces the clock of a
    /// number (seconds with a fraction are then converted to ns on that clock).
    static func read(_ value: JSONFieldReader.Value, clock: ObservedClock? = nil) -> ObservedTime? {
        switch value {
        case .int(let v):
            return ObservedTime(clock: clock ?? (v >= wallThresholdNanos ? .wall : .boottime), nanos: v)
        case .number(let text):
            return VerifyText.secondsNanos(text).map { ObservedTime(clock: clock ?? .wall, nanos: $0) }
        case .string(let s):
            if let n = VerifyText.rfc3339Nanos(s) {
                return clock == nil || clock == .wall ? ObservedTime(clock: .wall, nanos: n) : nil
            }
            if let v = Int64(s) { return read(.int(v), clock: clock) }
            return VerifyText.secondsNanos(s).map { ObservedTime(clock: clock ?? .wall, nanos: $0) }
        default:
            return nil
        }
    }
}

/// Which side of the exchange a tracer saw a packet on. A query on loopback is seen twice, leaving (OUTGOING) and
/// arriving (HOST); each side is joined on its own, so the second copy is not a duplicate.
enum ObservedSide: Int, CaseIterable {
    /// Leaving the sender (or the tracer does not say).
    case sent = 0
    /// Arriving at the receiver.
    case received = 1
}

/// One observation the join uses (a DNS query, a TCP connect, a selected JSON record).
struct ObservedRecord {
    /// Where it starts in the observed file (1-based).
    var line: Int
    /// The join key, its parts joined by `VerifyKey.separator`.
    var key: String
    var netns: UInt64?
    var side: ObservedSide = .sent
    var time: ObservedTime?
}

/// What a format's parser read from the observed file.
struct ObservedSet {
    /// The names of the key parts (`id`, `qname`), for the report.
    var keyNames: [String]
    /// What one record is, plural (`DNS queries`, `TCP connects`, `records`).
    var noun: String
    var records: [ObservedRecord] = []
    /// Records read but not joined, by reason, in the order the reasons first appeared.
    private(set) var ignored: [(reason: String, count: Int)] = []
    private var ignoredIndex: [String: Int] = [:]
    /// Remarks for the report (a missing optional column, ...).
    var notes: [String] = []
    /// Observations whose key could not be read (trace_ssl calls without their request line): they are counted
    /// against the units the join leaves unmatched, not joined.
    var countedOnly = 0

    init(keyNames: [String], noun: String) {
        self.keyNames = keyNames
        self.noun = noun
    }

    mutating func ignore(_ reason: String, count: Int = 1) {
        if let i = ignoredIndex[reason] {
            ignored[i].count += count
        } else {
            ignoredIndex[reason] = ignored.count
            ignored.append((reason, count))
        }
    }
}

/// Join keys: the normalised parts joined with a separator no part contains.
enum VerifyKey {
    static let separator: Character = "\u{1F}"

    static func make(_ parts: [String]) -> String { parts.joined(separator: String(separator)) }

    static func parts(_ key: String) -> [String] {
        key.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
    }
}
