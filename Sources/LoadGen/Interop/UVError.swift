import CUV

/// A negative libuv return code, with libuv's own name and description.
struct UVError: Error, CustomStringConvertible, Equatable {
    let code: Int32

    var name: String { String(cString: uv_err_name(code)) }
    var description: String { "\(String(cString: uv_strerror(code))) (\(name))" }

    var isConnectionRefused: Bool { code == UV_ECONNREFUSED.rawValue }
    var isReset: Bool { code == UV_ECONNRESET.rawValue || code == UV_EPIPE.rawValue }
    var isTimedOut: Bool { code == UV_ETIMEDOUT.rawValue }
    /// The peer reset the connection (RST), as opposed to a write to a connection already shut down (EPIPE).
    var isPeerReset: Bool { code == UV_ECONNRESET.rawValue }
    /// A write to a connection the peer had already shut down.
    var isBrokenPipe: Bool { code == UV_EPIPE.rawValue }

    /// Throws for a negative libuv result; traps for codes that can only be a programming error.
    @discardableResult
    static func check(_ result: Int32, _ what: StaticString) throws(UVError) -> Int32 {
        guard result < 0 else { return result }
        precondition(result != UV_EBADF.rawValue && result != UV_EINVAL.rawValue,
                     "\(what): \(UVError(code: result)) — a programming error")
        throw UVError(code: result)
    }
}
