import Foundation
import Glibc

/// The test venv `make setup` creates (.venv at the package root): independent readers from PyPI.
enum PythonVenv {
    static var python: String {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        return root.appendingPathComponent(".venv/bin/python3").path
    }

    /// The venv's python; throws (failing the test, never skipping it) when `make setup` has not made it.
    static func requirePython() throws -> String {
        guard access(python, X_OK) == 0 else {
            throw FixtureError("no \(python): run `make setup`, which creates the venv with hdrhistogram and kubernetes-validate")
        }
        return python
    }

    /// A file next to this one in Fixtures/.
    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(name).path
    }
}
