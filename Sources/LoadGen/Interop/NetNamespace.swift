import Foundation
import CLoadGenSys
import Glibc

/// A network namespace to generate traffic from: opened once on the main thread, entered by every loop thread
/// with setns(2) before it creates a socket. The descriptor stays open for the whole run.
struct NetNamespace: Sendable {
    enum Spec: Sendable, Equatable {
        /// A name under /run/netns, as `ip netns add` makes them.
        case name(String)
        /// A path to a namespace file: /proc/PID/ns/net, a bind mount.
        case path(String)
        /// The namespace of a process, as `nsenter -t PID -n`.
        case pid(Int32)
        /// The namespace of a container's process found by `--container ID` (or `--pod`): its label and PID.
        case container(String, pid: Int32)

        /// The process whose namespace this is, for `--pid` and container targets.
        var pid: Int32? {
            switch self {
            case .pid(let pid), .container(_, let pid): pid
            case .name, .path: nil
            }
        }
    }

    let spec: Spec
    let fd: Int32
    /// The namespace's inode: what `ls -L -i /proc/PID/ns/net` and eBPF's `netns` fields show.
    let inode: UInt64

    /// Who asks to read another process's namespaces: what decides whether the kernel's ptrace check lets it.
    enum Caller: Sendable, Equatable {
        /// Has CAP_SYS_PTRACE (plain root has it).
        case ptraceCapable
        /// uid 0 without CAP_SYS_PTRACE (dropped from the bounding set, a container's default).
        case rootWithoutPtrace
        /// Neither root nor CAP_SYS_PTRACE.
        case unprivileged

        /// The calling thread's: read from its effective capability set in /proc/thread-self/status.
        static var current: Caller {
            let capSysPtrace = 19
            if let caps = effectiveCapabilities(), caps & (1 << capSysPtrace) != 0 { return .ptraceCapable }
            return geteuid() == 0 ? .rootWithoutPtrace : .unprivileged
        }

        private static func effectiveCapabilities() -> UInt64? {
            let fd = Glibc.open("/proc/thread-self/status", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { Glibc.close(fd) }
            var bytes = [UInt8](repeating: 0, count: 8192)
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { return nil }
            let text = String(decoding: bytes[..<n], as: UTF8.self)
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }) else { return nil }
            return UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        }
    }

    /// How reports name it: the netns name, the path, or `pid:N`.
    var label: String {
        switch spec {
        case .name(let name): name
        case .path(let path): path
        case .pid(let pid): "pid:\(pid)"
        case .container(let name, _): name
        }
    }

    var path: String {
        switch spec {
        case .name(let name): "/run/netns/\(name)"
        case .path(let path): path
        case .pid(let pid), .container(_, let pid): "/proc/\(pid)/ns/net"
        }
    }

    /// Opens the namespace file and checks that it is a network namespace.
    static func open(_ spec: Spec) throws(NetNamespaceError) -> NetNamespace {
        let path = NetNamespace(spec: spec, fd: -1, inode: 0).path
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let err = errno
            // /proc/PID/ns/* opens only with ptrace read access to PID (not CAP_SYS_ADMIN, which setns needs).
            if err == EACCES || err == EPERM, let pid = spec.pid {
                throw NetNamespaceError.noPtraceAccess(spec, path: path, pid: pid, caller: .current)
            }
            throw NetNamespaceError.cannotOpen(spec, path: path, errno: err)
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let saved = errno
            Glibc.close(fd)
            throw NetNamespaceError.cannotOpen(spec, path: path, errno: saved)
        }
        let kind = CLoadGenSys_is_netns(fd)
        if kind == 0 {
            Glibc.close(fd)
            throw NetNamespaceError.notANetworkNamespace(spec, path: path)
        }
        return NetNamespace(spec: spec, fd: fd, inode: UInt64(st.st_ino))
    }

    /// Moves the calling thread into the namespace and checks that it arrived.
    /// The corresponding C function is `setns`.
    func enterOnCurrentThread() throws(NetNamespaceError) {
        let rc = CLoadGenSys_enter_netns(fd)
        if rc < 0 {
            throw NetNamespaceError.cannotEnter(spec, errno: -rc)
        }
        let now = NetNamespace.currentThreadInode
        guard now == inode else {
            throw NetNamespaceError.notEntered(spec, expected: inode, actual: now)
        }
    }

    /// The inode of the calling thread's network namespace (/proc/thread-self/ns/net).
    static var currentThreadInode: UInt64 {
        let inode = CLoadGenSys_thread_netns_inode()
        return inode < 0 ? 0 : UInt64(inode)
    }

    /// The inode of the namespace a socket lives in (SIOCGSKNS), or nil when the kernel cannot say.
    static func inode(ofSocket fd: Int32) -> UInt64? {
        let inode = CLoadGenSys_socket_netns_inode(fd)
        return inode < 0 ? nil : UInt64(inode)
    }
}

/// Tells whether a socket lives in a loop thread's target netns without needing any capability, so that the check
/// keeps working after privileges are dropped. SIOCGSKNS (the inode of a socket's netns) needs CAP_NET_ADMIN; a
/// socket's netns cookie (getsockopt SO_NETNS_COOKIE, Linux 5.14) needs nothing. So, once, on the loop thread
/// right after it entered its netns and before the drop, `init` makes a probe socket, confirms with SIOCGSKNS that
/// the probe lives in the target, and keeps the probe's cookie; every later socket is checked by comparing its
/// cookie with that one. `install()` makes it the calling thread's `current` check. Made and used on one loop thread.
struct SocketNetnsCheck: Sendable, Equatable {
    /// The target's netns cookie; 0 when the kernel has none (then sockets are checked by inode, which needs
    /// CAP_NET_ADMIN).
    let cookie: UInt64
    /// The target's inode.
    let inode: UInt64

