import Foundation
import Glibc
@testable import LoadGen

/// A directory laid out like /proc for `ContainerTargets.scan(procRoot:)`: one directory per PID with a `cgroup`
/// file (and a `stat` file when a test needs one), plus the non-PID entries a real /proc has.
final class FakeProcRoot {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = try TemporaryDirectory.make(prefix: "proc")
        for name in ["self", "sys", "net", "1x", "cgroups"] {
            try FileManager.default.createDirectory(at: url.appendingPathComponent(name), withIntermediateDirectories: true)
        }
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// Adds a process whose /proc/PID/cgroup is `cgroup`.
    func add(_ pid: Int32, cgroup: String, stat: String? = nil) throws {
        let dir = url.appendingPathComponent("\(pid)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(cgroup.utf8).write(to: dir.appendingPathComponent("cgroup"))
        if let stat { try Data(stat.utf8).write(to: dir.appendingPathComponent("stat")) }
    }

    /// A process directory without a cgroup file: what a process that exits while being scanned looks like.
    func addVanished(_ pid: Int32) throws {
        try FileManager.default.createDirectory(at: url.appendingPathComponent("\(pid)"), withIntermediateDirectories: true)
    }

    /// The process exits.
    func remove(_ pid: Int32) throws {
        try FileManager.default.removeItem(at: url.appendingPathComponent("\(pid)"))
    }
}

/// Container IDs used by the tests (made up, 64 hex digits like docker's and containerd's).
enum TestIDs {
    static let dockerSystemd = "c794e8f0265986351db308090199a92acca06b029394e41f475470924a393bad"
    static let dockerCgroupfs = "66bfcd0d00f74f856bb6978f237ac4b1f0d6b457eb659c6bbbf0b5c7a8fd6b9e"
    static let kubeContainerd = "fa0e1b834e9bbac8bf257d1607c878ecf82b35c520c7ce3929c70b66e641d0b4"
    static let kubeCgroupfs = "7c98607819eddd09ca718eae974d6a8cbbd1e467f3403308ed8f35827cd1a4c5"
    static let crio = "3fe6c5ee4d3d901df9b1a73e38fc859bdf4427500335c89ffa45fc39a19ae0aa"
    static let podman = "b1495bc0f5b5c1f4563df5d799ecdee87d04d2cfc840a2fe4b8d2f1263bc4673"
    static let cgroupV1 = "92842550200ef7fcf8582b55bdad10313986601f7f2b14da7770a3ebe60d2c39"
    static let nestedOuter = "b84158b5dc9924e3001596062ac7e726ff563e50ab171efbc35fdc87f09306ca"
    static let nestedInner = "c20f524fc4afde0b448a9eb8ed2b2e1cacfa9b5f856da939e4f152833814984f"
    /// Two IDs sharing the prefix `c0ffee`.
    static let coffee1 = "c0ffeec91cc72ec8598081272edd7e92ed30a528c43473967e69acf13705e64b"
    static let coffee2 = "c0ffee8ddc9ede613f7b4bcb44d90674e0c5b6c5280297aac0c14254073a6e76"

    /// A fresh random ID.
    static func random() -> String {
        (0..<32).map { _ in
            let byte = UInt8.random(in: 0...255)
            return String(byte >> 4, radix: 16) + String(byte & 0xf, radix: 16)
        }.joined()
    }
}
