extension UnsafeMutablePointer {
    /// Memory for `count` values, each initialised to `value` (per-slot tables made once per run).
    static func filled(with value: Pointee, count: Int) -> UnsafeMutablePointer<Pointee> {
        let pointer = UnsafeMutablePointer<Pointee>.allocate(capacity: count)
        pointer.initialize(repeating: value, count: count)
        return pointer
    }
}
