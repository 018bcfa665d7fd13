import Glibc
import Testing
@testable import LoadGen

/// What loadgen says when it may not read a process's namespace: the kernel's ptrace check decides, not
/// CAP_SYS_ADMIN (which only entering needs).
@Suite struct NetNamespaceErrorTests {
    @Test("root with CAP_SYS_PTRACE refused (pid 1 in a sandbox): never 'needs CAP_SYS_ADMIN'")
    func ptraceCapableStillRefused() {
        let text = NetNamespaceError.noPtraceAccess(.pid(1), path: "/proc/1/ns/net", pid: 1, caller: .ptraceCapable).description
        #expect(text.hasPrefix("--pid 1: opening /proc/1/ns/net: permission denied"))
        #expect(text.contains("ptrace read access"))
        #expect(text.contains("loadgen has CAP_SYS_PTRACE and was still refused"))
        #expect(!text.contains("CAP_SYS_ADMIN"))
        #expect(!text.contains("sudo"), "sudo would not help a process that already has the capabilities")
    }

    @Test func rootWithoutPtrace() {
        let text = NetNamespaceError.noPtraceAccess(.pid(42), path: "/proc/42/ns/net", pid: 42, caller: .rootWithoutPtrace).description
        #expect(text.contains("as root but without CAP_SYS_PTRACE"))
        #expect(!text.contains("CAP_SYS_ADMIN"))
    }

    @Test func unprivileged() {
        let text = NetNamespaceError.noPtraceAccess(.container("container:abc", pid: 42), path: "/proc/42/ns/net", pid: 42,
                                                    caller: .unprivileged).description
        #expect(text.hasPrefix("container:abc (pid 42): opening /proc/42/ns/net: permission denied"))
        #expect(text.contains("CAP_SYS_PTRACE") && text.contains("CAP_SYS_ADMIN") && text.contains("sudo"))
    }

    @Test("the caller is read from the thread's effective capabilities")
    func currentCaller() {
        // The test suite runs as root with plain capabilities (CI and `make test`), or as a user without them.
        let expected: NetNamespace.Caller = geteuid() == 0 ? .ptraceCapable : .unprivileged
        #expect(NetNamespace.Caller.current == expected)
    }

    @Test func specPid() {
        #expect(NetNamespace.Spec.pid(7).pid == 7)
        #expect(NetNamespace.Spec.container("c", pid: 8).pid == 8)
        #expect(NetNamespace.Spec.name("x").pid == nil)
        #expect(NetNamespace.Spec.path("/proc/9/ns/net").pid == nil)
    }
}
