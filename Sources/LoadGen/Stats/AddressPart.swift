/// Counts of what sent events became: `sent == completed + timeouts + errors + cancelled` once none is in flight.
protocol FateCounting {
    var sent: UInt64 { get set }
    var completed: UInt64 { get set }
    var timeouts: UInt64 { get set }
    var errors: UInt64 { get set }
    var cancelled: UInt64 { get set }
}

extension FateCounting {
    var balanced: Bool { sent == completed + timeouts + errors + cancelled }

    mutating func addFates(_ other: some FateCounting) {
        sent += other.sent
        completed += other.completed
        timeouts += other.timeouts
        errors += other.errors
        cancelled += other.cancelled
    }
}

/// A part's response times: those of its completed events outside the warm-up, at two digits (a step's precision,
/// an eighth of the totals' memory, allocated at the first value). Nil when a report read back did not carry them
/// (one of a loadgen before per-target latencies), and then in every sum it joins: a part of unknown latencies
/// makes its sums' percentiles unknown too, never wrong.
protocol LatencyCounting {
    var responseTime: LatencyHistogram? { get set }
}

extension LatencyCounting {
    mutating func addLatency(_ other: LatencyHistogram?) {
        guard let other, responseTime != nil else {
            responseTime = nil
            return
        }
        responseTime?.add(other)
    }
}

/// The sent events of one address of a tcp or udp target, counted by the event lifecycle as the run's totals are
/// (`EventLedger`), so that over every address they add up to the totals exactly. Equal when the target, the
/// address and the counts are (the latencies are not compared).
struct AddressPart: Sendable, Equatable, FateCounting, LatencyCounting {
    /// The target as given: `web:7000`, `127.0.0.1:7000`.
    var target: String
    /// Where its events went: the literal, or one address of the name as resolved (`[::1]:7000`).
    var address: String
    var sent: UInt64 = 0
    var completed: UInt64 = 0
    var timeouts: UInt64 = 0
    var errors: UInt64 = 0
    var cancelled: UInt64 = 0
    var responseTime: LatencyHistogram? = LatencyHistogram.coarse()

    static func == (a: AddressPart, b: AddressPart) -> Bool {
        (a.target, a.address, a.sent, a.completed) == (b.target, b.address, b.sent, b.completed)
            && (a.timeouts, a.errors, a.cancelled) == (b.timeouts, b.errors, b.cancelled)
    }

    /// The parts of every list summed by target and address (the key), in first-seen order: the threads of a
    /// run, or the reports `loadgen merge` reads, whatever their target lists.
    static func merge(_ lists: [[AddressPart]]) -> [AddressPart] {
        var merged: [AddressPart] = []
        var index: [[String]: Int] = [:]
        for part in lists.joined() {
            if let i = index[[part.target, part.address]] {
                merged[i].addFates(part)
                merged[i].addLatency(part.responseTime)
            } else {
                index[[part.target, part.address]] = merged.count
                merged.append(part)
            }
        }
        return merged
    }
}

/// One target of a tcp or udp run in the report: its addresses' parts and their sum (equal as `AddressPart`s are).
struct TargetPart: Sendable, Equatable, FateCounting, LatencyCounting {
    var target: String
    var addresses: [AddressPart] = []
    var sent: UInt64 = 0
    var completed: UInt64 = 0
    var timeouts: UInt64 = 0
    var errors: UInt64 = 0
    var cancelled: UInt64 = 0
    var responseTime: LatencyHistogram? = LatencyHistogram.coarse()

    static func == (a: TargetPart, b: TargetPart) -> Bool {
        (a.target, a.addresses, a.sent, a.completed) == (b.target, b.addresses, b.sent, b.completed)
            && (a.timeouts, a.errors, a.cancelled) == (b.timeouts, b.errors, b.cancelled)
    }

    /// Address parts grouped by target, targets and addresses in first-seen order.
    static func grouping(_ parts: [AddressPart]) -> [TargetPart] {
        var targets: [TargetPart] = []
        var index: [String: Int] = [:]
        for part in parts {
            let i = index[part.target] ?? targets.count
            if i == targets.count {
                index[part.target] = i
                targets.append(TargetPart(target: part.target))
            }
            targets[i].addresses.append(part)
            targets[i].addFates(part)
            targets[i].addLatency(part.responseTime)
        }
        return targets
    }
}
