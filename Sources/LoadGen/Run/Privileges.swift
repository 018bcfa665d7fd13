import CLoadGenSys
import Foundation
import Glibc

/// What loadgen keeps once every loop thread is inside its netns (issue 9 point 8). Built by the CLI
/// (`PrivilegeOptions`), carried out by `PrivilegeDrop`.
enum PrivilegePlan: Sendable, Equatable {
    /// `--no-drop-privileges`: keep the user and every capability for the whole run.
    case keep
    /// Stay the current user (uid 0 when not started through sudo and without `--user`), with no capabilities and
    /// no_new_privs on every thread.
    case dropCapabilities
    /// Switch to this user and exactly these supplementary groups, then as `dropCapabilities`.
    case switchUser(User)

    struct User: Sendable, Equatable {
        var name: String
        var uid: uid_t
        var gid: gid_t
        var groups: [gid_t]
    }
}

/// The barrier at which loadgen gives up its privileges, between entering the netns and reading the network.
///
/// Each loop thread: enters its netns and checks it arrived (setns needs CAP_SYS_ADMIN), makes a probe socket and
/// keeps its netns cookie (`SocketNetnsCheck`: the probe's SIOCGSKNS needs CAP_NET_ADMIN), sets no_new_privs and
/// empties its bounding set (needs CAP_SETPCAP), arrives here and waits. When all have arrived, the main thread
/// does the same for itself and switches the identity (setgroups, setresgid, setresuid: glibc runs each on every
/// thread, and would abort if one refused, so every thread still holds CAP_SETUID and CAP_SETGID until then; the
/// kernel clears the effective and permitted sets at the switch away from uid 0). Then each thread, main and
/// loop, empties its own effective, permitted, inheritable and ambient sets (they are per thread), checks what
/// it holds, and only then creates its loop, resolves host names and opens the sockets that carry load.
///
/// Why the order is safe: everything that needs a privilege happens before the barrier (entering the netns, the
/// probe, opening the events log and the namespace files, raising RLIMIT_NOFILE: all on the main thread or a loop
/// thread before it arrives), and nothing before it reads network input — the probe is never bound, connected or
/// read, and HTTP's `prepare()` (connect, the server's SETTINGS) and DNS's sockets come after. A socket belongs
/// to the netns its creating thread was in at creation, whatever the thread's privileges are later, and its
/// cookie can be read without any; stdout, stderr and the events log are descriptors opened before, which keep
/// working. After the barrier SO_RCVBUFFORCE/SO_SNDBUFFORCE fail and socket buffers fall back to
/// SO_RCVBUF/SO_SNDBUF, capped at net.core.rmem_max/wmem_max.
final class PrivilegeDrop: @unchecked Sendable {
    private enum Outcome { case dropped, failed(String), aborted }

    let plan: PrivilegePlan
    /// `--find-max`: only the loop threads give up their privileges, each switching its own identity; the main
    /// thread, which reads no network input, keeps them to enter the namespaces again for the next step.
    let loopThreadsOnly: Bool
    private let condition = NSCondition()
    private let expected: Int
    private var arrived = 0
    private var left = 0
    private var outcome: Outcome?

    init(plan: PrivilegePlan, threads: Int, loopThreadsOnly: Bool = false) {
        self.plan = plan
        self.loopThreadsOnly = loopThreadsOnly
        expected = threads
    }

