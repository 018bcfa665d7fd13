extension JSONFieldReader {
    /// A parsed JSON value. Integers that fit `Int64` are `.int`; other numbers keep their text.
    indirect enum Value {
        case string(String)
        case int(Int64)
        case number(String)
        case bool(Bool)
        case null
        case object([(String, Value)])
        case array([Value])

        var string: String? {
            if case .string(let s) = self { return s }
            return nil
        }

        var int: Int64? {
            if case .int(let v) = self { return v }
            return nil
        }

        /// A non-negative integer, from a JSON number or a string of decimal digits.
        var unsigned: UInt64? {
            switch self {
            case .int(let v): return v >= 0 ? UInt64(v) : nil
            case .string(let s): return UInt64(s)
            default: return nil
            }
        }

        /// The value as text, for scalars: strings as they are, numbers as written (integers canonical), booleans
        /// `true`/`false`; nil for null, objects and arrays.
        var scalarText: String? {
            switch self {
            case .string(let s): return s
            case .int(let v): return String(v)
            case .number(let text): return text
            case .bool(let b): return b ? "true" : "false"
            case .null, .object, .array: return nil
            }
        }

        /// The member `key` of an object.
        subscript(key: String) -> Value? {
            guard case .object(let members) = self else { return nil }
            return members.first { $0.0 == key }?.1
        }
    }
}
