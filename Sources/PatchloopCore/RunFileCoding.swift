import Foundation

/// How run files (results, summaries, `result.json`, the trajectory's result event) are
/// written and read: `JSONEncoder` with sorted keys and unescaped slashes, `JSONDecoder`,
/// dates as ISO 8601 text with fractional seconds. `JSONValue` stays for open JSON (tool
/// schemas and arguments); typed files go through here.
public enum RunFileCoding {
    /// Indented, sorted keys: the form files on disk take.
    public static func encodePretty<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// One line, sorted keys: the form JSON Lines files take.
    public static func encodeLine<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// `value` as open JSON, to embed in a document that is itself open (a trajectory event).
    public static func jsonValue<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONValue.parse(try encodeLine(value))
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }

    /// A decoding error as a sentence that names the field: `agent.budget.max_steps: expected a
    /// number, found text`, never Foundation's dump of coding paths.
    public static func sentence(for error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
            return text.isEmpty ? "the document" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) has the wrong type (expected \(typeName(type)))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is null (expected \(typeName(type)))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "it is not valid JSON" }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "it cannot be decoded"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "text"
        case is Int.Type, is Int32.Type, is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is [String].Type: return "a list of text"
        default: return type is any Collection.Type ? "a list" : "an object"
        }
    }

    /// `2026-12-02T15:09:20.123Z`.
    public static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    public static func date(_ text: String) -> Date? {
        try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}

/// A coding key made at run time (an instance id as a key).
public struct DynamicCodingKey: CodingKey, Hashable, Sendable {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ string: String) { stringValue = string }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

/// Writes run files so that a crash leaves each complete or absent, never half-written,
/// and never holding a secret the redactor knows.
public enum RunFileWriter {
    /// Writes `text` to `destination` by way of a temporary file beside it and a rename.
    public static func writeAtomically(_ text: String, to destination: String) throws {
        let directory = (destination as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
        let temporary = (directory.isEmpty ? "." : directory) + "/.\((destination as NSString).lastPathComponent).\(UUID().uuidString.prefix(8)).tmp"
        try Redactor.shared.redact(text).write(toFile: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw RunFileError("cannot write \(destination): \(reason)")
        }
    }
}

/// A run file that cannot be written; says which and why.
public struct RunFileError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