    /// Loop thread, inside its netns with its `SocketNetnsCheck` installed: restricts itself, waits for the main
    /// thread's switch, then empties its own capability sets and checks them. Throws when the run must not go on.
    func dropOnLoopThread(check: SocketNetnsCheck) throws(RunFailure) {
        guard plan != .keep else { return }
        if check.cookie == 0 {
            leave()
            throw RunFailure("this kernel has no SO_NETNS_COOKIE (Linux 5.14 or later), so the netns of sockets cannot be checked without CAP_NET_ADMIN; run with --no-drop-privileges")
        }
        let restricted = CLoadGenSys_thread_restrict()
        condition.lock()
        arrived += 1
        condition.broadcast()
        while outcome == nil { condition.wait() }
        let result = outcome!
        condition.unlock()
        switch result {
        case .aborted: throw RunFailure("not started: another loop thread failed")
        case .failed(let why): throw RunFailure(why)
        case .dropped:
            if restricted != 0 { throw RunFailure("setting no_new_privs: \(String(cString: strerror(-restricted)))") }
            if loopThreadsOnly, case .switchUser(let user) = plan {
                let rc = user.groups.withUnsafeBufferPointer {
                    CLoadGenSys_thread_switch_identity(user.uid, user.gid, $0.baseAddress, Int32($0.count))
                }
                if rc != 0 { throw RunFailure("switching to user \(user.name) (uid \(user.uid), gid \(user.gid)): \(String(cString: strerror(-rc)))") }
            }
            try clearAndCheckThisThread()
        }
    }

    /// Loop thread that failed before reaching the barrier (report the failure to the start gate first).
    func leave() {
        condition.lock()
        left += 1
        condition.broadcast()
        condition.unlock()
    }

    /// Main thread, before waiting at the start gate: waits until every loop thread arrived or left, drops the
    /// main thread's privileges and switches the identity, and lets the loop threads go on.
    func perform() {
        guard plan != .keep else { return }
        condition.lock()
        while arrived + left < expected && outcome == nil { condition.wait() }
        if outcome == nil {
            outcome = left > 0 ? .aborted : loopThreadsOnly ? .dropped : dropOnMainThread()
        }
        condition.broadcast()
        condition.unlock()
    }

    /// Releases loop threads still waiting (a thread could not be started).
    func abort() {
        condition.lock()
        if outcome == nil { outcome = .aborted }
        condition.broadcast()
        condition.unlock()
    }

    private func dropOnMainThread() -> Outcome {
        let restricted = CLoadGenSys_thread_restrict()
        if restricted != 0 { return .failed("setting no_new_privs: \(String(cString: strerror(-restricted)))") }
        if case .switchUser(let user) = plan {
            let rc = user.groups.withUnsafeBufferPointer {
                CLoadGenSys_switch_identity(user.uid, user.gid, $0.baseAddress, Int32($0.count))
            }
            if rc != 0 {
                return .failed("switching to user \(user.name) (uid \(user.uid), gid \(user.gid)): \(String(cString: strerror(-rc))); run with --no-drop-privileges to stay root")
            }
        }
        do {
            try clearAndCheckThisThread()
        } catch {
            return .failed(error.description)
        }
        return .dropped
    }

    /// Empties the calling thread's capability sets and checks that nothing is left and that it runs as planned.
    private func clearAndCheckThisThread() throws(RunFailure) {
        let rc = CLoadGenSys_thread_clear_capabilities()
        if rc != 0 { throw RunFailure("dropping capabilities: \(String(cString: strerror(-rc)))") }
        var held = CLoadGenSys_privileges()
        guard CLoadGenSys_thread_privileges(&held) == 0 else {
            throw RunFailure("reading the thread's capabilities: \(String(cString: strerror(errno)))")
        }
        var wrong: [String] = []
        if held.effective != 0 || held.permitted != 0 || held.inheritable != 0 || held.ambient != 0 {
            wrong.append("capabilities are still held")
        }
        if held.no_new_privs != 1 { wrong.append("no_new_privs is not set") }
        if case .switchUser(let user) = plan, held.uid != user.uid || held.gid != user.gid || held.same_ids == 0 {
            wrong.append("runs as uid \(held.uid) gid \(held.gid), not \(user.uid)/\(user.gid)")
        }
        if !wrong.isEmpty {
            throw RunFailure("dropping privileges on thread \(CLoadGenSys_gettid()): " + wrong.joined(separator: ", "))
        }
    }
}
