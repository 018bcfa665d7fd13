/// A problem with a file `loadgen verify` reads: it names the file and, when it can, the line (exit 2; exit 1 when
/// the events log holds nothing to verify against).
struct VerifyInputError: Error, CustomStringConvertible, Equatable {
    var file: String
    var line: Int?
    var message: String
    var exitCode: Int32 = 2

    /// An events log with no event the format joins: with no ground truth nothing can pass (exit 1).
    static func noGroundTruth(file: String, _ message: String) -> VerifyInputError {
        var error = VerifyInputError(file: file, message)
        error.exitCode = 1
        return error
    }

    init(file: String, line: Int? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}

extension JSONFieldReader {
    /// `forEachObject`, with syntax errors (and errors `body` throws) reported against `file`.
    static func forEachObject(in bytes: UnsafeBufferPointer<UInt8>, paths: Paths, file: String,
                              _ body: (Int, [Value?]) throws -> Void) throws(VerifyInputError) {
        do {
            try forEachObject(in: bytes, paths: paths, body)
        } catch let error as VerifyInputError {
            throw error
        } catch let error as SyntaxError {
            throw VerifyInputError(file: file, line: error.line, error.message)
        } catch {
            throw VerifyInputError(file: file, "\(error)")
        }
    }
}
