import CLoadGenSys
import Foundation
import Glibc

/// A command loadgen runs in the foreground with stdout and stderr passed through (podman, kubectl logs): in a
/// process group of its own, so that Ctrl-C at the terminal reaches loadgen alone and is passed on exactly once,
/// the way the command needs it (`onStop`), instead of twice (a second Ctrl-C would end a run without its report).
struct ChildCommand {
    let executable: String
    let arguments: [String]

    /// Starts it with stdin from /dev/null and loadgen's stdout and stderr, default signal actions and an empty mask.
    func start() throws(RunFailure) -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), empty = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard status == 0 else {
            throw RunFailure("cannot start \(executable): \(String(cString: strerror(status)))")
        }
        return pid
    }

    /// Runs it to the end; when Ctrl-C or SIGTERM reaches loadgen meanwhile, calls `onStop(pid)` once. Returns the
    /// exit status (128 + N for a signal N).
    func run(onStop: (pid_t) -> Void) throws(RunFailure) -> Int32 {
        let pid = try start()
        var stopped = false
        while true {
            var status: Int32 = 0
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { return ChildCommand.exitStatus(status) }
            if done < 0 && errno != EINTR { throw RunFailure("waiting for \(executable): \(String(cString: strerror(errno)))") }
            if !stopped && CLoadGenSys_early_stop_signal() != 0 {
                stopped = true
                onStop(pid)
            }
            usleep(20_000)
        }
    }

    /// Runs it to the end with stdout captured (stderr passed through); for short queries such as `kubectl get`.
    func capture() throws(RunFailure) -> (status: Int32, stdout: String, stderr: String) {
        do {
            let result = try ContainerTargets.runCapturing(executable: executable, arguments: arguments)
            return (result.status, String(decoding: result.stdout, as: UTF8.self), result.stderr)
        } catch {
            throw RunFailure("cannot run \(executable): \(error.localizedDescription)")
        }
    }

    static func exitStatus(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
