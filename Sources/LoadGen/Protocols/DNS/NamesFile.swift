/// A query list in dnsperf's datafile format: `name [type]` per line, `#` starts a comment, type defaults to A.
struct DNSQuestion: Sendable, Hashable {
    /// The name, or for a template its longest expansion (which passed the length checks).
    let name: DNSName
    let type: DNSType
    /// Set when the name has placeholders ({seq}, {thread}, {rand}, {rand:N}).
    var template: NameTemplate?

    init(name: DNSName, type: DNSType, template: NameTemplate? = nil) {
        self.name = name
        self.type = type
        self.template = template
    }

    /// A question from text that may hold placeholders; every expansion must be a valid name.
    static func parsing(_ text: String, type: DNSType, salt: UInt64) throws -> DNSQuestion {
        guard let template = try NameTemplate(text, salt: salt) else {
            return DNSQuestion(name: try DNSName(text), type: type)
        }
        _ = try DNSName(template.expandToString(sequence: 0, thread: 0))
        return DNSQuestion(name: try DNSName(template.longestExample), type: type, template: template)
    }
}

enum NamesFile {
    /// Parses the file's text. Throws on the first bad line, naming it.
    static func parse(_ text: String, defaultType: DNSType = .a, salt: UInt64 = 0) throws(NamesFileError) -> [DNSQuestion] {
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
                let type = fields.count == 2 ? try DNSType(String(fields[1])) : defaultType
                questions.append(try DNSQuestion.parsing(String(fields[0]), type: type, salt: salt))
            } catch let error as NameTemplateError {
                throw .badLine(lineNumber, String(rawLine), error.description)
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
