import Foundation
import Synchronization

/// Lines the loop threads up behind one origin: each thread sets up (netns, loop, sockets) and arrives; the main
/// thread then opens the gate with the shared origin, or aborts when a thread failed.
final class StartGate: @unchecked Sendable {
    private let condition = NSCondition()
    private let expected: Int
    private var arrived = 0
    private var failures: [(Int, any Error)] = []
    private var origin: UInt64?
    private var aborted = false

    init(threads: Int) { expected = threads }

    func arrive(thread: Int, failure: (any Error)? = nil) {
        condition.lock()
        arrived += 1
        if let failure { failures.append((thread, failure)) }
        condition.broadcast()
        condition.unlock()
    }

    /// Main thread: waits until every thread arrived; returns the failures (empty when all are ready).
    func waitForAll() -> [(Int, any Error)] {
        condition.lock()
        while arrived < expected { condition.wait() }
        let result = failures
        condition.unlock()
        return result
    }

    func open(origin: UInt64) {
        condition.lock()
        self.origin = origin
        condition.broadcast()
        condition.unlock()
    }

    func abort() {
        condition.lock()
        aborted = true
        condition.broadcast()
        condition.unlock()
    }

    /// Loop thread: the origin, or nil when the run was aborted.
    func waitForOrigin() -> UInt64? {
        condition.lock()
        defer { condition.unlock() }
        while origin == nil && !aborted { condition.wait() }
        return aborted ? nil : origin
    }
}

/// How far a stop request has gone: 0 running, 1 stop issuing and drain, 2 cancel what is in flight now.
final class StopSignal: Sendable {
    private let level = Atomic<Int>(0)

    var current: Int { level.load(ordering: .relaxed) }

    func escalate() -> Int {
        level.add(1, ordering: .relaxed).newValue
    }
}

/// Counters a loop thread publishes every tick for the progress line; read by the main thread.
final class ProgressCell: Sendable {
    let sent = Atomic<UInt64>(0)
    let completed = Atomic<UInt64>(0)
    let timeouts = Atomic<UInt64>(0)
    let errors = Atomic<UInt64>(0)
    let notSent = Atomic<UInt64>(0)
    let finished = Atomic<Bool>(false)

    /// `inout` only so that the worker's counters are read in place: passed by value, the struct (five arrays and
    /// a dictionary) was copied, retains and releases included, on every tick.
    func publish(_ counters: inout Counters) {
        sent.store(counters.sent, ordering: .relaxed)
        completed.store(counters.completed, ordering: .relaxed)
        timeouts.store(counters.timeouts, ordering: .relaxed)
        errors.store(counters.errors, ordering: .relaxed)
        notSent.store(counters.notSent, ordering: .relaxed)
    }
}
