import CLoadGenSys
import Glibc

/// One loop thread: enters the target netns, waits for the privilege drop, builds its loop and worker, waits at
/// the start gate, runs, and leaves a `ThreadResult`. The result is read by the main thread only after `join()`.
final class LoadThread: @unchecked Sendable {
    let index: Int
    private let config: RunConfig
    private let gate: StartGate
    private let stop: StopSignal
    private let privileges: PrivilegeDrop
    let progress = ProgressCell()
    private var thread = pthread_t()
    private(set) var result: ThreadResult?

    init(index: Int, config: RunConfig, gate: StartGate, stop: StopSignal,
         privileges: PrivilegeDrop = PrivilegeDrop(plan: .keep, threads: 1)) {
        self.index = index
        self.privileges = privileges
        self.config = config
        self.gate = gate
        self.stop = stop
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
        guard let (loop, worker) = setUp(netnsInode: inode) else { return }
        gate.arrive(thread: index)
        guard let origin = gate.waitForOrigin() else {
            worker.abandon()
            loop.run()
            loop.close()
            return
        }
        // Precise pacing: the kernel may fire this thread's timers at most 1 µs late (default 50 µs).
        if config.load.tickNanos == 0 { _ = CLoadGenSys_set_timer_slack(1_000) }
        let cpuBefore = CLoadGenSys_thread_cpu_nanos()
        worker.start(originNanos: origin)
        loop.run()
        let cpuAfter = CLoadGenSys_thread_cpu_nanos()
        loop.close()
        var result = worker.result
        result.tid = CLoadGenSys_gettid()
        result.cpuNanos = cpuAfter > cpuBefore ? UInt64(cpuAfter - cpuBefore) : 0
        self.result = result
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

    /// Creates the loop and the worker and prepares it; on failure arrives at the gate with the error, after
    /// closing what was built (a worker whose construction threw closed its handles in its deinit; the loop runs
    /// their close callbacks and is closed).
    private func setUp(netnsInode inode: UInt64) -> (Loop, LoadWorker)? {
        let loop: Loop
        do {
            loop = try Loop()
        } catch {
            gate.arrive(thread: index, failure: error)
            return nil
        }
        let worker: LoadWorker
        do {
            worker = try makeWorker(loop: loop, netnsInode: inode)
        } catch {
            loop.run()
            loop.close()
            gate.arrive(thread: index, failure: error)
            return nil
        }
        do {
            try worker.prepare()
        } catch {
            worker.abandon()
            loop.run()
            loop.close()
            gate.arrive(thread: index, failure: error)
            return nil
        }
        return (loop, worker)
    }

    private func makeWorker(loop: Loop, netnsInode inode: UInt64) throws -> LoadWorker {
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
        }
    }
}

/// A run that could not be carried out; the message says why and what would work. Exit code 1.
struct RunFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
