/// Exact event accounting for one thread or, merged, a run:
/// `sent == completed + timeouts + errors + cancelled` once nothing is in flight.
struct Counters: Sendable, Equatable {
    var sent: UInt64 = 0
    var completed: UInt64 = 0
    var timeouts: UInt64 = 0
    var errors: UInt64 = 0
    var cancelled: UInt64 = 0
    /// Errors by kind, indexed by `ErrorKind.rawValue`.
    var errorKinds = [UInt64](repeating: 0, count: ErrorKind.allCases.count)
    /// Answers by outcome code: DNS rcode (0–15) or HTTP status (100–599), sparse.
    var codes: [Int: UInt64] = [:]

    var finished: UInt64 { completed + timeouts + errors + cancelled }
    var inFlight: UInt64 { sent - finished }
    var balanced: Bool { sent == finished }

    @inline(__always)
    mutating func recordError(_ kind: ErrorKind) {
        errors += 1
        errorKinds[kind.rawValue] += 1
    }

    mutating func add(_ other: Counters) {
        sent += other.sent
        completed += other.completed
        timeouts += other.timeouts
        errors += other.errors
        cancelled += other.cancelled
        for i in errorKinds.indices { errorKinds[i] += other.errorKinds[i] }
        for (code, count) in other.codes { codes[code, default: 0] += count }
    }

    func errorCount(_ kind: ErrorKind) -> UInt64 { errorKinds[kind.rawValue] }
}
