import CLoadGenSys
import Foundation
import Glibc

/// Runs a validated config: starts the loop threads, opens the gate at a common origin, turns SIGINT/SIGTERM
/// into a stop (the second one cancels what is in flight), prints progress, joins, and merges the results.
enum Runner {
    static func run(_ config: RunConfig) throws(RunFailure) -> RunResult {
        try run(streams: [config])[0]
    }

    /// Runs several streams (`loadgen run`) on the same loop threads in the same namespaces, each with its own
    /// schedule from one origin; returns a result per stream. The first config's targets, threads, output,
    /// privileges and start time are the run's (a scenario gives every stream the same).
    static func run(streams configs: [RunConfig]) throws(RunFailure) -> [RunResult] {
        let config = configs[0]
        // Threads inherit the mask: signals are then only taken here, by sigtimedwait.
        CLoadGenSys_block_stop_signals()
        let gate = StartGate(threads: config.load.threads)
        let stop = StopSignal()
        let privileges = PrivilegeDrop(plan: config.privileges, threads: config.load.threads,
                                       loopThreadsOnly: config.privilegesOnLoopThreadsOnly)
        let threads = (0..<config.load.threads).map {
            LoadThread(index: $0, streams: configs, gate: gate, stop: stop, privileges: privileges)
        }
        let cells = threads.flatMap(\.cells)
        var started: [LoadThread] = []
        for thread in threads {
            do {
                try thread.start()
                started.append(thread)
            } catch {
                gate.abort()
                privileges.abort()
                for t in started { t.join() }
                throw error
            }
        }
        privileges.perform()
        let failures = gate.waitForAll()
        if let (index, error) = failures.first {
            gate.abort()
            for t in threads { t.join() }
            let prefix = config.load.threads > 1 ? "loop thread \(index): " : ""
            throw RunFailure(prefix + "\(error)")
        }
        let origin = startOrigin(config)
        config.output.hlog?.writeHeader(originNanos: origin)
        gate.open(origin: origin)

        var progress = ProgressPrinter(enabled: config.output.progress && !config.output.quiet, origin: origin)
        var progressJSON = config.output.progressJSON ? ProgressJSON(origin: origin) : nil
        var interrupted = false
        var stopNanos: UInt64 = 0
        while !threads.allSatisfy({ $0.progress.finished.load(ordering: .acquiring) }) {
            let signal = CLoadGenSys_wait_stop_signal(100)
            if signal != 0 {
                interrupted = true
                if stopNanos == 0 { stopNanos = Loop.nowNanos }
                let level = stop.escalate()
                if !config.output.quiet {
                    let what = level == 1
                        ? "stopping: no new events; waiting up to \(config.stopGraceNanos / 1_000_000) ms for answers (again to cancel now)"
                        : "cancelling what is still in flight"
                    Console.error("loadgen: \(what)\n")
                }
            }
            progress.maybePrint(cells)
            let now = Loop.nowNanos
            if let seconds = config.output.hlog?.writeComplete(originNanos: origin, endNanos: now), progressJSON != nil {
                Console.error(progressJSON!.lines(seconds, cells: cells, now: now))
            }
        }
        for t in threads { t.join() }
        let results = threads.compactMap(\.results)
        let end = results.joined().map(\.endNanos).max() ?? Loop.nowNanos
        if let seconds = config.output.hlog?.writeComplete(originNanos: origin, endNanos: max(end, origin), final: true), progressJSON != nil {
            Console.error(progressJSON!.lines(seconds, cells: cells, now: Loop.nowNanos))
        }
        return configs.indices.map { stream in
            merge(results.map { $0[stream] }, load: configs[stream].load, origin: origin, end: max(end, origin),
                  stopNanos: stopNanos, interrupted: interrupted)
        }
    }

    /// One stream's result: its part of every thread, over its own issuing window.
    static func merge(_ parts: [ThreadResult], load: RunConfig.Load, origin: UInt64, end: UInt64, stopNanos: UInt64,
                      interrupted: Bool) -> RunResult {
        let window = issuingWindow(load, origin: origin, stopNanos: stopNanos,
                                   issuingEnd: parts.map(\.issuingEndNanos).max() ?? 0)
        return RunResult(threads: parts, originNanos: origin, endNanos: end, windowNanos: window, interrupted: interrupted)
    }

    /// Event 0's intended time on the monotonic clock: `--start-at` (every shard's one origin), else a little
    /// after now, so that every thread is waiting on its timer when event 0 is due.
    static func startOrigin(_ config: RunConfig) -> UInt64 {
        let now = Loop.nowNanos
        guard let startAt = config.load.startAt else { return now + 2_000_000 }
        var realtime = timespec()
        clock_gettime(CLOCK_REALTIME, &realtime)
        let delta = startAt.unixNanos - (Int64(realtime.tv_sec) * 1_000_000_000 + Int64(realtime.tv_nsec))
        let origin = delta >= 0 ? now + UInt64(delta) : now - min(now - 1, UInt64(-delta))
        if !config.output.quiet {
            let seconds = String(format: "%.3f", abs(Double(delta)) / 1e9)
            Console.error(delta >= 0
                ? "loadgen: waiting \(seconds) s for --start-at \(startAt.text)\n"
                : "loadgen: --start-at \(startAt.text) was \(seconds) s ago: the events due since then go out at once (their response times include the wait)\n")
        }
        return origin
    }

    /// The issuing window (DESIGN.md §4): the duration asked for, or a paced count's schedule span (count ÷
    /// rate), cut short by a stop request; a closed-loop count runs until its last event was issued.
    static func issuingWindow(_ load: RunConfig.Load, origin: UInt64, stopNanos: UInt64, issuingEnd: UInt64) -> UInt64 {
        var window: UInt64
        if let duration = load.durationNanos {
            window = duration
            if let count = load.count, let pacer = load.pacer {
                window = min(window, pacer.offsetNanos(ofEvent: count))
            } else if load.count != nil, issuingEnd > origin {
                window = min(window, issuingEnd - origin)
            }
        } else if let count = load.count, let pacer = load.pacer {
            window = pacer.offsetNanos(ofEvent: count)
        } else {
            window = issuingEnd > origin ? issuingEnd - origin : 0
        }
        // A stop before the origin (Ctrl-C during setup) leaves an empty window.
        if stopNanos != 0 { window = min(window, stopNanos > origin ? stopNanos - origin : 0) }
        return max(window, 1)
    }
}
