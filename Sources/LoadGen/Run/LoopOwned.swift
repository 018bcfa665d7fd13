/// A value that one loop thread owns and changes on every event (its results, scheduler, connection pool, a
/// connection's response parser), kept in memory of its own instead of as a class's stored property.
///
/// Why: Swift checks exclusive access to a class's stored property at run time (`swift_beginAccess`, a
/// thread-local access set) whenever some access to it in the module spans a call — as
/// `ledger.finish(…, into: &result)` or `pool.takeLane(group:)` do — and then checks every access to it. On the
/// HTTP/1.1 keep-alive path that was about 1,100 of 7,200 user-space instructions per request (callgrind). A
/// worker's state is touched only by its own loop thread, one callback at a time, so those accesses cannot
/// overlap; the owner frees the memory in its `deinit`. Bounds, overflow and precondition checks are untouched.
struct LoopOwned<Value> {
    let pointer: UnsafeMutablePointer<Value>

    init(_ value: Value) {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: value)
    }

    /// Once, from the owner's `deinit`.
    func free() {
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }
}

/// Runs `body` on `value` in place. Reached through a worker's addressor (`pool`, `scheduler`), a non-mutating
/// call copies the whole value first, a retain and a release of each of its arrays; on an inout borrow it does
/// not. For the calls of the per-event path: `inPlace(&pool) { $0.group(ofLane: lane) }`.
@inline(__always)
func inPlace<Value, Result>(_ value: inout Value, _ body: (inout Value) -> Result) -> Result {
    body(&value)
}
