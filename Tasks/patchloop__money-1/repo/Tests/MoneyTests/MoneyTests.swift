import XCTest
@testable import Money

final class MoneyTests: XCTestCase {
    func usd(_ cents: Int) -> Money { Money(minorUnits: cents, currency: .usd) }

    func testFormatsWithGrouping() {
        XCTAssertEqual(usd(123456).formatted(), "$1,234.56")
        XCTAssertEqual(usd(100_000_000_00).formatted(), "$100,000,000.00")
        XCTAssertEqual(usd(5).formatted(), "$0.05")
        XCTAssertEqual(usd(0).formatted(), "$0.00")
    }

    func testFormatsNegativeAmounts() {
        XCTAssertEqual(usd(-123456).formatted(), "-$1,234.56")
        XCTAssertEqual(usd(-100).formatted(), "-$1.00")
    }

    func testCustomSeparators() {
        let eur = Money(minorUnits: 123456789, currency: .eur)
        XCTAssertEqual(eur.formatted(groupingSeparator: ".", decimalSeparator: ","), "€1.234.567,89")
    }

    func testCurrenciesWithoutOrWithMoreMinorDigits() {
        XCTAssertEqual(Money(minorUnits: 1500000, currency: .jpy).formatted(), "¥1,500,000")
        XCTAssertEqual(Money(minorUnits: 12345, currency: .bhd).formatted(), "BD 12.345")
    }

    func testDescriptionUsesFormatted() {
        XCTAssertEqual("\(usd(250))", "$2.50")
    }

    func testParse() throws {
        XCTAssertEqual(try Money.parse("1,234.56", currency: .usd), usd(123456))
        XCTAssertEqual(try Money.parse("12.5", currency: .usd), usd(1250))
        XCTAssertEqual(try Money.parse("7", currency: .usd), usd(700))
        XCTAssertEqual(try Money.parse("-3.20", currency: .usd), usd(-320))
        XCTAssertEqual(try Money.parse("0.007", currency: .bhd), Money(minorUnits: 7, currency: .bhd))
    }

    func testParseRejectsGarbage() {
        for text in ["", "-", "abc", "1.234", "1.", "1.2.3", "1.-5"] {
            XCTAssertThrowsError(try Money.parse(text, currency: .usd), "accepted \(text)")
        }
    }

    func testArithmetic() throws {
        XCTAssertEqual(try usd(150).adding(usd(275)), usd(425))
        XCTAssertEqual(try usd(150).subtracting(usd(275)), usd(-125))
        XCTAssertThrowsError(try usd(1).adding(Money(minorUnits: 1, currency: .eur)))
        XCTAssertTrue(usd(-5) < usd(3))
    }

    func testAllocateKeepsEveryCent() {
        XCTAssertEqual(usd(100).allocate([1, 1, 1]), [usd(34), usd(33), usd(33)])
        XCTAssertEqual(usd(5).allocate([3, 7]), [usd(2), usd(3)])
        XCTAssertEqual(usd(-100).allocate([1, 1, 1]), [usd(-34), usd(-33), usd(-33)])
        XCTAssertEqual(usd(10).allocate([0, 1]), [usd(0), usd(10)])
    }
}
