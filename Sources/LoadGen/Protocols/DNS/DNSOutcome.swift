/// How one DNS query ended, as the resolver reports it.
enum DNSOutcome: Sendable, Equatable {
    case answered
    case timedOut
    case cancelled
    case failed(ErrorKind)
}
