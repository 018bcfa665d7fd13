@testable import LoadGen
import Testing

/// The split of loadgen tcp's and udp's events over their targets and a name's addresses (`KindAddresses`), and
/// the lifecycle's count of each address's fates (`EventLedger`), without sockets.
@Suite struct KindAddressesTests {
    static func endpoint(_ text: String) -> Endpoint { try! Endpoint(parsing: text, defaultPort: 7000) }

    /// How many of the events 0..<count go to each address.
    static func split(_ addresses: KindAddresses, count: UInt64) -> [Int] {
        var counts = [Int](repeating: 0, count: addresses.endpoints.count)
        for sequence in 0..<count { counts[addresses.address(ofSequence: sequence)] += 1 }
        return counts
    }

    @Test func oneLiteralTakesEveryEvent() {
        let one = KindAddresses([[Self.endpoint("127.0.0.1:7000")]])
        #expect(Self.split(one, count: 10) == [10])
    }

    @Test func eventIGoesToTargetIModN() {
        let three = KindAddresses([[Self.endpoint("127.0.0.1:7000")], [Self.endpoint("127.0.0.1:7001")], [Self.endpoint("[::1]:7000")]])
        #expect((0..<7).map { three.address(ofSequence: $0) } == [0, 1, 2, 0, 1, 2, 0])
        #expect(Self.split(three, count: 1000) == [334, 333, 333])
        #expect(three.targetOfAddress == [0, 1, 2])
    }

    /// A name with two addresses beside a literal: the name takes every other event (its share as a target), and
    /// its addresses take turns over its own events: ⌈(N − t) / n⌉ and ⌈(N_t − a) / m⌉.
    @Test func aNamesAddressesTakeTurnsWithinItsShare() {
        let name = [Self.endpoint("127.0.0.1:7000"), Self.endpoint("[::1]:7000")]
        let addresses = KindAddresses([name, [Self.endpoint("127.0.0.2:7000")]])
        #expect(addresses.targetOfAddress == [0, 0, 1])
        #expect((0..<8).map { addresses.address(ofSequence: $0) } == [0, 2, 1, 2, 0, 2, 1, 2])
        #expect(Self.split(addresses, count: 1001) == [251, 250, 500])
        for count in [UInt64(0), 1, 2, 3, 7, 999, 1000] {
            let nameShare = (count + 1) / 2
            #expect(Self.split(addresses, count: count) == [Int((nameShare + 1) / 2), Int(nameShare / 2), Int(count / 2)], "\(count)")
        }
    }

    /// Sequence numbers are global: whichever thread or shard issues event i, it goes to the same address.
    @Test func theSplitDependsOnTheSequenceOnly() {
        let addresses = KindAddresses([[Self.endpoint("127.0.0.1:1"), Self.endpoint("127.0.0.1:2"), Self.endpoint("127.0.0.1:3")],
                                       [Self.endpoint("127.0.0.1:4")]])
        let evens = stride(from: UInt64(0), to: 600, by: 2).map { addresses.address(ofSequence: $0) }
        #expect(Set(evens) == [0, 1, 2] && evens.prefix(4) == [0, 1, 2, 0])
        #expect(addresses.address(ofSequence: UInt64.max) == 3)
    }

    @Test func partsNameEachAddressWithItsTargetAsGiven() throws {
        let targets = [KindTarget(given: try HostPort(parsing: "web:7000")), KindTarget(given: try HostPort(parsing: "127.0.0.2:7001"))]
        let addresses = KindAddresses([[Self.endpoint("127.0.0.1:7000"), Self.endpoint("[::1]:7000")], [Self.endpoint("127.0.0.2:7001")]])
        #expect(addresses.parts(targets: targets).map { [$0.target, $0.address] }
                == [["web:7000", "127.0.0.1:7000"], ["web:7000", "[::1]:7000"], ["127.0.0.2:7001", "127.0.0.2:7001"]])
    }

    /// Up to `latencyAddressLimit` addresses each part keeps response times; beyond, none does (counts only).
    @Test func partsKeepLatenciesUpToTheAddressLimit() throws {
        let limit = KindAddresses.latencyAddressLimit
        for count in [limit, limit + 1] {
            let resolved = (0..<count).map { [Self.endpoint("127.0.0.1:\(1000 + $0)")] }
            let targets = try resolved.map { KindTarget(given: try HostPort(parsing: $0[0].description)) }
            let parts = KindAddresses(resolved).parts(targets: targets)
            #expect(parts.count == count && parts.allSatisfy { ($0.responseTime != nil) == (count <= limit) }, "\(count) addresses")
        }
    }

    /// The ledger counts each sent event's fate at its address too; events never sent count at none.
    @Test func theLedgerCountsEachAddressAsTheTotals() {
        let ledger = EventLedger(capacity: 8)
        var result = ThreadResult()
        result.perAddress = [AddressPart(target: "a:1", address: "127.0.0.1:1"), AddressPart(target: "b:1", address: "127.0.0.1:2")]
        ledger.countPerAddress()
        let outcomes: [EventLedger.Outcome] = [.answered(code: 0), .timedOut, .failed(.refused), .cancelled(unsent: .stopped),
                                               .answered(code: 0), .answered(code: 0)]
        for (sequence, outcome) in outcomes.enumerated() {
            let slot = ledger.issue(sequence: UInt64(sequence), intendedNanos: 100, now: 100)!
            ledger.assign(slot, address: sequence % 2)
            ledger.sent(slot, at: 200, into: &result)
            ledger.finish(slot, outcome, at: 300, into: &result)
        }
        let unsent = ledger.issue(sequence: 6, intendedNanos: 100, now: 100)!
        ledger.assign(unsent, address: 0)
        ledger.finish(unsent, .timedOut, at: 400, into: &result)
        let (a, b) = (result.perAddress[0], result.perAddress[1])
        #expect([a.sent, a.completed, a.timeouts, a.errors, a.cancelled] == [3, 2, 0, 1, 0])
        #expect([b.sent, b.completed, b.timeouts, b.errors, b.cancelled] == [3, 1, 1, 0, 1])
        var sum = AddressPart(target: "", address: "")
        sum.addFates(a)
        sum.addFates(b)
        let c = result.counters
        #expect([sum.sent, sum.completed, sum.timeouts, sum.errors, sum.cancelled] == [c.sent, c.completed, c.timeouts, c.errors, c.cancelled])
        #expect(c.notSent == 1 && a.balanced && b.balanced)
    }
}
