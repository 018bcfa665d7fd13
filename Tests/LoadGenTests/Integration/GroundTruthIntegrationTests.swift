import Foundation
import Glibc
import Testing

/// Integration tests for the tracer-testing ground truth (issue 5): the per-event log (`--events`), name templates,
/// several namespaces in one run, `eventgen`, `loadgen verify` and `--container`, checked against what real observers
/// saw during the same run — a tshark capture inside the namespace, a bpftrace tracepoint script, the servers' own
/// counters and logs — not only against what loadgen printed.
///
/// One serialized parent suite, so that no two of these runs (timing-sensitive, and sharing the two CPUs) overlap.
/// The nested suites live in the other GroundTruth*.swift files of this folder. Skipped only when neither root nor
/// in CI.
@Suite(.serialized,
       .enabled(if: IntegrationEnvironment.shouldRun, "needs root (network namespaces); set CI=1 to make a missing root fail"))
struct GroundTruthIntegrationTests {}

/// One line of an `--events` log: a JSON object, with typed access that throws naming the line and the key.
struct GroundTruthEvent: CustomStringConvertible {
    let object: [String: Any]
    /// 1-based line number in the log.
    let line: Int

    func int(_ key: String) throws -> Int {
        guard let value = LoadGenReport.number(object[key]), value == value.rounded() else {
            throw FixtureError("events line \(line): '\(key)' is missing or not a whole number: \(self)")
        }
        return Int(value)
    }

    func string(_ key: String) throws -> String {
        guard let value = object[key] as? String else {
            throw FixtureError("events line \(line): '\(key)' is missing or not a string: \(self)")
        }
        return value
    }

    func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNull) }

    var seq: Int { get throws { try int("seq") } }
    var outcome: String { get throws { try string("outcome") } }

    var description: String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "\(object)" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Clock readings taken by the test around a run, to check the log's timestamps against the kernel's clocks.
struct ClockWindow {
    var monotonicStart: UInt64 = 0
    var monotonicEnd: UInt64 = 0
    /// CLOCK_BOOTTIME − CLOCK_MONOTONIC and CLOCK_REALTIME − CLOCK_MONOTONIC at the start, in ns.
    var bootOffset: Int64 = 0
    var wallOffset: Int64 = 0

    static func nanos(_ clock: clockid_t) -> Int64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    static func start() -> ClockWindow {
        var window = ClockWindow()
        let monotonic = nanos(CLOCK_MONOTONIC)
        window.bootOffset = nanos(CLOCK_BOOTTIME) - monotonic
        window.wallOffset = nanos(CLOCK_REALTIME) - monotonic
        window.monotonicStart = UInt64(monotonic)
        return window
    }

    mutating func end() { monotonicEnd = UInt64(ClockWindow.nanos(CLOCK_MONOTONIC)) }
}

