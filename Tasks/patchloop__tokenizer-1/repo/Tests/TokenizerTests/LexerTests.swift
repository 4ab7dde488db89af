import XCTest
@testable import Tokenizer

final class LexerTests: XCTestCase {
    private func kinds(_ source: String) throws -> [TokenKind] {
        try Lexer.tokenize(source).map(\.kind)
    }

    private func texts(_ source: String) throws -> [String] {
        try Lexer.tokenize(source).dropLast().map(\.text)
    }

    func testEmptySourceIsJustEOF() throws {
        let tokens = try Lexer.tokenize("")
        XCTAssertEqual(tokens, [Token(.eof, "", at: SourceLocation(line: 1, column: 1))])
    }

    func testIdentifiersAndNumbers() throws {
        XCTAssertEqual(try kinds("foo _bar9 42 3.14"), [.identifier, .identifier, .integer, .float, .eof])
        XCTAssertEqual(try texts("foo _bar9 42 3.14"), ["foo", "_bar9", "42", "3.14"])
    }

    func testMemberAccessIsNotAFloat() throws {
        XCTAssertEqual(try texts("a.b 1.x"), ["a", ".", "b", "1", ".", "x"])
    }

    func testOperatorsPreferLongestMatch() throws {
        XCTAssertEqual(try texts("a<=b==c->d!e"), ["a", "<=", "b", "==", "c", "->", "d", "!", "e"])
        XCTAssertEqual(try texts("x && y || !z"), ["x", "&&", "y", "||", "!", "z"])
    }

    func testPunctuation() throws {
        XCTAssertEqual(try kinds("f(a, b);"), [.identifier, .punctuation, .identifier, .punctuation,
                                              .identifier, .punctuation, .punctuation, .eof])
    }

    func testStringEscapes() throws {
        let tokens = try Lexer.tokenize(#""a\"b\\c\n""#)
        XCTAssertEqual(tokens.first?.kind, .string)
        XCTAssertEqual(tokens.first?.text, "a\"b\\c\n")
    }

    func testCommentsAreSkipped() throws {
        XCTAssertEqual(try texts("a /* b */ c // d"), ["a", "c"])
    }

    func testColumnsOnFirstLine() throws {
        let tokens = try Lexer.tokenize("let x = 4.5 * (y + 1)")
        XCTAssertEqual(tokens.map(\.location.column), [1, 5, 7, 9, 13, 15, 16, 18, 20, 21, 22])
        XCTAssertTrue(tokens.allSatisfy { $0.location.line == 1 })
    }

    func testLineNumbers() throws {
        let tokens = try Lexer.tokenize("a\nb\n\nc")
        XCTAssertEqual(tokens.map(\.location.line), [1, 2, 4, 4])
    }

    func testUnexpectedCharacter() {
        XCTAssertThrowsError(try Lexer.tokenize("a @ b")) { error in
            XCTAssertEqual(error as? LexError,
                           LexError(message: "unexpected character '@'", location: SourceLocation(line: 1, column: 3)))
        }
    }

    func testUnterminatedString() {
        XCTAssertThrowsError(try Lexer.tokenize("x = \"abc")) { error in
            XCTAssertEqual((error as? LexError)?.location, SourceLocation(line: 1, column: 5))
        }
    }

    func testUnicodeIdentifiers() throws {
        XCTAssertEqual(try texts("café = naïve"), ["café", "=", "naïve"])
    }
}
