import Foundation

/// `cargo test`: libtest's `test path::name ... ok|FAILED|ignored` lines.
///
/// Minimal, for `patchloop solve` on Rust repositories.
public struct CargoTestLogParser: TestLogParser {
    public init() {}
    public let name = "cargo"

    public func parse(_ log: String) -> [String: TestStatus] {
        var statuses: [String: TestStatus] = [:]
        for rawLine in log.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard line.hasPrefix("test "), let separator = line.range(of: " ... ", options: .backwards) else { continue }
            let identifier = String(line[line.index(line.startIndex, offsetBy: 5)..<separator.lowerBound])
            let verdict = line[separator.upperBound...]
            if verdict.hasPrefix("ok") {
                statuses[identifier] = .passed
            } else if verdict.hasPrefix("FAILED") {
                statuses[identifier] = .failed
            } else if verdict.hasPrefix("ignored") {
                statuses[identifier] = .skipped
            }
        }
        return statuses
    }

    public func selecting(_ tests: [String], command: String) -> String? {
        // libtest takes one name filter; several tests need the whole suite.
        guard tests.count == 1, let test = tests.first else { return nil }
        return command + " -- --exact " + shellQuote(test)
    }
}