/// Reading and checking `--events` logs.
enum EventLog {
    /// Every line of `text` parsed as one JSON object; a line that is not one throws, naming it.
    static func parse(_ text: String, source: String) throws -> [GroundTruthEvent] {
        var events: [GroundTruthEvent] = []
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }  // the newline that ends the last line
        for (index, line) in lines.enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw FixtureError("\(source) line \(index + 1) is not a JSON object: '\(line.prefix(300))'")
            }
            events.append(GroundTruthEvent(object: object, line: index + 1))
        }
        return events
    }

    static func read(_ path: String) throws -> [GroundTruthEvent] {
        guard let data = FileManager.default.contents(atPath: path) else { throw FixtureError("no events log at \(path)") }
        return try parse(String(decoding: data, as: UTF8.self), source: path)
    }

    /// `2026-11-28T06:24:24.188461589Z` (RFC 3339, nanoseconds, UTC) as ns since the epoch; nil for any other shape.
    static func wallNanos(_ text: String) -> Int64? {
        guard let match = text.wholeMatch(of: /(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{9})Z/) else { return nil }
        var parts = tm()
        parts.tm_year = Int32(match.1)! - 1900
        parts.tm_mon = Int32(match.2)! - 1
        parts.tm_mday = Int32(match.3)!
        parts.tm_hour = Int32(match.4)!
        parts.tm_min = Int32(match.5)!
        parts.tm_sec = Int32(match.6)!
        return Int64(timegm(&parts)) * 1_000_000_000 + Int64(match.7)!
    }

    /// The checks every log shares with its run's report: one line per sent event, seq exactly 0..<sent, outcome
    /// counts equal to the report's, and on every line the common fields (DESIGN.md and issue 5) with values that
    /// agree with the run: `kind`, the process (`pid`; `tid` a thread of it), the namespace(s), the thread index,
    /// timestamps inside the run on CLOCK_MONOTONIC with `sent_boottime_ns` and `sent_wall` on their clocks.
    static func expectMatchesReport(_ events: [GroundTruthEvent], _ report: LoadGenReport, kind: String, pid: pid_t,
                                    netnsInodes: Set<UInt64>, window: ClockWindow,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        let sent = try report.sent
        #expect(events.count == sent, "the log has \(events.count) lines, the report sent \(sent); \(report)",
                sourceLocation: sourceLocation)
        let seqs = try events.map { try $0.seq }
        #expect(Set(seqs).count == seqs.count, "seq values repeat", sourceLocation: sourceLocation)
        #expect(seqs.sorted() == Array(0..<sent), "seq values are not exactly 0..<\(sent): \(missingAndExtra(seqs, sent))",
                sourceLocation: sourceLocation)

        var outcomes: [String: Int] = [:]
        for event in events { outcomes[try event.outcome, default: 0] += 1 }
        let expected = ["completed": try report.completed, "timeout": try report.timeouts, "error": try report.errors,
                        "cancelled": try report.cancelled].filter { $0.value > 0 }
        #expect(outcomes == expected, "outcomes in the log \(outcomes), in the report \(expected)", sourceLocation: sourceLocation)

        let threads = try report.int("threads")
        var problems: [String] = []
        var tids: [String: Set<Int>] = [:]
        for event in events {
            func problem(_ text: String) { if problems.count < 10 { problems.append("line \(event.line): \(text): \(event)") } }
            let missing = ["seq", "thread", "pid", "tid", "netns", "kind", "intended", "sent", "done", "sent_boottime_ns",
                           "sent_wall", "outcome"].filter { !event.has($0) }
            guard missing.isEmpty else {
                problem("no \(missing)")
                continue
            }
            if try event.string("kind") != kind { problem("kind is not \(kind)") }
            if try event.int("pid") != Int(pid) { problem("pid is not loadgen's (\(pid))") }
            let tid = try event.int("tid")
            if tid == Int(pid) { problem("tid is the main thread's, not a loop thread's") }
            tids["netns \(try event.int("netns")) thread \(try event.int("thread"))", default: []].insert(tid)
            if !netnsInodes.contains(UInt64(try event.int("netns"))) { problem("netns is not \(netnsInodes.sorted())") }
            if !(0..<max(threads, 1)).contains(try event.int("thread")) && report.object["per_netns"] == nil {
                problem("thread is not in 0..<\(threads)")
            }
            let (intended, sentAt, done) = (try event.int("intended"), try event.int("sent"), try event.int("done"))
            let range = Int(window.monotonicStart)...Int(window.monotonicEnd)
            if !range.contains(intended) || !range.contains(sentAt) || !range.contains(done) {
                problem("intended/sent/done outside the run (CLOCK_MONOTONIC \(range))")
            }
            if sentAt < intended { problem("sent before intended") }
            if done < sentAt { problem("done before sent") }
            let boot = try event.int("sent_boottime_ns")
            if abs(Int64(boot - sentAt) - window.bootOffset) > 10_000_000 {
                problem("sent_boottime_ns − sent is \(boot - sentAt) ns, CLOCK_BOOTTIME − CLOCK_MONOTONIC is \(window.bootOffset)")
            }
            let wallText = try event.string("sent_wall")
            if let wall = wallNanos(wallText) {
                if abs(wall - Int64(sentAt) - window.wallOffset) > 50_000_000 {
                    problem("sent_wall − sent is \(wall - Int64(sentAt)) ns, CLOCK_REALTIME − CLOCK_MONOTONIC is \(window.wallOffset)")
                }
            } else {
                problem("sent_wall is not RFC 3339 with nanoseconds in UTC")
            }
            let outcome = try event.outcome
            if !["completed", "timeout", "error", "cancelled"].contains(outcome) { problem("unknown outcome") }
            if (outcome == "error") != event.has("error") { problem("'error' present exactly when the outcome is error") }
        }
        #expect(problems.isEmpty, "events log:\n\(problems.joined(separator: "\n"))", sourceLocation: sourceLocation)
        // Each loop thread is one kernel thread: one tid per (netns, thread index), and no tid shared by two of them.
        #expect(tids.values.allSatisfy { $0.count == 1 }, "a thread index with several tids: \(tids)", sourceLocation: sourceLocation)
        #expect(Set(tids.values.flatMap { $0 }).count == tids.count, "two thread indexes share a tid: \(tids)",
                sourceLocation: sourceLocation)
    }

    /// For a failure message: which of 0..<count are missing from `seqs`, and which values are extra.
    static func missingAndExtra(_ seqs: [Int], _ count: Int) -> String {
        let present = Set(seqs)
        let missing = (0..<count).filter { !present.contains($0) }
        let extra = seqs.filter { $0 < 0 || $0 >= count }
        return "missing \(missing.prefix(10)) (\(missing.count)), outside \(extra.prefix(10)) (\(extra.count))"
    }
}

/// Running loadgen when the test needs its PID (the events log names it; bpftrace counts by it).
enum GroundTruthRun {
    static func run(_ arguments: [String], deadline: Double,
                    sourceLocation: SourceLocation = #_sourceLocation) async throws -> (run: LoadGenRun, pid: pid_t) {
        let child = try LoadGen.start(arguments)
        let outcome = await child.wait(seconds: deadline)
        return (LoadGenRun(arguments: arguments, outcome, sourceLocation: sourceLocation), child.pid)
    }

    /// A JSON report printed on stderr (with `--events -`).
    static func stderrReport(_ run: LoadGenRun) throws -> LoadGenReport {
        guard run.outcome.termination == .exited(0) else {
            throw FixtureError("\(run.commandLine): \(run.outcome.termination); stderr: \(run.stderr)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(run.stderr.utf8)) as? [String: Any] else {
            throw FixtureError("\(run.commandLine): stderr is not one JSON object: \(run.stderr.prefix(2000))")
        }
        return LoadGenReport(object)
    }

    /// The entries of `per_netns`, keyed by their `netns` (the name or path given).
    static func perNetns(_ report: LoadGenReport) throws -> [String: LoadGenReport] {
        guard let value = report.object["per_netns"] as? [Any] else {
            throw FixtureError("JSON report: 'per_netns' is missing or not an array; \(report)")
        }
        var entries: [String: LoadGenReport] = [:]
        for item in value {
            guard let object = item as? [String: Any] else { throw FixtureError("JSON report: a per_netns entry is not an object") }
            let entry = LoadGenReport(object)
            entries[try entry.string("netns")] = entry
        }
        guard entries.count == value.count else { throw FixtureError("JSON report: per_netns names a netns twice: \(value)") }
        return entries
    }
}
