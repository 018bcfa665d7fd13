/// Where each event of a tcp or udp run goes: event i (its global sequence number) to target i mod n, as loadgen
/// http's URLs and loadgen dns's servers take turns, and the k-th event of a target (k = i div n) to its address
/// k mod m — a literal has one, a name every address it resolved to on this thread (`HostLookup.resolveAll`: IPv4
/// first, in address order). So the split is exact and predictable: of the events 0..<N, target t takes
/// ⌈(N − t) / n⌉, and of those its address a takes ⌈(N_t − a) / m⌉, whatever the threads and shards.
struct KindAddresses: Sendable {
    /// Every address, target by target.
    let endpoints: [Endpoint]
    /// Per address: the index of its target.
    let targetOfAddress: [Int]
    /// Per target: where its addresses start in `endpoints`, and how many it has.
    private let firstAddress: [Int]
    private let addressCount: [Int]

    /// `resolved`: per target, in the order given, its addresses (at least one each).
    init(_ resolved: [[Endpoint]]) {
        precondition(!resolved.isEmpty && resolved.allSatisfy { !$0.isEmpty }, "every target needs an address")
        endpoints = resolved.flatMap { $0 }
        targetOfAddress = resolved.indices.flatMap { t in resolved[t].map { _ in t } }
        addressCount = resolved.map(\.count)
        var first = 0
        firstAddress = resolved.map { addresses in
            defer { first += addresses.count }
            return first
        }
    }

    /// Resolves every target on the calling loop thread, inside its netns (`netns` labels a failure).
    init(resolving targets: [KindTarget], netns: String?) throws(RunFailure) {
        var resolved: [[Endpoint]] = []
        for target in targets { resolved.append(try target.resolve(netns: netns)) }
        self.init(resolved)
    }

    /// The address index of event `sequence`.
    @inline(__always)
    func address(ofSequence sequence: UInt64) -> Int {
        if endpoints.count == 1 { return 0 }
        let n = UInt64(firstAddress.count)
        let target = Int(sequence % n)
        let m = addressCount[target]
        return firstAddress[target] + (m == 1 ? 0 : Int((sequence / n) % UInt64(m)))
    }

    /// Above this many addresses, a run's parts keep no response times (the report's per-target entries then have
    /// counts only): each address's histogram is about 37 KB per loop thread, which would outgrow the rest of a
    /// thread's state.
    static let latencyAddressLimit = 256

    /// Zero counts for every address, labelled with its target as given: a thread's `perAddress` to count into.
    func parts(targets: [KindTarget]) -> [AddressPart] {
        let timed = endpoints.count <= KindAddresses.latencyAddressLimit
        return endpoints.indices.map {
            var part = AddressPart(target: targets[targetOfAddress[$0]].description, address: endpoints[$0].description)
            if !timed { part.responseTime = nil }
            return part
        }
    }
}
