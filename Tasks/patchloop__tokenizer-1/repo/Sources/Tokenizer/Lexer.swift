/// Splits source text into tokens.
public struct Lexer {
    private let chars: [Character]
    private var index = 0
    private var line = 1
    private var column = 1

    static let twoCharOperators: Set<String> = ["==", "!=", "<=", ">=", "&&", "||", "->"]
    static let oneCharOperators: Set<Character> = ["+", "-", "*", "/", "%", "<", ">", "=", "!"]
    static let punctuation: Set<Character> = ["(", ")", "{", "}", "[", "]", ",", ";", ":", "."]

    public init(_ source: String) {
        chars = Array(source)
    }

    /// Tokenizes the whole source. The last token is always `.eof`.
    public static func tokenize(_ source: String) throws -> [Token] {
        var lexer = Lexer(source)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .eof { return tokens }
        }
    }

    private var location: SourceLocation { SourceLocation(line: line, column: column) }

    private func peek(_ offset: Int = 0) -> Character? {
        let i = index + offset
        return i < chars.count ? chars[i] : nil
    }

    @discardableResult
    private mutating func advance() -> Character {
        let c = chars[index]
        index += 1
        if c == "\n" {
            line += 1
            column = 0
        } else {
            column += 1
        }
        return c
    }

    private mutating func skipTrivia() throws {
        while let c = peek() {
            if c.isWhitespace {
                advance()
            } else if c == "/" && peek(1) == "/" {
                while let d = peek(), d != "\n" { advance() }
            } else if c == "/" && peek(1) == "*" {
                let start = location
                advance(); advance()
                while !(peek() == "*" && peek(1) == "/") {
                    if peek() == nil { throw LexError(message: "unterminated comment", location: start) }
                    advance()
                }
                advance(); advance()
            } else {
                return
            }
        }
    }

    public mutating func next() throws -> Token {
        try skipTrivia()
        let start = location
        guard let c = peek() else { return Token(.eof, "", at: start) }

        if c.isLetter || c == "_" {
            var text = ""
            while let d = peek(), d.isLetter || d.isNumber || d == "_" { text.append(advance()) }
            return Token(.identifier, text, at: start)
        }
        if c.isASCII && c.isNumber {
            return lexNumber(at: start)
        }
        if c == "\"" {
            return try lexString(at: start)
        }
        if let d = peek(1), Lexer.twoCharOperators.contains(String([c, d])) {
            advance(); advance()
            return Token(.op, String([c, d]), at: start)
        }
        if Lexer.oneCharOperators.contains(c) {
            advance()
            return Token(.op, String(c), at: start)
        }
        if Lexer.punctuation.contains(c) {
            advance()
            return Token(.punctuation, String(c), at: start)
        }
        throw LexError(message: "unexpected character '\(c)'", location: start)
    }

    private mutating func lexNumber(at start: SourceLocation) -> Token {
        var text = ""
        while let d = peek(), d.isASCII && d.isNumber { text.append(advance()) }
        if peek() == ".", let d = peek(1), d.isASCII && d.isNumber {
            text.append(advance())
            while let d = peek(), d.isASCII && d.isNumber { text.append(advance()) }
            return Token(.float, text, at: start)
        }
        return Token(.integer, text, at: start)
    }

    private mutating func lexString(at start: SourceLocation) throws -> Token {
        advance()  // opening quote
        var value = ""
        while true {
            guard let c = peek(), c != "\n" else {
                throw LexError(message: "unterminated string literal", location: start)
            }
            advance()
            if c == "\"" { return Token(.string, value, at: start) }
            if c == "\\" {
                guard let e = peek(), e != "\n" else { continue }
                advance()
                switch e {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "\"": value.append("\"")
                case "\\": value.append("\\")
                default:
                    throw LexError(message: "unknown escape sequence '\\\(e)'", location: start)
                }
            } else {
                value.append(c)
            }
        }
    }
}
