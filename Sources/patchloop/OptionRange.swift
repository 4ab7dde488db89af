/// Range checks for numeric options, run from `validate()` so that a bad number is a usage
/// error (exit 2, naming the option) before anything starts — never a crash in a later
/// conversion, and never a silent default.
enum OptionRange {
    /// The longest time limit an option or a task may set: one day.
    static let maxSeconds: Double = 86_400

    /// A count between `minimum` and `maximum`.
    static func count(_ value: Int, _ option: String, from minimum: Int = 1, to maximum: Int) throws {
        guard value >= minimum, value <= maximum else {
            throw CLIError("\(option) \(value) is out of range: give a whole number from \(minimum) to \(maximum)")
        }
    }

    /// A number of seconds: above 0 and at most a day.
    static func seconds(_ value: Double, _ option: String) throws {
        guard value > 0, value <= maxSeconds else {
            throw CLIError("\(option) \(value) is out of range: give seconds above 0 and at most \(Int(maxSeconds)) (one day)")
        }
    }

    /// A finite number above `lower` (or from it, when `inclusive`) and at most `upper`.
    static func number(_ value: Double, _ option: String, above lower: Double = 0, inclusive: Bool = false, to upper: Double) throws {
        let aboveLower = inclusive ? value >= lower : value > lower
        guard aboveLower, value <= upper else {
            throw CLIError("\(option) \(value) is out of range: give a number \(inclusive ? "from" : "above") \(lower) and at most \(upper)")
        }
    }

    /// `--workers`: at least 1 (said so in words), at most `maxWorkers`.
    static func workers(_ value: Int) throws {
        guard value > 0 else { throw CLIError("--workers must be at least 1") }
        try count(value, "--workers", to: maxWorkers)
    }

    static let maxWorkers = 256
    static let maxAttempts = 1000
    static let maxTokens = 1_000_000_000_000
    static let maxDollars = 1_000_000.0
}
