import Foundation

/// JUnit XML reports (Maven Surefire, Gradle, pytest `--junitxml`, `go-junit-report`, …)
/// printed into the log, e.g. by a test command ending in `; cat build/test-results/*.xml`.
///
/// Each `<testcase classname="C" name="N">` becomes the id `C.N` (or `N` without a class):
/// PASSED, or FAILED with a `<failure>`, ERROR with an `<error>`, SKIPPED with a `<skipped>`.
/// Anything around the XML in the log is ignored.
public struct JUnitXMLLogParser: TestLogParser {
    public init() {}
    public let name = "junit_xml"

    private static let testCase = try? NSRegularExpression(
        pattern: #"<testcase\b([^>]*?)(?:/>|>(.*?)</testcase\s*>)"#, options: [.dotMatchesLineSeparators])
    private static let attribute = try? NSRegularExpression(pattern: #"([A-Za-z_:][-\w:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)')"#)

    public func parse(_ log: String) -> [String: TestStatus] {
        guard let testCase = JUnitXMLLogParser.testCase, let attribute = JUnitXMLLogParser.attribute else { return [:] }
        var statuses: [String: TestStatus] = [:]
        for match in testCase.matches(in: log, range: NSRange(log.startIndex..., in: log)) {
            guard let attributesRange = Range(match.range(at: 1), in: log) else { continue }
            let attributesText = String(log[attributesRange])
            var attributes: [String: String] = [:]
            for pair in attribute.matches(in: attributesText, range: NSRange(attributesText.startIndex..., in: attributesText)) {
                guard let key = Range(pair.range(at: 1), in: attributesText) else { continue }
                let value = Range(pair.range(at: 2), in: attributesText) ?? Range(pair.range(at: 3), in: attributesText)
                attributes[String(attributesText[key])] = value.map { JUnitXMLLogParser.unescape(String(attributesText[$0])) } ?? ""
            }
            guard let name = attributes["name"] else { continue }
            let className = attributes["classname"] ?? attributes["class"] ?? ""
            let body = Range(match.range(at: 2), in: log).map { log[$0] } ?? ""
            let status: TestStatus
            if body.contains("<failure") {
                status = .failed
            } else if body.contains("<error") {
                status = .error
            } else if body.contains("<skipped") {
                status = .skipped
            } else {
                status = .passed
            }
            statuses[className.isEmpty ? name : "\(className).\(name)"] = status
        }
        return statuses
    }

    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    public func selecting(_ tests: [String], command: String) -> String? { nil }
}
