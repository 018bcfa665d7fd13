import Foundation

/// The once-a-second progress line on stderr: totals so far and the send rate since the previous line.
struct ProgressPrinter {
    let enabled: Bool
    let origin: UInt64
    private var nextNanos: UInt64
    private var lastSent: UInt64 = 0
    private var lastNanos: UInt64

    init(enabled: Bool, origin: UInt64) {
        self.enabled = enabled
        self.origin = origin
        nextNanos = origin + 1_000_000_000
        lastNanos = origin
    }

    /// The counters summed over the loop threads.
    struct Totals: Equatable {
        var sent: UInt64 = 0
        var completed: UInt64 = 0
        var timeouts: UInt64 = 0
        var errors: UInt64 = 0
        var notSent: UInt64 = 0

        var inFlight: UInt64 {
            let finished = completed + timeouts + errors
            return sent >= finished ? sent - finished : 0
        }
    }

    mutating func maybePrint(_ cells: [ProgressCell]) {
        guard enabled else { return }
        let now = Loop.nowNanos
        guard now >= nextNanos else { return }
        Console.error(line(Totals(cells), now: now))
    }

    /// The line for `totals` at `now`, and the next line's schedule: the rate is what was sent since the previous
    /// line divided by the time since it (the main thread can wake late, so that time is not always 1 s).
    mutating func line(_ totals: Totals, now: UInt64) -> String {
        let elapsed = Double(now - origin) / 1e9
        let interval = Double(now - lastNanos) / 1e9
        let delta = totals.sent >= lastSent ? totals.sent - lastSent : 0
        let rate = interval > 0 ? Double(delta) / interval : 0
        lastSent = totals.sent
        lastNanos = now
        while nextNanos <= now { nextNanos += 1_000_000_000 }
        return String(format: "[%6.1fs] sent %llu (%.0f/s)  completed %llu  timeouts %llu  errors %llu  in flight %llu\n",
                      elapsed, totals.sent, rate, totals.completed, totals.timeouts, totals.errors, totals.inFlight)
    }
}

extension ProgressPrinter.Totals {
    /// What the loop threads published last (an extension, so the memberwise initializer stays).
    init(_ cells: [ProgressCell]) {
        self.init()
        for cell in cells {
            sent += cell.sent.load(ordering: .relaxed)
            completed += cell.completed.load(ordering: .relaxed)
            timeouts += cell.timeouts.load(ordering: .relaxed)
            errors += cell.errors.load(ordering: .relaxed)
            notSent += cell.notSent.load(ordering: .relaxed)
        }
    }
}
