import ArgumentParser
import Foundation

/// This process's part of a sharded run (`--shard I/N`, or `--shards N` with the index from Kubernetes'
/// `JOB_COMPLETION_INDEX`): the events i ≡ I (mod N) of the global schedule.
struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// The most shards of one run.
    static let maxCount = 65_536

    let index: Int
    let count: Int

    static let whole = Shard(index: 0, count: 1)

    var isWhole: Bool { count == 1 }
    var description: String { "\(index)/\(count)" }

    /// `--shard I/N`: 0 ≤ I < N ≤ 65536.
    static func parse(_ text: String) throws(ValidationError) -> Shard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw ValidationError("--shard '\(text)' is not I/N; give this process's index and the number of shards, e.g. --shard 0/4 … --shard 3/4")
        }
        guard (1...maxCount).contains(count) else {
            throw ValidationError("--shard \(text): the number of shards must be 1 to \(maxCount)")
        }
        guard (0..<count).contains(index) else {
            throw ValidationError("--shard \(text): the index must be 0 to \(count - 1) (shards count from 0)")
        }
        return Shard(index: index, count: count)
    }

    /// `--shards N`: the index from `JOB_COMPLETION_INDEX`, which Kubernetes sets in each pod of an Indexed Job.
    static func fromJobIndex(count: Int, environment: [String: String]) throws(ValidationError) -> Shard {
        guard (1...maxCount).contains(count) else {
            throw ValidationError("--shards \(count): the number of shards must be 1 to \(maxCount)")
        }
        guard let text = environment["JOB_COMPLETION_INDEX"] else {
            throw ValidationError("--shards \(count) takes this shard's index from JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job), which is not set; outside Kubernetes use --shard I/\(count)")
        }
        guard let index = Int(text), (0..<count).contains(index) else {
            throw ValidationError("--shards \(count): JOB_COMPLETION_INDEX is '\(text)', not an index from 0 to \(count - 1)")
        }
        return Shard(index: index, count: count)
    }
}

/// `--start-at TIME`: the wall-clock instant every shard takes as event 0's intended time.
struct StartTime: Sendable, Equatable {
    /// Nanoseconds since the Unix epoch (CLOCK_REALTIME).
    let unixNanos: Int64
    /// As the user wrote it, for reports.
    let text: String

    /// RFC 3339 (`2026-12-06T03:00:00Z`, fractions and offsets allowed) or Unix seconds (`1796526000.5`).
    static let parser: @Sendable (String) throws -> StartTime = { text in
        if let (seconds, nanos) = unixTime(text) {
            guard seconds < 9_000_000_000 else {
                throw ValidationError("--start-at \(text): Unix seconds before the year 2255, e.g. --start-at \(Int(Date().timeIntervalSince1970) + 30)")
            }
            return StartTime(unixNanos: seconds * 1_000_000_000 + nanos, text: text)
        }
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: text) {
                return StartTime(unixNanos: Int64((date.timeIntervalSince1970 * 1e9).rounded()), text: text)
            }
        }
        throw ValidationError("--start-at '\(text)' is neither an RFC 3339 time (2026-12-06T03:00:00Z) nor Unix seconds (\(Int(Date().timeIntervalSince1970) + 30))")
    }

    /// `SECONDS[.FRACTION]` exactly (a Double would round to 256 ns at today's epoch); nil when not that form.
    private static func unixTime(_ text: String) -> (seconds: Int64, nanos: Int64)? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 12, whole.allSatisfy(\.isASCII),
              let seconds = Int64(whole), seconds >= 0 else { return nil }
        var nanos: Int64 = 0
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty, fraction.count <= 9, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            nanos = Int64(fraction + String(repeating: "0", count: 9 - fraction.count))!
        }
        return (seconds, nanos)
    }

    /// The most a start may lie ahead: a shard waits for it.
    static let maxAheadNanos: Int64 = 24 * 3600 * 1_000_000_000
}
