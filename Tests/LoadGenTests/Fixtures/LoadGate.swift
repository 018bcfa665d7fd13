import Testing

/// Keeps the suite's loadgen runs out of the way of the few tests that measure time on this 2-CPU machine.
///
/// The suites run in parallel, so a dozen loadgen runs at up to 50,000 events/s can share the CPUs with a test that
/// asserts a rate was kept, a wall-clock bound or a throughput found by a search. Every `LoadGen.run` and
/// `FaultRun.run` holds a shared permit; a timing test wraps its body in `LoadGate.exclusive`, which waits until
/// no run holds one and keeps new ones out until it is done (writers first: waiting runs cannot starve it). The
/// runs inside an exclusive body take no permit of their own (a task-local says they are covered).
actor LoadGate {
    static let shared = LoadGate()

    @TaskLocal static var holdsExclusive = false

    private var runs = 0
    private var exclusive = false
    private var waitingRuns: [CheckedContinuation<Void, Never>] = []
    private var waitingExclusive: [CheckedContinuation<Void, Never>] = []

    /// Runs `body` (one loadgen run) with a shared permit.
    static func run<T>(_ body: () async throws -> T) async throws -> T {
        if holdsExclusive { return try await body() }
        await shared.acquireRun()
        do {
            let value = try await body()
            await shared.releaseRun()
            return value
        } catch {
            await shared.releaseRun()
            throw error
        }
    }

    /// Runs `body` (a whole timing test) while no other loadgen run is going.
    static func exclusive<T>(_ body: () async throws -> T) async throws -> T {
        if holdsExclusive { return try await body() }
        await shared.acquireExclusive()
        do {
            let value = try await $holdsExclusive.withValue(true) { try await body() }
            await shared.releaseExclusive()
            return value
        } catch {
            await shared.releaseExclusive()
            throw error
        }
    }

    private func acquireRun() async {
        if !exclusive && waitingExclusive.isEmpty {
            runs += 1
            return
        }
        await withCheckedContinuation { waitingRuns.append($0) }
    }

    private func releaseRun() {
        runs -= 1
        wakeNext()
    }

    private func acquireExclusive() async {
        if !exclusive && runs == 0 {
            exclusive = true
            return
        }
        await withCheckedContinuation { waitingExclusive.append($0) }
    }

    private func releaseExclusive() {
        exclusive = false
        wakeNext()
    }

    /// Hands the gate on: to the first waiting exclusive test once no run holds a permit, else to every waiting run.
    private func wakeNext() {
        guard !exclusive else { return }
        if !waitingExclusive.isEmpty {
            guard runs == 0 else { return }
            exclusive = true
            waitingExclusive.removeFirst().resume()
            return
        }
        runs += waitingRuns.count
        for waiting in waitingRuns { waiting.resume() }
        waitingRuns.removeAll()
    }
}