    /// On the loop thread, inside the target netns (inode `expectedInode`), before privileges are dropped.
    init(expectedInode: UInt64) throws(NetNamespaceError) {
        var probeInode: Int64 = 0
        var probeCookie: UInt64 = 0
        let rc = CLoadGenSys_netns_probe(&probeInode, &probeCookie)
        if probeInode >= 0, UInt64(probeInode) != expectedInode {
            throw NetNamespaceError.socketOutside(expected: expectedInode, actual: UInt64(probeInode))
        }
        // SIOCGSKNS refused (an unprivileged run in its own netns): the thread's own netns was checked already.
        cookie = rc == 0 ? probeCookie : 0
        inode = expectedInode
    }

    private init(cookie: UInt64, inode: UInt64) {
        self.cookie = cookie
        self.inode = inode
    }

    /// Whether the socket `fd` lives in the target netns.
    func isInTarget(fd: Int32) -> Bool {
        // Without a cookie: by inode, and a socket whose netns the kernel will not tell counts as inside.
        guard cookie != 0 else { return NetNamespace.inode(ofSocket: fd).map { $0 == inode } ?? true }
        var socketCookie: UInt64 = 0
        return CLoadGenSys_socket_netns_cookie(fd, &socketCookie) == 0 && socketCookie == cookie
    }

    /// Makes this the calling thread's `current` check.
    func install() {
        CLoadGenSys_set_thread_netns_cookie(cookie)
    }

    /// The calling thread's check: the one installed on it, else a check by inode against the thread's own netns.
    static var current: SocketNetnsCheck {
        let cookie = CLoadGenSys_thread_netns_cookie()
        return SocketNetnsCheck(cookie: cookie, inode: cookie == 0 ? NetNamespace.currentThreadInode : 0)
    }
}

/// Why a namespace could not be used; each description says what would work.
enum NetNamespaceError: Error, CustomStringConvertible {
    case cannotOpen(NetNamespace.Spec, path: String, errno: Int32)
    /// /proc/PID/ns/net could not be opened: the kernel's ptrace read check on PID said no.
    case noPtraceAccess(NetNamespace.Spec, path: String, pid: Int32, caller: NetNamespace.Caller)
    case notANetworkNamespace(NetNamespace.Spec, path: String)
    case cannotEnter(NetNamespace.Spec, errno: Int32)
    case notEntered(NetNamespace.Spec, expected: UInt64, actual: UInt64)
    case socketOutside(expected: UInt64, actual: UInt64)

    var description: String {
        switch self {
        case .cannotOpen(let spec, let path, let err):
            switch (spec, err) {
            case (.name(let name), ENOENT):
                return "--netns '\(name)': no such network namespace (\(path) does not exist); `ip netns list` shows the names"
            case (.path(let p), ENOENT):
                return "--netns '\(p)': no such file; give a name under /run/netns or a path such as /proc/PID/ns/net"
            case (.pid(let pid), ENOENT), (.pid(let pid), ESRCH):
                return "--pid \(pid): no such process"
            case (_, EACCES), (_, EPERM):
                return "\(flag(spec)): opening \(path): permission denied; loadgen needs CAP_SYS_ADMIN — run it with sudo"
            default:
                return "\(flag(spec)): opening \(path): \(String(cString: strerror(err)))"
            }
        case .noPtraceAccess(let spec, let path, let pid, let caller):
            let reading = "\(flag(spec)): opening \(path): permission denied: the kernel lets a process read another's namespaces only with ptrace read access to it (the same user and a dumpable process, or CAP_SYS_PTRACE)"
            switch caller {
            case .ptraceCapable:
                return "\(reading); loadgen has CAP_SYS_PTRACE and was still refused, so no capability is missing: something protects process \(pid) from ptrace access (a security module or a kernel policy); name another process in the same network namespace, or its namespace with --netns"
            case .rootWithoutPtrace:
                return "\(reading); loadgen runs as root but without CAP_SYS_PTRACE, and process \(pid) belongs to another user or is not dumpable; run it with CAP_SYS_PTRACE (plain sudo has it)"
            case .unprivileged:
                return "\(reading), and entering a namespace needs CAP_SYS_ADMIN — run it with sudo"
            }
        case .notANetworkNamespace(let spec, let path):
            return "\(flag(spec)): \(path) is not a network namespace file; give a name under /run/netns or /proc/PID/ns/net"
        case .cannotEnter(let spec, let err):
            if err == EPERM || err == EACCES {
                return "entering \(flag(spec)): permission denied; loadgen needs CAP_SYS_ADMIN — run it with sudo"
            }
            return "entering \(flag(spec)): \(String(cString: strerror(err)))"
        case .notEntered(let spec, let expected, let actual):
            return "entering \(flag(spec)): the thread is in netns inode \(actual), expected \(expected)"
        case .socketOutside(let expected, let actual):
            return "a socket made inside the target netns (inode \(expected)) lives in netns inode \(actual)"
        }
    }

    private func flag(_ spec: NetNamespace.Spec) -> String {
        switch spec {
        case .name(let name): "--netns '\(name)'"
        case .path(let path): "--netns '\(path)'"
        case .pid(let pid): "--pid \(pid)"
        case .container(let name, let pid): "\(name) (pid \(pid))"
        }
    }
}
