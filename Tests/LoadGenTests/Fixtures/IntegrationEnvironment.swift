import Foundation
import Glibc
import Testing

/// Whether the integration tests can run here. They need root (network namespaces, setns, servers on port 53).
/// Locally, as a non-root user, they are skipped; in CI (env `CI` set) they must run, so without root they fail.
enum IntegrationEnvironment {
    static var isRoot: Bool { geteuid() == 0 }
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false }

    /// loadgen is a sanitizer build (`Fuzz/sanitize.sh` sets LOADGEN_SANITIZER); false in `make test`.
    static let isSanitizerBuild = ProcessInfo.processInfo.environment["LOADGEN_SANITIZER"] != nil
    /// Extra seconds for wall-clock bounds under a sanitizer: start-up and shut-down are several times slower.
    static let sanitizerSlackSeconds: Double = isSanitizerBuild ? 1.5 : 0

    /// The condition of the suites' `.enabled(if:)` trait: skip only when not root and not in CI.
    static var shouldRun: Bool { isRoot || isCI }

    /// Called by every fixture that needs privileges: in CI without root this is a failure, not a skip.
    static func requireRoot() throws {
        guard isRoot else {
            throw FixtureError("the integration tests need root (network namespaces, setns); CI runs them with sudo/as root")
        }
    }

    /// The Debian tools the fixtures start; a missing one is a failure with the package to install.
    static func requireTool(_ name: String, package: String) throws -> String {
        for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"] {
            let path = "\(dir)/\(name)"
            if access(path, X_OK) == 0 { return path }
        }
        throw FixtureError("\(name) is not installed; `make setup` installs it (Debian package \(package))")
    }
}
