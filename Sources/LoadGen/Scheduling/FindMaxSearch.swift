/// The rates `--find-max` tries, one step at a time: from the starting rate up by `growth` while steps hold; once
/// one fails, halfway (geometrically) between the highest rate that held and the lowest that failed, until the two
/// are within `precision` of each other. Pure: it is told whether each step held.
struct FindMaxSearch: Sendable, Equatable {
    let startRate: Double
    /// 0.2: each step up asks 20% more than the last that held.
    let growth: Double
    /// 0.02: stop once the lowest failed rate is within 2% above the highest that held.
    let precision: Double
    let maxRate: Double
    /// No search runs longer than this many steps.
    static let maxSteps = 60

    private(set) var highestHeld: Double?
    private(set) var lowestFailed: Double?
    private(set) var steps = 0

    init(startRate: Double, growth: Double, precision: Double, maxRate: Double = Double(Rate.maxPerSecond)) {
        precondition(startRate >= 1 && growth > 0 && precision > 0)
        self.startRate = startRate.rounded()
        self.growth = growth
        self.precision = precision
        self.maxRate = maxRate
    }

    /// The next rate to try (whole events per second), or nil when the search is over: the first step failed, the
    /// bounds are within `precision`, the top rate held, or the step limit is reached.
    var nextRate: Double? {
        guard steps < FindMaxSearch.maxSteps else { return nil }
        guard let held = highestHeld else { return lowestFailed == nil ? startRate : nil }
        guard let failed = lowestFailed else {
            return held >= maxRate ? nil : min(maxRate, max(held + 1, (held * (1 + growth)).rounded()))
        }
        guard failed > held * (1 + precision), failed - held > 1 else { return nil }
        let middle = (held * failed).squareRoot().rounded()
        return min(failed - 1, max(held + 1, middle))
    }

    mutating func record(rate: Double, held: Bool) {
        steps += 1
        if held {
            highestHeld = max(highestHeld ?? 0, rate)
        } else {
            lowestFailed = min(lowestFailed ?? .infinity, rate)
        }
    }
}
