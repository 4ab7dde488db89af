import Foundation

/// A JSON document as a value: tool schemas, tool-call arguments, trajectory events.
///
/// Object keys keep no order in memory; `encoded()` writes them sorted so that the
/// same value always serialises to the same bytes (stable trajectories, stable prompts
/// for providers' prefix caches).
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

// MARK: - Accessors

extension JSONValue {
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var intValue: Int? {
        switch self {
        case .number(let value) where value.rounded() == value && abs(value) < 9e15: return Int(value)
        case .string(let value): return Int(value)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

// MARK: - Literals

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByFloatLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

// MARK: - Codable

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

// MARK: - Text

/// A failure to read JSON text, with where it went wrong.
public struct JSONParseError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }

    public init(message: String) {
        self.message = message
    }
}

extension JSONValue {
    /// Parses JSON text (an object, array or scalar).
    public static func parse(_ text: String) throws -> JSONValue {
        try parse(Data(text.utf8))
    }

    public static func parse(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { raw in
            try parse(utf8: raw.bindMemory(to: UInt8.self))
        }
    }

    /// Parses UTF-8 JSON text in a buffer (no copy is made).
    public static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        return try parser.parseDocument()
    }

    /// Parses each line of JSON Lines text; a line that does not parse gives its error.
    public static func parseLines(_ data: Data) -> [(line: Int, value: Result<JSONValue, JSONParseError>)] {
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var results: [(Int, Result<JSONValue, JSONParseError>)] = []
            var start = 0
            var lineNumber = 1
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != 0x0A { end += 1 }
                if end > start {
                    let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
                    do {
                        results.append((lineNumber, .success(try parse(utf8: line))))
                    } catch let error as JSONParseError {
                        results.append((lineNumber, .failure(error)))
                    } catch {
                        results.append((lineNumber, .failure(JSONParseError(message: "\(error)"))))
                    }
                }
                start = end + 1
                lineNumber += 1
            }
            return results
        }
    }

    /// Compact JSON text with sorted keys: the same value always gives the same bytes.
    public func encoded() -> String {
        var output = ""
        write(to: &output)
        return output
    }

    /// Indented JSON text with sorted keys, for people.
    public func prettyEncoded(indent: String = "  ") -> String {
        var output = ""
        writePretty(to: &output, level: 0, indent: indent)
        return output
    }

    private func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let value): output += JSONValue.formatNumber(value)
        case .string(let value): JSONValue.writeString(value, to: &output)
        case .array(let values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 { output += "," }
                value.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { output += "," }
                JSONValue.writeString(key, to: &output)
                output += ":"
                members[key]?.write(to: &output)
            }
            output += "}"
        }
    }

    private func writePretty(to output: inout String, level: Int, indent: String) {
        let pad = String(repeating: indent, count: level + 1)
        let closePad = String(repeating: indent, count: level)
        switch self {
        case .array(let values) where !values.isEmpty:
            output += "[\n"
            for (index, value) in values.enumerated() {
                output += pad
                value.writePretty(to: &output, level: level + 1, indent: indent)
                output += index < values.count - 1 ? ",\n" : "\n"
            }
            output += closePad + "]"
        case .object(let members) where !members.isEmpty:
            output += "{\n"
            let keys = members.keys.sorted()
            for (index, key) in keys.enumerated() {
                output += pad
                JSONValue.writeString(key, to: &output)
                output += ": "
                members[key]?.writePretty(to: &output, level: level + 1, indent: indent)
                output += index < keys.count - 1 ? ",\n" : "\n"
            }
            output += closePad + "}"
        default:
            write(to: &output)
        }
    }

    /// A number as JSON writes it: integers without a fraction.
    public static func formatNumber(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value.rounded() == value && abs(value) < 1e15 {
            return String(Int64(value))
        }
        return "\(value)"
    }

    static func writeString(_ value: String, to output: inout String) {
        output += "\""
        // Unescaped runs are copied whole; only the bytes that need it are escaped.
        let utf8 = value.utf8
        var runStart = utf8.startIndex
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            var escape: String?
            var width = 1
            switch byte {
            case 0x22: escape = "\\\""
            case 0x5C: escape = "\\\\"
            case 0x0A: escape = "\\n"
            case 0x0D: escape = "\\r"
            case 0x09: escape = "\\t"
            case 0x08: escape = "\\b"
            case 0x0C: escape = "\\f"
            case 0x00..<0x20: escape = String(format: "\\u%04x", byte)
            case 0xE2:
                // U+2028 and U+2029 (E2 80 A8/A9) break JavaScript readers of JSON Lines.
                let second = utf8.index(after: index)
                if second != utf8.endIndex, utf8[second] == 0x80 {
                    let third = utf8.index(after: second)
                    if third != utf8.endIndex, utf8[third] == 0xA8 || utf8[third] == 0xA9 {
                        escape = utf8[third] == 0xA8 ? "\\u2028" : "\\u2029"
                        width = 3
                    }
                }
            default:
                break
            }
            if let escape {
                output += value[runStart..<index]
                output += escape
                index = utf8.index(index, offsetBy: width)
                runStart = index
            } else {
                index = utf8.index(after: index)
            }
        }
        output += value[runStart..<utf8.endIndex]
        output += "\""
    }
}

extension JSONValue {
    /// Converts any `Encodable` into a `JSONValue` (through JSONEncoder).
    public init<T: Encodable>(encoding value: T) throws {
        let data = try JSONEncoder().encode(value)
        self = try JSONValue.parse(data)
    }

    /// Decodes this value as a `Decodable` type.
    public func decode<T: Decodable>(as type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(encoded().utf8))
    }
}
