import CLoadGenSys
import Foundation
import Glibc
import Synchronization

/// `--hlog FILE`: an HdrHistogram interval log (format 1.3) with one interval per second of the run, response
/// time tagged `response` and service time `service`, as HdrHistogram's HistogramLogReader and log analyzers read
/// it. Loop threads hand in each second's histograms as their completions cross into the next second (an
/// interval holds exactly the completions whose time falls in it); the main thread writes a second once every
/// thread has moved past it, so the file grows while the run goes on.
final class IntervalLog: Sendable {
    static let intervalNanos: UInt64 = 1_000_000_000

    private struct State {
        /// Per interval index: the merged response and service histograms handed in so far.
        var pending: [Int: (response: LatencyHistogram, service: LatencyHistogram)] = [:]
        /// Per thread: the first interval it may still hand in (every earlier one is complete from it).
        var watermark: [Int]
        /// The latest interval any thread handed in: the log ends there.
        var highest = -1
        var written = 0
    }

    private let fd: Int32
    private let state: Mutex<State>
    /// Monotonic → wall clock, taken once.
    private let realtimeOffset: Int64

    /// Opens `path` for writing (truncating); nil keeps the intervals in memory only (for `--progress-json`).
    init(path: String?, threads: Int) throws(RunFailure) {
        let opened = path.map { Glibc.open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) } ?? -1
        if let path, opened < 0 {
            throw RunFailure("--hlog: cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
        fd = opened
        state = Mutex(State(watermark: [Int](repeating: 0, count: threads)))
        realtimeOffset = CLoadGenSys_realtime_minus_monotonic()
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// The header: format version, the origin's wall-clock time as StartTime and BaseTime (interval timestamps are
    /// seconds since the origin), and the legend.
    func writeHeader(originNanos: UInt64) {
        guard fd >= 0 else { return }
        let wall = Double(Int64(originNanos) + realtimeOffset) / 1e9
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let text = "#[Histogram log format version 1.3]\n"
            + "#[StartTime: \(String(format: "%.3f", wall)) (seconds since epoch), \(formatter.string(from: Date(timeIntervalSince1970: wall)))]\n"
            + "#[BaseTime: \(String(format: "%.3f", wall)) (seconds since epoch)]\n"
            + "#[Written by loadgen \(LoadGenVersion.current): one interval per second, values in nanoseconds, Interval_Max in milliseconds]\n"
            + "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
        write(text)
    }

    /// A thread's histograms of interval `index` (possibly empty), and that it will hand in nothing before `next`.
    func submit(thread: Int, interval index: Int, next: Int, response: LatencyHistogram, service: LatencyHistogram) {
        state.withLock { s in
            if !response.isEmpty || !service.isEmpty {
                var entry = s.pending[index] ?? (LatencyHistogram(), LatencyHistogram())
                entry.response.add(response)
                entry.service.add(service)
                s.pending[index] = entry
            }
            s.watermark[thread] = max(s.watermark[thread], next)
            s.highest = max(s.highest, index)
        }
    }

    /// A thread will hand in nothing more.
    func threadFinished(_ thread: Int) {
        state.withLock { $0.watermark[thread] = .max }
    }

    /// A second every thread has handed in: its index from the origin, length (the last may be shorter) and
    /// histograms.
    struct Completed {
        var index: Int
        var lengthSeconds: Double
        var response: LatencyHistogram
        var service: LatencyHistogram
    }

    /// Writes every interval all threads have moved past (all of them when `final`) and returns them; the last one
    /// written at the end may be shorter than a second: `endNanos` − origin bounds its length.
    @discardableResult
    func writeComplete(originNanos: UInt64, endNanos: UInt64, final: Bool = false) -> [Completed] {
        let ready: [(Int, LatencyHistogram, LatencyHistogram)] = state.withLock { s in
            let limit = final ? s.highest + 1 : min(s.watermark.min() ?? 0, s.highest + 1)
            guard limit > s.written else { return [] as [(Int, LatencyHistogram, LatencyHistogram)] }
            var out: [(Int, LatencyHistogram, LatencyHistogram)] = []
            for index in s.written..<limit {
                let entry = s.pending.removeValue(forKey: index) ?? (LatencyHistogram(), LatencyHistogram())
                out.append((index, entry.response, entry.service))
            }
            s.written = out.last.map { $0.0 + 1 } ?? s.written
            return out
        }
        var text = ""
        var completed: [Completed] = []
        let runSeconds = Double(endNanos > originNanos ? endNanos - originNanos : 0) / 1e9
        for (index, response, service) in ready {
            let start = Double(index)
            let length = max(0.001, min(1, runSeconds - start))
            completed.append(Completed(index: index, lengthSeconds: length, response: response, service: service))
            guard fd >= 0 else { continue }
            text += IntervalLog.line(tag: "response", start: start, length: length, response)
            text += IntervalLog.line(tag: "service", start: start, length: length, service)
        }
        if !text.isEmpty { write(text) }
        return completed
    }

    static func line(tag: String, start: Double, length: Double, _ h: LatencyHistogram) -> String {
        "Tag=\(tag),\(String(format: "%.3f,%.3f,%.3f", start, length, Double(h.maxNanos) / 1e6)),\(h.encoded)\n"
    }

    private func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            offset += n
        }
        bytes.removeAll()
    }
}

/// A loop thread's side of the interval log: the current second's histograms, handed to the `IntervalLog` when a
/// completion (or a tick) falls in a later second. Loop thread only.
final class IntervalRecorder {
    private let log: IntervalLog
    private let thread: Int
    private let origin: UInt64
    private var index = 0
    private var end: UInt64
    private var response = LatencyHistogram()
    private var service = LatencyHistogram()

    init(log: IntervalLog, thread: Int, origin: UInt64) {
        self.log = log
        self.thread = thread
        self.origin = origin
        end = origin + IntervalLog.intervalNanos
    }

    /// An answer completed at `now` with these response and service times.
    @inline(__always)
    func record(response r: UInt64, service s: UInt64, at now: UInt64) {
        if now >= end { advance(to: now) }
        response.record(r)
        service.record(s)
    }

    /// Hands in every second that ended by `now`.
    func advance(to now: UInt64) {
        guard now >= end else { return }
        let next = Int((now - origin) / IntervalLog.intervalNanos)
        log.submit(thread: thread, interval: index, next: next, response: response, service: service)
        response = LatencyHistogram()
        service = LatencyHistogram()
        index = next
        end = origin + UInt64(index + 1) * IntervalLog.intervalNanos
    }

    /// The thread is done: its last (partial) second goes in.
    func finish() {
        log.submit(thread: thread, interval: index, next: index + 1, response: response, service: service)
        log.threadFinished(thread)
    }
}
