import CAres
import CLoadGenSys

/// c-ares allocates through the loop threads' block pool (`block_pool.c`), as nghttp2 does: a query costs three
/// to five small blocks, and a tick's burst of dozens of queries outran glibc's per-thread cache. Installed once,
/// before the first channel: every c-ares allocation of the process then comes from the pool and goes back to it.
enum AresMemory {
    private static let installed: Bool = ares_library_init_mem(ARES_LIB_INIT_ALL, CLoadGenSys_ares_malloc,
                                                                 CLoadGenSys_ares_free, CLoadGenSys_ares_realloc) == ARES_SUCCESS

    /// Installs the hooks (once; thread-safe). Call before any other c-ares function.
    static func install() {
        precondition(installed, "ares_library_init_mem failed")
    }
}
