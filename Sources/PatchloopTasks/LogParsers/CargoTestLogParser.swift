import Foundation

/// `cargo test` (libtest): `test path::name ... ok`, `... FAILED`, `... ignored` (also
/// `ignored, reason`). Doc-tests appear as `test src/lib.rs - item (line 5) ... ok`.
public struct CargoTestLogParser: TestLogParser {
    public init() {}
    public let name = "cargo"

    public func parse(_ log: String) -> [String: TestStatus] {
        var statuses: [String: TestStatus] = [:]
        for rawLine in LogText.lines(log) {
            let line = LogText.strip(rawLine)
            guard line.hasPrefix("test "), let separator = line.range(of: " ... ", options: .backwards) else { continue }
            let name = String(line[line.index(line.startIndex, offsetBy: 5)..<separator.lowerBound])
            let verdict = line[separator.upperBound...]
            if verdict.hasPrefix("ok") {
                statuses[name] = .passed
            } else if verdict.hasPrefix("FAILED") {
                statuses[name] = .failed
            } else if verdict.hasPrefix("ignored") {
                statuses[name] = .skipped
            }
        }
        return statuses
    }

    /// libtest filters by exact name after `--` (several filters since Rust 1.72).
    public func selecting(_ tests: [String], command: String) -> String? {
        guard !command.contains(" -- ") else { return nil }
        return command + " -- --exact " + tests.map(shellQuote).joined(separator: " ")
    }
}
