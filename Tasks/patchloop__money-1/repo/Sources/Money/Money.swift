public enum MoneyError: Error, Equatable {
    case currencyMismatch(Currency, Currency)
    case invalidAmount(String)
}

/// An exact amount of money in a single currency.
public struct Money: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let minorUnits: Int
    public let currency: Currency

    public init(minorUnits: Int, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    public static func zero(_ currency: Currency) -> Money {
        Money(minorUnits: 0, currency: currency)
    }

    public var isNegative: Bool { minorUnits < 0 }

    // MARK: Arithmetic

    public func adding(_ other: Money) throws -> Money {
        guard other.currency == currency else { throw MoneyError.currencyMismatch(currency, other.currency) }
        return Money(minorUnits: minorUnits + other.minorUnits, currency: currency)
    }

    public func subtracting(_ other: Money) throws -> Money {
        guard other.currency == currency else { throw MoneyError.currencyMismatch(currency, other.currency) }
        return Money(minorUnits: minorUnits - other.minorUnits, currency: currency)
    }

    public static func < (lhs: Money, rhs: Money) -> Bool {
        precondition(lhs.currency == rhs.currency, "cannot compare \(lhs.currency.code) with \(rhs.currency.code)")
        return lhs.minorUnits < rhs.minorUnits
    }

    /// Splits the amount in proportion to `ratios` without losing a single minor unit.
    /// Leftover units go to the first shares, one each.
    public func allocate(_ ratios: [Int]) -> [Money] {
        precondition(!ratios.isEmpty && ratios.allSatisfy { $0 >= 0 }, "ratios must be non-negative")
        let total = ratios.reduce(0, +)
        precondition(total > 0, "ratios must not all be zero")
        var shares = ratios.map { minorUnits * $0 / total }
        var remainder = minorUnits - shares.reduce(0, +)
        let step = remainder < 0 ? -1 : 1
        var i = 0
        while remainder != 0 {
            if ratios[i % ratios.count] > 0 {
                shares[i % ratios.count] += step
                remainder -= step
            }
            i += 1
        }
        return shares.map { Money(minorUnits: $0, currency: currency) }
    }

    // MARK: Formatting

    /// Formats the amount like `-$1,234.56`, with the sign in front of the symbol.
    public func formatted(groupingSeparator: String = ",", decimalSeparator: String = ".") -> String {
        let scale = currency.scale
        let major = minorUnits / scale
        let minor = abs(minorUnits % scale)
        var digits = String(abs(major))
        var grouped = ""
        while digits.count > 3 {
            grouped = groupingSeparator + String(digits.suffix(3)) + grouped
            digits.removeLast(3)
        }
        grouped = digits + grouped
        let sign = major < 0 ? "-" : ""
        guard currency.minorDigits > 0 else { return sign + currency.symbol + grouped }
        var fraction = String(minor)
        while fraction.count < currency.minorDigits { fraction = "0" + fraction }
        return sign + currency.symbol + grouped + decimalSeparator + fraction
    }

    public var description: String { formatted() }

    // MARK: Parsing

    /// Parses a plain decimal amount such as `"1234.5"`, `"-0.99"` or `"1,000"`.
    /// Grouping commas are ignored; more fraction digits than the currency has are rejected.
    public static func parse(_ text: String, currency: Currency) throws -> Money {
        let cleaned = text.filter { $0 != "," && $0 != " " }
        let parts = cleaned.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let majorText = parts.first, !majorText.isEmpty, majorText != "-",
              let major = Int(majorText) else {
            throw MoneyError.invalidAmount(text)
        }
        var minor = 0
        if parts.count == 2 {
            let fractionText = parts[1]
            guard !fractionText.isEmpty, fractionText.count <= currency.minorDigits,
                  fractionText.allSatisfy({ $0.isASCII && $0.isNumber }), let f = Int(fractionText) else {
                throw MoneyError.invalidAmount(text)
            }
            minor = f
            for _ in fractionText.count..<currency.minorDigits { minor *= 10 }
        }
        let units = major * currency.scale + (major < 0 ? -minor : minor)
        return Money(minorUnits: units, currency: currency)
    }
}
