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

/// The sent events of one address of a tcp or udp target, counted by the event lifecycle as the run's totals are
/// (`EventLedger`), so that over every address they add up to the totals exactly.
struct AddressPart: Sendable, Equatable, FateCounting {
    /// The target as given: `web:7000`, `127.0.0.1:7000`.
    var target: String
    /// Where its events went: the literal, or one address of the name as resolved (`[::1]:7000`).
    var address: String
    var sent: UInt64 = 0
    var completed: UInt64 = 0
    var timeouts: UInt64 = 0
    var errors: UInt64 = 0
    var cancelled: UInt64 = 0

    /// The parts of every list summed by target and address (the key), in first-seen order: the threads of a
    /// run, or the reports `loadgen merge` reads, whatever their target lists.
    static func merge(_ lists: [[AddressPart]]) -> [AddressPart] {
        var merged: [AddressPart] = []
        var index: [[String]: Int] = [:]
        for part in lists.joined() {
            if let i = index[[part.target, part.address]] {
                merged[i].addFates(part)
            } else {
                index[[part.target, part.address]] = merged.count
                merged.append(part)
            }
        }
        return merged
    }
}

/// One target of a tcp or udp run in the report: its addresses' parts and their sum.
struct TargetPart: Sendable, Equatable, FateCounting {
    var target: String
    var addresses: [AddressPart] = []
    var sent: UInt64 = 0
    var completed: UInt64 = 0
    var timeouts: UInt64 = 0
    var errors: UInt64 = 0
    var cancelled: UInt64 = 0

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
        }
        return targets
    }
}
