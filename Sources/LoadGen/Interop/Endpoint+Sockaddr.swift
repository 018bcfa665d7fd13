import CUV
import Glibc

extension Endpoint {
    /// Runs `body` with the endpoint as a `sockaddr` (IPv4 or IPv6) and its length. The corresponding C functions
    /// are `uv_ip4_addr` and `uv_ip6_addr`.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) throws(UVError) -> R {
        var storage = sockaddr_storage()
        let (rc, length): (Int32, Int) = withUnsafeMutablePointer(to: &storage) { pointer in
            let raw = UnsafeMutableRawPointer(pointer)
            switch family {
            case .ipv4:
                return (uv_ip4_addr(host, Int32(port), raw.assumingMemoryBound(to: sockaddr_in.self)),
                        MemoryLayout<sockaddr_in>.size)
            case .ipv6:
                return (uv_ip6_addr(host, Int32(port), raw.assumingMemoryBound(to: sockaddr_in6.self)),
                        MemoryLayout<sockaddr_in6>.size)
            }
        }
        try UVError.check(rc, "uv_ip_addr")
        return withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(length)) }
        }
    }
}
