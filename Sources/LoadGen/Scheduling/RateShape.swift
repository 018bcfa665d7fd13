/// A rate that changes over the run (`--rate A..B --ramp DUR`, `--steps R@DUR,…`): contiguous segments from the
/// origin, each holding a rate or changing it linearly, and after the last one its final rate holds.
///
/// The schedule is defined by the cumulative number of intended events, the area under the rate: event `i` is
/// intended at the first time the area reaches `i` (event 0 at offset 0). Within a segment of duration D going
/// from rate A to B, the area after τ seconds is `A·τ + (B−A)·τ²/(2D)`, and its inverse for `n` events is
/// `τ = 2n / (A + √(A² + 2·(B−A)/D·n))` — the form without cancellation, which is `n/A` for a held rate. Like
/// `Pacer`'s constant schedule it is computed from the index, never accumulated, so it cannot drift; it is exact
/// to the nanosecond up to about 100 days.
struct RateShape: Sendable, Equatable {
    struct Segment: Sendable, Equatable {
        /// From the origin.
        let startNanos: UInt64
        let durationNanos: UInt64
        /// Events per second at the start and at the end (equal for a held rate).
        let fromRate: Double
        let toRate: Double
        /// Events intended before the segment, as a real number (the area so far).
        let startArea: Double

        var endNanos: UInt64 { startNanos + durationNanos }
        var isRamp: Bool { fromRate != toRate }
        /// Events intended within the whole segment (real).
        var area: Double { (fromRate + toRate) / 2 * Double(durationNanos) / 1e9 }

        /// The area `seconds` into the segment.
        @inline(__always)
        func area(after seconds: Double) -> Double {
            fromRate * seconds + (toRate - fromRate) * seconds * seconds * 1e9 / (2 * Double(durationNanos))
        }

        /// Seconds into the segment at which the area reaches `n` (0 ≤ n ≤ area).
        @inline(__always)
        func seconds(toReach n: Double) -> Double {
            guard n > 0 else { return 0 }
            let slope = (toRate - fromRate) * 1e9 / Double(durationNanos)
            let root = max(0, fromRate * fromRate + 2 * slope * n).squareRoot()
            let denominator = fromRate + root
            return denominator > 0 ? min(2 * n / denominator, Double(durationNanos) / 1e9) : 0
        }
    }

    /// One piece as the user gives it: a rate held (or ramped from `from` to `to`) for a duration.
    struct Piece: Sendable, Equatable {
        let from: Double
        let to: Double
        let durationNanos: UInt64
    }

    let segments: [Segment]

    /// The shape of the pieces, in order from the origin; at least one, each at least 1 ns long.
    init(_ pieces: [Piece]) {
        precondition(!pieces.isEmpty)
        var segments: [Segment] = []
        var start: UInt64 = 0
        var area = 0.0
        for piece in pieces {
            precondition(piece.durationNanos > 0 && piece.from >= 0 && piece.to >= 0)
            let segment = Segment(startNanos: start, durationNanos: piece.durationNanos, fromRate: piece.from,
                                  toRate: piece.to, startArea: area)
            segments.append(segment)
            start += piece.durationNanos
            area += segment.area
        }
        self.segments = segments
    }

    /// The end of the last segment; its final rate holds after it.
    var lengthNanos: UInt64 { segments.last!.endNanos }
    /// The highest rate anywhere in the shape.
    var peakRate: Double { segments.map { max($0.fromRate, $0.toRate) }.max()! }
    private var tailRate: Double { segments.last!.toRate }
    private var totalArea: Double { segments.last!.startArea + segments.last!.area }

    /// The same shape `factor` times as fast (a rate given per target, for several targets).
    func scaled(by factor: Double) -> RateShape {
        RateShape(segments.map { Piece(from: $0.fromRate * factor, to: $0.toRate * factor, durationNanos: $0.durationNanos) })
    }

    /// Nanoseconds from the origin to event `index`'s intended time (rounded down); `UInt64.max` for an event
    /// the shape never reaches (its final rate is 0).
    func offsetNanos(ofEvent index: UInt64) -> UInt64 {
        let target = Double(index)
        if target >= totalArea {
            let rate = tailRate
            guard rate > 0 else { return target == totalArea ? lengthNanos : .max }
            return RateShape.nanos(lengthNanos, plus: (target - totalArea) / rate)
        }
        // The last segment whose start area is at or below the index.
        var low = 0, high = segments.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if segments[mid].startArea <= target { low = mid } else { high = mid - 1 }
        }
        let segment = segments[low]
        let seconds = segment.seconds(toReach: target - segment.startArea)
        return min(RateShape.nanos(segment.startNanos, plus: seconds), segment.endNanos)
    }

    /// How many events are intended at or before `offsetNanos`: the area there, then made consistent with
    /// `offsetNanos(ofEvent:)` (rounding may put a boundary event one nanosecond either way).
    func eventsDue(atOffset t: UInt64) -> UInt64 {
        let area = area(atOffset: t)
        guard area < 9e15 else { return .max }
        var due = UInt64(area.rounded(.down)) + 1
        while due > 0 && offsetNanos(ofEvent: due - 1) > t { due -= 1 }
        while offsetNanos(ofEvent: due) <= t { due += 1 }
        return due
    }

    /// The area (events intended, as a real number) up to `offsetNanos`.
    func area(atOffset offsetNanos: UInt64) -> Double {
        if offsetNanos >= lengthNanos {
            return totalArea + tailRate * Double(offsetNanos - lengthNanos) / 1e9
        }
        var low = 0, high = segments.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if segments[mid].startNanos <= offsetNanos { low = mid } else { high = mid - 1 }
        }
        let segment = segments[low]
        return segment.startArea + segment.area(after: Double(offsetNanos - segment.startNanos) / 1e9)
    }

    /// The rate at `offsetNanos` (events per second).
    func rate(atOffset offsetNanos: UInt64) -> Double {
        guard let segment = segments.last(where: { $0.startNanos <= offsetNanos }), offsetNanos < lengthNanos else {
            return tailRate
        }
        let fraction = Double(offsetNanos - segment.startNanos) / Double(segment.durationNanos)
        return segment.fromRate + (segment.toRate - segment.fromRate) * fraction
    }

    private static func nanos(_ base: UInt64, plus seconds: Double) -> UInt64 {
        let extra = seconds * 1e9
        guard extra < Double(UInt64.max - base) else { return .max }
        return base + UInt64(extra.rounded(.down))
    }
}
