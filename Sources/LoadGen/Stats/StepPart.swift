/// What the events of one step window became (`StepPlan`): counted in the run's totals as any other; here apart,
/// with response and service times at two significant digits, and what the window intended.
struct StepPart: Sendable {
    var intended: UInt64 = 0
    var events = EventPart.coarse()

    var notSent: UInt64 { intended > events.sent ? intended - events.sent : 0 }

    mutating func add(_ other: StepPart) {
        intended += other.intended
        events.add(other.events)
    }

    /// The elementwise sum of the threads' parts.
    static func merge(_ parts: [[StepPart]]) -> [StepPart]? {
        guard var total = parts.first else { return nil }
        for other in parts.dropFirst() where other.count == total.count {
            for i in total.indices { total[i].add(other[i]) }
        }
        return total
    }
}
