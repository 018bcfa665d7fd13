import Glibc
import Testing
@testable import LoadGen

@Suite struct ResolverErrorKindTests {
    @Test func socketErrnosKeepTheirKind() {
        #expect(Resolver.errorKind(errno: ECONNREFUSED) == .refused)
        #expect(Resolver.errorKind(errno: ENETUNREACH) == .unreachable)
        #expect(Resolver.errorKind(errno: EHOSTUNREACH) == .unreachable)
        #expect(Resolver.errorKind(errno: ECONNRESET) == .reset)
        #expect(Resolver.errorKind(errno: EPIPE) == .closed)
        #expect(Resolver.errorKind(errno: ETIMEDOUT) == .connectTimeout)
        #expect(Resolver.errorKind(errno: EMFILE) == .other)
        #expect(ErrorKind.unreachable.name == "unreachable")
    }
}
