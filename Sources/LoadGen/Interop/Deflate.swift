import CZlib

/// zlib streams (RFC 1950: deflate with zlib's header and Adler-32), as HdrHistogram's compressed encoding wraps
/// its payload. Decompression is bounded: the input comes from files and pipes loadgen did not write, and a few
/// hundred bytes of deflate can claim gigabytes.
enum Deflate {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `bytes` compressed at zlib's default level.
    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var bound = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(bound))
        let rc = bytes.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                compress2(output.baseAddress, &bound, input.baseAddress, uLong(input.count), Z_DEFAULT_COMPRESSION)
            }
        }
        // compressBound is enough by zlib's contract; Z_MEM_ERROR is the only other outcome.
        precondition(rc == Z_OK, "zlib compress2 failed (\(rc)): out of memory")
        out.removeSubrange(Int(bound)...)
        return out
    }

    /// The bytes of one zlib stream, which must end exactly at the end of `bytes`; throws when the stream is
    /// damaged, truncated, followed by more bytes, or would inflate to more than `limit` bytes.
    static func decompress(_ bytes: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard CZlib_inflateInit(&stream) == Z_OK else { throw Failure(description: "zlib could not start (out of memory)") }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var rc = Z_OK
        var overLimit = false
        bytes.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = uInt(input.count)
            while rc == Z_OK {
                let produced = chunk.withUnsafeMutableBufferPointer { buffer -> Int in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = uInt(buffer.count)
                    rc = inflate(&stream, Z_NO_FLUSH)
                    return buffer.count - Int(stream.avail_out)
                }
                if out.count + produced > limit { overLimit = true; return }
                out += chunk[..<produced]
                // No progress with all input used: the stream stops short of its end.
                if rc == Z_OK && produced == 0 && stream.avail_in == 0 { rc = Z_BUF_ERROR }
            }
        }
        if overLimit { throw Failure(description: "the zlib stream inflates to more than \(limit) bytes") }
        switch rc {
        case Z_STREAM_END where stream.avail_in == 0:
            return out
        case Z_STREAM_END:
            throw Failure(description: "\(stream.avail_in) bytes follow the end of the zlib stream")
        case Z_BUF_ERROR:
            throw Failure(description: "the zlib stream is truncated")
        default:
            let message = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
            throw Failure(description: "the zlib stream is damaged: \(message)")
        }
    }
}
