/// An ISO 4217 currency with its display symbol and number of minor-unit digits.
public struct Currency: Hashable, Sendable {
    public let code: String
    public let symbol: String
    /// Digits after the decimal separator: 2 for USD, 0 for JPY, 3 for BHD.
    public let minorDigits: Int

    public init(code: String, symbol: String, minorDigits: Int) {
        precondition((0...4).contains(minorDigits), "unsupported number of minor digits")
        self.code = code
        self.symbol = symbol
        self.minorDigits = minorDigits
    }

    /// 10^minorDigits, the number of minor units in one major unit.
    public var scale: Int {
        var s = 1
        for _ in 0..<minorDigits { s *= 10 }
        return s
    }

    public static let usd = Currency(code: "USD", symbol: "$", minorDigits: 2)
    public static let eur = Currency(code: "EUR", symbol: "€", minorDigits: 2)
    public static let jpy = Currency(code: "JPY", symbol: "¥", minorDigits: 0)
    public static let bhd = Currency(code: "BHD", symbol: "BD ", minorDigits: 3)
}
