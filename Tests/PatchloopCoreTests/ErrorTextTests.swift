import Foundation
import PatchloopCore
import Testing

@Suite("Errors read as sentences")
struct ErrorTextTests {
    struct OwnError: Error, CustomStringConvertible {
        var description: String { "task.json in Tasks/x: timeout must be a number" }
    }

    @Test("Foundation's file errors say what happened to which file, never a domain and code dump")
    func foundationErrors() throws {
        let full = ErrorText.sentence(for: CocoaError(.fileWriteOutOfSpace, userInfo: [NSFilePathErrorKey: "/runs/r/results/a.json"]))
        #expect(full == "/runs/r/results/a.json: the disk is full")
        let directory = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A real one, as Foundation throws it.
        let missing = directory + "/missing.txt"
        let error = try #require(throws: (any Error).self) { try String(contentsOfFile: missing, encoding: .utf8) }
        let sentence = ErrorText.sentence(for: error)
        #expect(sentence == missing + ": no such file or folder")
        #expect(!sentence.contains("NSCocoaErrorDomain"))
        #expect(!ErrorText.sentence(for: NSError(domain: NSCocoaErrorDomain, code: 640)).contains("Error Domain="))
        #expect(ErrorText.sentence(for: POSIXError(.EACCES)) == "Permission denied")
    }

    @Test("Patchloop's own errors keep their words")
    func ownErrors() {
        #expect(ErrorText.sentence(for: OwnError()) == "task.json in Tasks/x: timeout must be a number")
    }
}

enum TemporaryDirectory {
    static func make() throws -> String {
        let path = NSTemporaryDirectory() + "patchloop-errortext-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
