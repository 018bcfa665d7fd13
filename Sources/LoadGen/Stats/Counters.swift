/// Exact event accounting for one thread or, merged, a run:
/// `sent == completed + timeouts + errors + cancelled` once nothing is in flight, and
/// `intended == sent + notSent` (every event the schedule intended, by the reason it never went out).
struct Counters: Sendable, Equatable {
    var sent: UInt64 = 0
    /// Events that never went on the wire, by `NotSentReason.rawValue`.
    var notSentReasons = [UInt64](repeating: 0, count: NotSentReason.allCases.count)
    /// When each error kind, timeouts and each not-sent reason first happened (monotonic ns, 0: never), so that a
    /// report can say "the server refused connections from 1.02 s on".
    var firstErrorNanos = [UInt64](repeating: 0, count: ErrorKind.allCases.count)
    var firstTimeoutNanos: UInt64 = 0
    var firstNotSentNanos = [UInt64](repeating: 0, count: NotSentReason.allCases.count)
    var completed: UInt64 = 0
    var timeouts: UInt64 = 0
    var errors: UInt64 = 0
    var cancelled: UInt64 = 0
    /// Errors by kind, indexed by `ErrorKind.rawValue`.
    var errorKinds = [UInt64](repeating: 0, count: ErrorKind.allCases.count)
    /// Answers by outcome code: DNS rcode (0–15) or HTTP status (100–599), sparse.
    var codes: [Int: UInt64] = [:]

    var finished: UInt64 { completed + timeouts + errors + cancelled }
    var notSent: UInt64 { notSentReasons.reduce(0, +) }
    /// Every event the schedule intended (and the run reached): sent or not.
    var intended: UInt64 { sent + notSent }
    var inFlight: UInt64 { sent - finished }
    var balanced: Bool { sent == finished }

    @inline(__always)
    mutating func recordError(_ kind: ErrorKind, atNanos now: UInt64 = 0) {
        errors += 1
        errorKinds[kind.rawValue] += 1
        if firstErrorNanos[kind.rawValue] == 0 { firstErrorNanos[kind.rawValue] = now }
    }

    @inline(__always)
    mutating func recordTimeout(atNanos now: UInt64) {
        timeouts += 1
        if firstTimeoutNanos == 0 { firstTimeoutNanos = now }
    }

    mutating func recordNotSent(_ reason: NotSentReason, count: UInt64 = 1, atNanos now: UInt64) {
        guard count > 0 else { return }
        notSentReasons[reason.rawValue] += count
        if firstNotSentNanos[reason.rawValue] == 0 { firstNotSentNanos[reason.rawValue] = now }
    }

    func notSentCount(_ reason: NotSentReason) -> UInt64 { notSentReasons[reason.rawValue] }

    /// The earlier of two first-occurrence times (0 is "never").
    static func earliest(_ a: UInt64, _ b: UInt64) -> UInt64 {
        a == 0 ? b : b == 0 ? a : min(a, b)
    }

    mutating func add(_ other: Counters) {
        sent += other.sent
        completed += other.completed
        timeouts += other.timeouts
        errors += other.errors
        cancelled += other.cancelled
        for i in errorKinds.indices {
            errorKinds[i] += other.errorKinds[i]
            firstErrorNanos[i] = Counters.earliest(firstErrorNanos[i], other.firstErrorNanos[i])
        }
        for i in notSentReasons.indices {
            notSentReasons[i] += other.notSentReasons[i]
            firstNotSentNanos[i] = Counters.earliest(firstNotSentNanos[i], other.firstNotSentNanos[i])
        }
        firstTimeoutNanos = Counters.earliest(firstTimeoutNanos, other.firstTimeoutNanos)
        for (code, count) in other.codes { codes[code, default: 0] += count }
    }

    func errorCount(_ kind: ErrorKind) -> UInt64 { errorKinds[kind.rawValue] }
}
