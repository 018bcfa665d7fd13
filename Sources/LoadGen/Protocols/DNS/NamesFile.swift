/// A query list in dnsperf's datafile format: `name [type]` per line, `#` starts a comment, type defaults to A.
struct DNSQuestion: Sendable, Hashable {
    let name: DNSName
    let type: DNSType
}

enum NamesFile {
    /// Parses the file's text. Throws on the first bad line, naming it.
    static func parse(_ text: String, defaultType: DNSType = .a) throws(NamesFileError) -> [DNSQuestion] {
        var questions: [DNSQuestion] = []
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            guard fields.count <= 2 else {
                throw .badLine(lineNumber, String(rawLine), "expected 'name [type]'")
            }
            do {
                let name = try DNSName(String(fields[0]))
                let type = fields.count == 2 ? try DNSType(String(fields[1])) : defaultType
                questions.append(DNSQuestion(name: name, type: type))
            } catch let error as DNSNameError {
                throw .badLine(lineNumber, String(rawLine), error.description)
            } catch let error as DNSTypeError {
                throw .badLine(lineNumber, String(rawLine), error.description)
            } catch {
                throw .badLine(lineNumber, String(rawLine), "\(error)")
            }
        }
        guard !questions.isEmpty else { throw .noQuestions }
        return questions
    }
}

enum NamesFileError: Error, CustomStringConvertible, Equatable {
    case badLine(Int, String, String)
    case noQuestions

    var description: String {
        switch self {
        case .badLine(let number, let line, let why):
            "line \(number) '\(line.prefix(60))': \(why)"
        case .noQuestions:
            "it has no usable line; write one 'name [type]' per line, e.g. 'www.example.test A'"
        }
    }
}
