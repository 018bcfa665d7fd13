import CLoadGenSys

/// The process's file-descriptor budget.
enum ResourceLimits {
    /// Raises the soft RLIMIT_NOFILE to `wanted` when it can; returns the limit now in force.
    /// The corresponding C function is `setrlimit`.
    static func raiseOpenFiles(to wanted: Int) -> Int {
        Int(CLoadGenSys_raise_nofile(Int64(wanted)))
    }
}
