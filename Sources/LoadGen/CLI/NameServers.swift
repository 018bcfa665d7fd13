import ArgumentParser
import Foundation

/// Which DNS servers a run asks: the ones given, else the target's own resolv.conf — /etc/netns/NAME/resolv.conf
/// for `--netns NAME` when it exists (what `ip netns exec` shows the target), /proc/PID/root/etc/resolv.conf for
/// `--pid PID`, else /etc/resolv.conf.
enum NameServers {
    /// `defaultPort`: for servers given without one, and for every resolv.conf entry (which has none).
    static func choose(explicit: [String], flag: String, spec: NetNamespace.Spec?,
                       defaultPort: UInt16 = 53) throws -> ([Endpoint], String) {
        if !explicit.isEmpty {
            var endpoints: [Endpoint] = []
            for text in explicit {
                do {
                    endpoints.append(try Endpoint(parsing: text, defaultPort: defaultPort))
                } catch {
                    throw ValidationError("\(flag): \(error.description)")
                }
            }
            guard endpoints.count <= 64 else { throw ValidationError("\(flag): at most 64 servers") }
            return (endpoints, flag)
        }
        let path = resolvConfPath(for: spec)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RunFailure("no \(flag) given and \(path) cannot be read; give \(flag) ADDR[:PORT]")
        }
        let found = ResolvConf.nameservers(in: String(decoding: data, as: UTF8.self), port: defaultPort)
        guard !found.isEmpty else {
            throw RunFailure("no \(flag) given and \(path) lists no usable nameserver; give \(flag) ADDR[:PORT]")
        }
        return (found, path)
    }

    static func resolvConfPath(for spec: NetNamespace.Spec?) -> String {
        switch spec {
        case .name(let name) where FileManager.default.fileExists(atPath: "/etc/netns/\(name)/resolv.conf"):
            "/etc/netns/\(name)/resolv.conf"
        case .pid(let pid), .container(_, let pid):
            "/proc/\(pid)/root/etc/resolv.conf"
        default:
            "/etc/resolv.conf"
        }
    }
}
