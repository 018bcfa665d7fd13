/// Matches the echoes of `loadgen udp --expect-echo` to their events. Every datagram starts with a 16-byte tag —
/// the event's sequence number (8 bytes), its slot (4) and a check word (4) derived from both and a per-thread
/// salt — so an echo names the one event it answers. Nothing in an echo is trusted: a datagram completes an event
/// only when its tag is intact, its slot is in range and still waits for exactly that sequence number, and it is
/// as long as what was sent. Everything else is counted by what it is and otherwise ignored: a `duplicate` (the
/// event was already answered), `late` (its event timed out or is long gone), `truncated` (shorter than sent, or
/// shorter than a tag) or `foreign` (no tag of ours, or longer than sent). No I/O; loop thread only.
final class EchoMatcher {
    static let tagBytes = 16

    enum Verdict: Equatable {
        /// The echo of the event in `slot`.
        case matched(slot: Int32)
        case duplicate
        case late
        case truncated
        case foreign
    }

    struct Counts: Equatable {
        var duplicates: UInt64 = 0
        var late: UInt64 = 0
        var truncated: UInt64 = 0
        var foreign: UInt64 = 0
    }

    let capacity: Int
    let salt: UInt64
    private(set) var counts = Counts()
    /// Per slot: the sequence number it waits for (+1; 0: none), the length sent, and the last event it ended
    /// (+1) and whether that one was answered.
    private let waiting: UnsafeMutablePointer<UInt64>
    private let length: UnsafeMutablePointer<Int32>
    private let lastEnded: UnsafeMutablePointer<UInt64>
    private let lastAnswered: UnsafeMutablePointer<Bool>

    init(capacity: Int, salt: UInt64) {
        self.capacity = capacity
        self.salt = salt
        waiting = .filled(with: 0, count: capacity)
        length = .filled(with: 0, count: capacity)
        lastEnded = .filled(with: 0, count: capacity)
        lastAnswered = .filled(with: false, count: capacity)
    }

    deinit {
        waiting.deallocate()
        length.deallocate()
        lastEnded.deallocate()
        lastAnswered.deallocate()
    }

    /// Writes the tag of event `sequence` in `slot` at `buffer` (`tagBytes` bytes).
    @inline(__always)
    func writeTag(sequence: UInt64, slot: Int32, into buffer: UnsafeMutableRawPointer) {
        buffer.storeBytes(of: sequence.littleEndian, toByteOffset: 0, as: UInt64.self)
        buffer.storeBytes(of: UInt32(bitPattern: slot).littleEndian, toByteOffset: 8, as: UInt32.self)
        buffer.storeBytes(of: check(sequence: sequence, slot: UInt32(bitPattern: slot)).littleEndian, toByteOffset: 12,
                          as: UInt32.self)
    }

    @inline(__always)
    private func check(sequence: UInt64, slot: UInt32) -> UInt32 {
        var state = sequence ^ salt ^ (UInt64(slot) << 32 | UInt64(slot))
        return UInt32(truncatingIfNeeded: NameTemplate.mix(&state))
    }

    /// The event in `slot` went out with `bytes` bytes and waits for its echo.
    @inline(__always)
    func sent(slot: Int32, sequence: UInt64, bytes: Int) {
        waiting[Int(slot)] = sequence &+ 1
        length[Int(slot)] = Int32(bytes)
    }

    /// The event in `slot` ended without an echo (timed out, failed, cancelled): a later echo of it is late.
    @inline(__always)
    func ended(slot: Int32) {
        finish(Int(slot), answered: false)
    }

    private func finish(_ s: Int, answered: Bool) {
        lastEnded[s] = waiting[s]
        lastAnswered[s] = answered
        waiting[s] = 0
    }

    /// What `datagram` is; a match ends the slot's wait (the caller completes the event), anything else is counted.
    func match(_ datagram: UnsafeRawBufferPointer) -> Verdict {
        let verdict = classify(datagram)
        switch verdict {
        case .matched(let slot): finish(Int(slot), answered: true)
        case .duplicate: counts.duplicates &+= 1
        case .late: counts.late &+= 1
        case .truncated: counts.truncated &+= 1
        case .foreign: counts.foreign &+= 1
        }
        return verdict
    }

    /// The slot whose waiting datagram `quote` starts (an ICMP error's copy of what was sent, possibly cut short):
    /// its wait ends unanswered (a later echo of it is late). Nil when the quote names no event still waiting.
    func failed(quoting quote: UnsafeRawBufferPointer) -> Int32? {
        guard case let (slot?, sequence) = tagged(quote), waiting[Int(slot)] == sequence &+ 1 else { return nil }
        finish(Int(slot), answered: false)
        return slot
    }

    /// The slot and sequence number of an intact tag of ours at the start of `bytes` (slot nil when none).
    private func tagged(_ bytes: UnsafeRawBufferPointer) -> (Int32?, UInt64) {
        guard bytes.count >= EchoMatcher.tagBytes else { return (nil, 0) }
        let sequence = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let rawSlot = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        let tagCheck = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        guard Int(rawSlot) < capacity, tagCheck == check(sequence: sequence, slot: rawSlot) else { return (nil, sequence) }
        return (Int32(rawSlot), sequence)
    }

    private func classify(_ datagram: UnsafeRawBufferPointer) -> Verdict {
        guard datagram.count >= EchoMatcher.tagBytes else { return .truncated }
        guard case let (slot?, sequence) = tagged(datagram) else { return .foreign }
        let s = Int(slot)
        if waiting[s] == sequence &+ 1 {
            let sentBytes = Int(length[s])
            if datagram.count == sentBytes { return .matched(slot: slot) }
            return datagram.count < sentBytes ? .truncated : .foreign
        }
        if lastEnded[s] == sequence &+ 1 { return lastAnswered[s] ? .duplicate : .late }
        // An earlier event of this slot: long answered or timed out, either way too late to count.
        return .late
    }
}
