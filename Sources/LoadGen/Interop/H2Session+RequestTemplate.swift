import CNghttp2

extension H2Session {
    /// Header fields built once per target, with stable storage for nghttp2's NO_COPY flags.
    final class RequestTemplate: @unchecked Sendable {
        let fields: UnsafeMutablePointer<nghttp2_nv>
        let count: Int
        let body: UnsafeRawBufferPointer
        /// Bytes of the header list as RFC 7541 counts them (name + value + 32 per field): HPACK's input.
        let uncompressedBytes: Int
        private let storage: UnsafeMutableRawBufferPointer
        /// Field values with placeholders, by field index; expanded per request into `scratch`.
        private let valueTemplates: [(Int, NameTemplate)]
        private let scratchFields: UnsafeMutablePointer<nghttp2_nv>
        private let scratch: UnsafeMutablePointer<UInt8>
        /// The fields a request may replace (`submit`'s `path` and `body`): `:path` and `content-length`.
        private let pathIndex: Int?
        private let contentLengthIndex: Int?
        private let digits = UnsafeMutablePointer<UInt8>.allocate(capacity: 20)

        /// True when some field value has placeholders.
        var isTemplated: Bool { !valueTemplates.isEmpty }

        init(fields pairs: [(String, String)], body: [UInt8], salt: UInt64 = 0) throws(NameTemplateError) {
            var templates: [(Int, NameTemplate)] = []
            for (i, pair) in pairs.enumerated() {
                if let template = try NameTemplate(pair.1, salt: salt) { templates.append((i, template)) }
            }
            valueTemplates = templates
            pathIndex = pairs.firstIndex { $0.0 == ":path" }
            contentLengthIndex = pairs.firstIndex { $0.0 == "content-length" }
            scratchFields = .allocate(capacity: max(1, pairs.count))
            scratch = .allocate(capacity: max(1, templates.reduce(0) { $0 + $1.1.maxLength }))
            let names = pairs.map { Array($0.0.utf8) }, values = pairs.map { Array($0.1.utf8) }
            let total = names.reduce(0) { $0 + $1.count } + values.reduce(0) { $0 + $1.count } + body.count
            storage = .allocate(byteCount: max(1, total), alignment: 8)
            fields = .allocate(capacity: pairs.count)
            count = pairs.count
            var offset = 0
            var uncompressed = 0
            for i in pairs.indices {
                let name = storage.baseAddress! + offset
                storage.baseAddress!.advanced(by: offset).copyMemory(from: names[i], byteCount: names[i].count)
                offset += names[i].count
                let value = storage.baseAddress! + offset
                storage.baseAddress!.advanced(by: offset).copyMemory(from: values[i], byteCount: values[i].count)
                offset += values[i].count
                fields[i] = nghttp2_nv(name: name.assumingMemoryBound(to: UInt8.self),
                                       value: value.assumingMemoryBound(to: UInt8.self),
                                       namelen: names[i].count, valuelen: values[i].count,
                                       flags: UInt8(NGHTTP2_NV_FLAG_NO_COPY_NAME.rawValue | NGHTTP2_NV_FLAG_NO_COPY_VALUE.rawValue))
                uncompressed += names[i].count + values[i].count + 32
            }
            let bodyStart = storage.baseAddress! + offset
            bodyStart.copyMemory(from: body, byteCount: body.count)
            self.body = UnsafeRawBufferPointer(start: bodyStart, count: body.count)
            uncompressedBytes = uncompressed
        }

        deinit {
            fields.deallocate()
            storage.deallocate()
            scratchFields.deallocate()
            scratch.deallocate()
            digits.deallocate()
        }

        /// The fields for one request: the prebuilt ones, or with placeholders expanded (copied by nghttp2).
        func fields(sequence: UInt64, thread: Int) -> UnsafePointer<nghttp2_nv> {
            guard !valueTemplates.isEmpty else { return UnsafePointer(fields) }
            scratchFields.update(from: fields, count: count)
            var offset = 0
            for (index, template) in valueTemplates {
                let n = template.expand(sequence: sequence, thread: thread, into: scratch + offset)
                scratchFields[index].value = scratch + offset
                scratchFields[index].valuelen = n
                scratchFields[index].flags = UInt8(NGHTTP2_NV_FLAG_NO_COPY_NAME.rawValue)
                offset += n
            }
            return UnsafePointer(scratchFields)
        }

        /// The fields with a request's own `:path` and its own body's `content-length` (copied by nghttp2).
        func fields(path: UnsafeRawBufferPointer?, bodyLength: Int?) -> UnsafePointer<nghttp2_nv> {
            scratchFields.update(from: fields, count: count)
            let copyValue = UInt8(NGHTTP2_NV_FLAG_NO_COPY_NAME.rawValue)
            if let path, let pathIndex {
                scratchFields[pathIndex].value = UnsafeMutablePointer(mutating: path.baseAddress!.assumingMemoryBound(to: UInt8.self))
                scratchFields[pathIndex].valuelen = path.count
                scratchFields[pathIndex].flags = copyValue
            }
            if let bodyLength, let contentLengthIndex {
                var n = 0
                var rest = bodyLength
                repeat { n += 1; rest /= 10 } while rest > 0
                rest = bodyLength
                for i in stride(from: n - 1, through: 0, by: -1) {
                    digits[i] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                scratchFields[contentLengthIndex].value = digits
                scratchFields[contentLengthIndex].valuelen = n
                scratchFields[contentLengthIndex].flags = copyValue
            }
            return UnsafePointer(scratchFields)
        }
    }
}
