import CLoadGenSys
import Glibc

/// One loop thread: enters the target netns, waits for the privilege drop, builds its loop and a worker per
/// stream (one, or a scenario's several, each with its own timer and schedule on the one loop), waits at the
/// start gate, runs, and leaves a `ThreadResult` per stream. The results are read by the main thread only after
/// `join()`.
final class LoadThread: @unchecked Sendable {
    let index: Int
    /// The streams' configs; they share the targets, threads and pacing (the first one's are used for those).
    private let configs: [RunConfig]
    private var config: RunConfig { configs[0] }
    private let gate: StartGate
    private let stop: StopSignal
    private let privileges: PrivilegeDrop
    /// One per stream; the first also says when the thread finished.
    let cells: [ProgressCell]
    var progress: ProgressCell { cells[0] }
    private var thread = pthread_t()
    private(set) var results: [ThreadResult]?

    init(index: Int, streams configs: [RunConfig], gate: StartGate, stop: StopSignal,
         privileges: PrivilegeDrop = PrivilegeDrop(plan: .keep, threads: 1)) {
        self.index = index
        self.privileges = privileges
        self.configs = configs
        self.gate = gate
        self.stop = stop
        cells = configs.map { _ in ProgressCell() }
    }

    func start() throws(RunFailure) {
        let box = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { arg in
            let me = Unmanaged<LoadThread>.fromOpaque(arg!).takeRetainedValue()
            me.main()
            // The worker, its sessions and their blocks are gone by now: hand the thread's cache back.
            CLoadGenSys_block_pool_drain()
            return nil
        }, box)
        if rc != 0 {
            Unmanaged<LoadThread>.fromOpaque(box).release()
            throw RunFailure("starting loop thread \(index): \(String(cString: strerror(rc)))")
        }
    }

    func join() {
        pthread_join(thread, nil)
    }

    /// Enter the netns and check it (probe socket included) → wait for the privilege drop → create the loop, the
    /// worker and its sockets → arrive at the start gate → run. `PrivilegeDrop` explains why this order is safe.
    private func main() {
        defer { progress.finished.store(true, ordering: .releasing) }
        let inode: UInt64
        do {
            inode = try enterNetns()
        } catch {
            gate.arrive(thread: index, failure: error)
            privileges.leave()
            return
        }
        do {
            try privileges.dropOnLoopThread(check: SocketNetnsCheck.current)
        } catch {
            gate.arrive(thread: index, failure: error)
            return
        }
        guard let (loop, workers) = setUp(netnsInode: inode) else { return }
        gate.arrive(thread: index)
        guard let origin = gate.waitForOrigin() else {
            for worker in workers { worker.abandon() }
            loop.run()
            loop.close()
            return
        }
        // Precise pacing: the kernel may fire this thread's timers at most 1 µs late (default 50 µs).
        if config.load.tickNanos == 0 { _ = CLoadGenSys_set_timer_slack(1_000) }
        let cpuBefore = CLoadGenSys_thread_cpu_nanos()
        for worker in workers { worker.start(originNanos: origin) }
        if loop.paced { loop.runPaced() } else { loop.run() }
        let cpuAfter = CLoadGenSys_thread_cpu_nanos()
        loop.close()
        let cpu = cpuAfter > cpuBefore ? UInt64(cpuAfter - cpuBefore) : 0
        let shares = LoadThread.cpuShares(cpu, sent: workers.map(\.result.counters.sent))
        results = zip(workers, shares).map { worker, share in
            var result = worker.result
            result.tid = CLoadGenSys_gettid()
            result.cpuNanos = share
            return result
        }
    }

    /// The thread's CPU split among its streams by events sent (they share one loop, so no finer split exists);
    /// the parts add up to `cpu`, and a single stream gets all of it.
    static func cpuShares(_ cpu: UInt64, sent: [UInt64]) -> [UInt64] {
        let total = sent.reduce(0, +)
        guard sent.count > 1, total > 0 else { return sent.indices.map { $0 == 0 ? cpu : 0 } }
        var shares = sent.map { UInt64(Double(cpu) * Double($0) / Double(total)) }
        shares[shares.count - 1] = cpu - min(cpu, shares.dropLast().reduce(0, +))
        return shares
    }

    /// Moves this thread into its netns (if it has one), checks that it arrived and that a socket made here lives
    /// there, and installs the thread's `SocketNetnsCheck`. Returns the netns inode.
    private func enterNetns() throws -> UInt64 {
        var inode = NetNamespace.currentThreadInode
        if let netns = config.netns(ofThread: index) {
            try netns.enterOnCurrentThread()
            inode = netns.inode
        }
        try SocketNetnsCheck(expectedInode: inode).install()
        return inode
    }

    /// Creates the loop and the workers and prepares them; on failure arrives at the gate with the error, after
    /// closing what was built (a worker whose construction threw closed its handles in its deinit, the others are
    /// abandoned; the loop runs their close callbacks and is closed).
    private func setUp(netnsInode inode: UInt64) -> (Loop, [LoadWorker])? {
        let loop: Loop
        do {
            loop = try Loop()
        } catch {
            gate.arrive(thread: index, failure: error)
            return nil
        }
        loop.paced = configs.allSatisfy { LoadThread.wakesOnlyForDeadlines($0, thread: index) }
        var workers: [LoadWorker] = []
        do {
            for (config, cell) in zip(configs, cells) {
                workers.append(try makeWorker(config, progress: cell, loop: loop, netnsInode: inode))
            }
            for worker in workers { try worker.prepare() }
        } catch {
            for worker in workers { worker.abandon() }
            loop.run()
            loop.close()
            gate.arrive(thread: index, failure: error)
            return nil
        }
        return (loop, workers)
    }

    /// DNS over UDP that reads answers on ticks: nothing but deadlines wakes the thread, so the loop sleeps to
    /// them itself (`Loop.runPaced`) — one system call per wake-up instead of a timerfd's two. Elsewhere answers
    /// wake it too, and a timerfd adds nothing to those wake-ups.
    static func wakesOnlyForDeadlines(_ config: RunConfig, thread: Int) -> Bool {
        guard config.kind == .dns, let dns = config.dns, dns.transport == .udp, !dns.tcp else { return false }
        return DNSWorker.readsOnTick(plan: config.plan(thread: thread))
    }

    private func makeWorker(_ config: RunConfig, progress: ProgressCell, loop: Loop, netnsInode inode: UInt64) throws -> LoadWorker {
        switch config.kind {
        case .dns where config.dns!.transport == .tls:
            return try DoTWorker(loop: loop, config: config, threadIndex: index, netnsInode: inode,
                                 stop: stop, progress: progress)
        case .dns where config.dns!.transport == .https:
            return try HTTP2Worker(loop: loop, config: config, threadIndex: index, netnsInode: inode,
                                   stop: stop, progress: progress)
        case .dns:
            return try DNSWorker(loop: loop, config: config, threadIndex: index, netnsInode: inode,
                                 stop: stop, progress: progress)
        case .http1:
            return try HTTP1Worker(loop: loop, config: config, threadIndex: index, netnsInode: inode,
                                   stop: stop, progress: progress)
        case .http2:
            return try HTTP2Worker(loop: loop, config: config, threadIndex: index, netnsInode: inode,
                                   stop: stop, progress: progress)
        case .tcp:
            return try TCPWorker(loop: loop, config: config, threadIndex: index, netnsInode: inode,
                                 stop: stop, progress: progress)
        case .udp:
            return try UDPWorker(loop: loop, config: config, threadIndex: index, netnsInode: inode,
                                 stop: stop, progress: progress)
        }
    }
}

/// A run that could not be carried out; the message says why and what would work. Exit code 1.
struct RunFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
