import ArgumentParser

/// What `--rate` takes: one rate (`20k`, `1/5ms`), or a range `A..B` that `--ramp DUR` (or the whole
/// `--duration`) goes through linearly; either end of a range may be 0, not both.
enum RateArgument: Sendable, Hashable {
    case rate(Rate)
    case range(from: Double, to: Double)

    static let parser: @Sendable (String) throws -> RateArgument = { text in
        try FlagValueError.reasonOnly { () throws(QuantityError) in try RateArgument(parsing: text) }
    }

    init(parsing text: String) throws(QuantityError) {
        guard let dots = text.range(of: "..") else {
            self = .rate(try Rate(parsing: text))
            return
        }
        let from = try RateArgument.rateOrZero(String(text[..<dots.lowerBound]), whole: text)
        let to = try RateArgument.rateOrZero(String(text[dots.upperBound...]), whole: text)
        guard from > 0 || to > 0 else { throw QuantityError(text, "goes from 0 to 0; give a range such as 1k..20k or 0..5000") }
        self = .range(from: from, to: to)
    }

    /// A rate as `--rate` reads it, or 0 (a ramp may start or end at nothing).
    static func rateOrZero(_ text: String, whole: String) throws(QuantityError) -> Double {
        if text == "0" { return 0 }
        do {
            return try Rate(parsing: text).perSecond
        } catch {
            throw QuantityError(whole, "has '\(text)' where a rate belongs: \(error.reason)")
        }
    }
}

/// `--steps R@DUR,R@DUR,…`: rates held (`2000@10s`) or ramped (`1k..5k@20s`) for a span each, in order.
enum StepsArgument {
    static let maxSteps = 1000

    static let parser: @Sendable (String) throws -> [RateShape.Piece] = { text in
        try FlagValueError.reasonOnly { () throws(QuantityError) in try StepsArgument.parse(text) }
    }

    static func parse(_ text: String) throws(QuantityError) -> [RateShape.Piece] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard items.count <= maxSteps else { throw QuantityError(text, "has \(items.count) steps; at most \(maxSteps)") }
        var pieces: [RateShape.Piece] = []
        var total: UInt64 = 0
        for item in items {
            let parts = item.split(separator: "@", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw QuantityError(item.isEmpty ? text : item, "is not a step; give RATE@DUR steps separated by commas, such as 1000@10s,5k@10s or 1k..5k@30s")
            }
            let (from, to): (Double, Double)
            if parts[0].contains("..") {
                guard case .range(let a, let b) = try RateArgument(parsing: parts[0]) else { preconditionFailure() }
                (from, to) = (a, b)
            } else {
                let rate = try RateArgument.rateOrZero(parts[0], whole: item)
                (from, to) = (rate, rate)
            }
            let span = try TimeSpan(parsing: parts[1])
            guard span.nanos >= TimeSpan.millisecond.nanos else {
                throw QuantityError(item, "lasts less than 1ms; give each step 1ms or more")
            }
            total += span.nanos
            guard total <= LoadOptions.maxDuration.nanos else {
                throw QuantityError(text, "lasts more than \(LoadOptions.maxDuration) in all, the longest run")
            }
            pieces.append(RateShape.Piece(from: from, to: to, durationNanos: span.nanos))
        }
        guard pieces.contains(where: { $0.from > 0 || $0.to > 0 }) else {
            throw QuantityError(text, "never sends anything; give at least one step a rate above 0")
        }
        return pieces
    }
}

extension LoadOptions {
    /// The rate shape of `--rate A..B [--ramp DUR]`, `--rate B --ramp DUR` (from 0) or `--steps`; nil for a
    /// constant rate. The run's duration defaults to the shape's length.
    func shape() throws(ValidationError) -> RateShape? {
        if let steps {
            guard rate == nil, interval == nil, ramp == nil else {
                throw ValidationError("--steps gives the rates itself; leave out --rate, --interval and --ramp")
            }
            return RateShape(steps)
        }
        if ramp != nil && interval != nil {
            throw ValidationError("--ramp goes with --rate A..B (or --rate B, from 0), not with --interval")
        }
        switch rate {
        case .range(let from, let to)?:
            guard let span = ramp?.nanos ?? duration?.nanos else {
                throw ValidationError("--rate \(from)..\(to) needs the time to get there: add --ramp DUR (or --duration DUR to ramp over the whole run)")
            }
            return RateShape([RateShape.Piece(from: from, to: to, durationNanos: span)])
        case .rate(let r)? where ramp != nil:
            return RateShape([RateShape.Piece(from: 0, to: r.perSecond, durationNanos: ramp!.nanos)])
        case nil where ramp != nil:
            throw ValidationError("--ramp DUR needs --rate A..B (or --rate B to ramp from 0)")
        default:
            return nil
        }
    }

    /// A written form of the shape for reports: `--steps 1000@5s,2000@5s`, `--rate 0..5000 --ramp 10s`.
    var shapeText: String? {
        if let steps {
            return "--steps " + steps.map { piece in
                let rate = piece.from == piece.to ? Wording.rate(piece.from) : "\(Wording.rate(piece.from))..\(Wording.rate(piece.to))"
                return "\(rate)@\(TimeSpan(nanos: piece.durationNanos))"
            }.joined(separator: ",")
        }
        switch rate {
        case .range(let from, let to)?:
            return "--rate \(Wording.rate(from))..\(Wording.rate(to))" + (ramp.map { " --ramp \($0)" } ?? " over --duration")
        case .rate(let r)? where ramp != nil:
            return "--rate \(Wording.rate(r.perSecond)) --ramp \(ramp!)"
        default:
            return nil
        }
    }
}

extension LoadOptions {
    /// Paces the run by `shape`: it lasts the shape's length unless --duration or --count say otherwise (a count
    /// beyond a shape that ends at rate 0 ends with it), and the rate it reports as requested is the mean of the
    /// shape over the run.
    func applyShape(_ shape: RateShape, to result: inout Parsed) throws(ValidationError) {
        let pacer = Pacer(shape: shape)
        result.pacer = pacer
        result.shapeText = shapeText
        if result.durationNanos == nil && (result.count == nil || shape.segments.last!.toRate == 0) {
            result.durationNanos = shape.lengthNanos
        }
        var end = result.durationNanos ?? .max
        if let count = result.count {
            let span = pacer.offsetNanos(ofEvent: count)
            guard result.durationNanos != nil || span <= LoadOptions.maxDuration.nanos else {
                throw ValidationError("--count \(count) would issue for more than \(LoadOptions.maxDuration) at the shape's final rate; lower --count or add --duration")
            }
            end = min(end, max(span, 1))
        }
        let events = min(Double(result.count ?? .max), shape.area(atOffset: end))
        result.requestedRate = events / (Double(end) / 1e9)
    }
}
