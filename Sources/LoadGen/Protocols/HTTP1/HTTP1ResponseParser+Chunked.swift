extension HTTP1ResponseParser {
    mutating func beginChunkLine() {
        state = .chunkSize
        index = 0
        remaining = 0
        lineBytes = 0
    }

    /// Parses chunk-size lines and the CRLF after chunk data from `start`, until chunk data or the trailer
    /// section begins or the input ends. Returns the index after the last byte consumed.
    mutating func parseChunkFraming(
        _ p: UnsafeRawPointer, from start: Int, to end: Int
    ) throws(ParseError) -> Int {
        let maxLine = limits.maxChunkLineBytes
        var i = start
        while i < end {
            let b = Self.byte(p, i)
            i &+= 1
            switch state {
            case .chunkDataEnd:
                if b == Byte.cr {
                    state = .chunkDataLF
                } else if b == Byte.lf {
                    beginChunkLine()
                } else {
                    throw .badChunk
                }
                continue
            case .chunkDataLF:
                guard b == Byte.lf else { throw .badChunk }
                beginChunkLine()
                continue
            default:
                break
            }
            lineBytes &+= 1
            if lineBytes > maxLine { throw .lineTooLong }
            var lineEnded = false
            switch state {
            case .chunkSize:
                let digit = Self.hexValue(b)
                if digit < 16 {
                    guard remaining >> 60 == 0 else { throw .badChunk }
                    remaining = remaining << 4 | UInt64(digit)
                    index &+= 1
                } else if index == 0 {
                    throw .badChunk
                } else if b == Byte.sp || b == Byte.ht {
                    state = .chunkSizeSpace
                } else if b == Byte.semicolon {
                    state = .chunkExtension
                } else if b == Byte.cr {
                    state = .chunkSizeLF
                } else if b == Byte.lf {
                    lineEnded = true
                } else {
                    throw .badChunk
                }
            case .chunkSizeSpace:
                if b == Byte.semicolon {
                    state = .chunkExtension
                } else if b == Byte.cr {
                    state = .chunkSizeLF
                } else if b == Byte.lf {
                    lineEnded = true
                } else if b != Byte.sp && b != Byte.ht {
                    throw .badChunk
                }
            case .chunkExtension:
                if b == Byte.cr {
                    state = .chunkSizeLF
                } else if b == Byte.lf {
                    lineEnded = true
                } else if !Self.isFieldByte(b) {
                    throw .badChunk
                }
            case .chunkSizeLF:
                guard b == Byte.lf else { throw .badChunk }
                lineEnded = true
            default:
                preconditionFailure("HTTP1ResponseParser: not a chunk-framing state: \(state)")
            }
            if lineEnded {
                if remaining == 0 {
                    // The last chunk: trailer lines, then the empty line.
                    inTrailers = true
                    sectionBytes = 0
                    lineBytes = 0
                    previousKind = .none
                    state = .lineStart
                } else {
                    state = .chunkData
                }
                return i
            }
        }
        return i
    }
}
