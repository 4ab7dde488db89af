/// A position in the source text. Lines and columns are 1-based; columns count characters.
public struct SourceLocation: Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

public enum TokenKind: Equatable, Sendable {
    case identifier
    case integer
    case float
    case string
    case op
    case punctuation
    case eof
}

public struct Token: Equatable, Sendable, CustomStringConvertible {
    public var kind: TokenKind
    /// The token's text. For string literals this is the unescaped value without quotes.
    public var text: String
    public var location: SourceLocation

    public init(_ kind: TokenKind, _ text: String, at location: SourceLocation) {
        self.kind = kind
        self.text = text
        self.location = location
    }

    public var description: String { "\(kind) \"\(text)\" @\(location)" }
}

public struct LexError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var location: SourceLocation

    public var description: String { "\(location): \(message)" }
}
