import Foundation // HTTPURL uses its String.range(of:)

/// HTTPURL on any text: it parses or throws, and what it accepts prints back as a URL that parses to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPURL(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let text = String(decoding: input.rest(), as: UTF8.self)
    let url: HTTPURL
    do {
        url = try HTTPURL(parsing: text)
    } catch {
        _ = error.description
        return 0
    }
    fuzzCheck(url.port >= 1 && url.target.hasPrefix("/") && !url.host.isEmpty, "accepted \(text) as \(url)")
    fuzzCheck(url.target.utf8.allSatisfy { $0 > 0x20 && $0 != 0x7F }, "control byte in the target of \(text)")
    let again = try? HTTPURL(parsing: url.description)
    fuzzCheck(again == url, "\(text) prints as \(url.description), which parses to \(String(describing: again))")
    _ = url.hostIsLiteral
    return 0
}
