import Foundation
import PatchloopCore
import PatchloopEval
import PatchloopTasks
import PatchloopTesting
import Testing

/// Real SWE-bench Lite logs (`../shared/data/swebench_logs`) with the statuses SWE-bench
/// 5.0.2's own parsers give: ours must give the same status for every test id, and our
/// grading the same verdict. Serialized, and parsed off the cooperative pool: 54 logs
/// parsed at once would starve the timing-sensitive tests that run beside them.
@Suite("Log parsers against SWE-bench on real logs", .enabled(if: SWEbenchData.available), .serialized)
struct SWEbenchLogParityTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var log: String
        var instanceID: String
        var parser: String
        var statuses: [String: String]
        var resolved: Bool
        var testDescription: String { log }
    }

    static let cases: [Case] = {
        guard let data = FileManager.default.contents(atPath: SWEbenchData.logs + "/expected.json"),
            let document = try? JSONValue.parse(data), let entries = document.arrayValue
        else { return [] }
        return entries.compactMap { entry in
            guard let log = entry["log"]?.stringValue, let id = entry["instance_id"]?.stringValue,
                let parser = entry["log_parser"]?.stringValue, let statuses = entry["statuses"]?.objectValue
            else { return nil }
            return Case(
                log: log, instanceID: id, parser: parser, statuses: statuses.compactMapValues(\.stringValue),
                resolved: entry["resolved"]?.boolValue ?? false)
        }
    }()

    static func ourParser(for swebenchName: String) -> (any TestLogParser)? {
        let names = ["parse_log_sympy": "sympy", "parse_log_pytest": "pytest", "parse_log_django": "django"]
        return names[swebenchName].flatMap(TestLogParsers.named)
    }

    /// The text between SWE-bench's markers, as its grader reads it.
    static func testOutput(_ log: String) -> String {
        guard let start = log.range(of: ">>>>> Start Test Output"), let end = log.range(of: ">>>>> End Test Output", range: start.upperBound..<log.endIndex)
        else { return log }
        return String(log[start.upperBound..<end.lowerBound])
    }

    @Test("every log of the data set is covered", .enabled(if: SWEbenchData.available))
    func coverage() {
        #expect(Self.cases.count >= 50)
        #expect(Set(Self.cases.map(\.parser)) == ["parse_log_sympy", "parse_log_pytest"])
    }

    @Test("same status for every test id, and the same resolved verdict", arguments: cases)
    func sameStatuses(_ testCase: Case) async throws {
        let parser = try #require(Self.ourParser(for: testCase.parser))
        let path = SWEbenchData.logs + "/" + testCase.log
        let ours = try await onDedicatedThread { parser.parse(Self.testOutput(try String(contentsOfFile: path, encoding: .utf8))) }
        for (test, status) in testCase.statuses {
            if let known = TestStatus(rawValue: status) {
                #expect(ours[test] == known, "\(test): SWE-bench says \(status)")
            } else {
                // A word that is not a status (`ERROR:`): graded as not passed by both.
                #expect(ours[test] == nil, "\(test): SWE-bench says \(status)")
            }
        }
        let extra = Set(ours.keys).subtracting(testCase.statuses.keys)
        #expect(extra.isEmpty, "ids SWE-bench does not report: \(extra.sorted())")

        // The 3.8 MB data set is parsed once, off the cooperative pool (see onDedicatedThread).
        let instanceID = testCase.instanceID
        let instance = try #require(try await onDedicatedThread { SWEbenchData.liteInstances[instanceID] })
        let failToPass = try TaskStore.testList(instance["FAIL_TO_PASS"], key: "FAIL_TO_PASS", where_: "lite")
        let passToPass = try TaskStore.testList(instance["PASS_TO_PASS"], key: "PASS_TO_PASS", where_: "lite")
        let f2p = Scorer.grade(failToPass, statuses: ours, skippedPasses: false)
        let p2p = Scorer.grade(passToPass, statuses: ours, skippedPasses: true)
        let resolution = Scorer.resolution(failToPass: f2p, passToPass: p2p, totals: (failToPass.count, passToPass.count))
        #expect((resolution == .full) == testCase.resolved, "F2P failing \(f2p.failure), P2P failing \(p2p.failure)")
    }
}

/// Where the shared benchmark data lives (beside the repository), when it is there.
enum SWEbenchData {
    static let root = URL(fileURLWithPath: PackageLocation.root + "/../shared/data").standardizedFileURL.path
    static let logs = root + "/swebench_logs"
    static let lite = root + "/swebench_lite/swe-bench-lite.json"
    /// The data is beside the checkout (as CI lays it out); in CI a missing copy is a
    /// failure, not a skip, so these checks cannot pass silently.
    static var available: Bool {
        FileManager.default.fileExists(atPath: logs + "/expected.json") || ProcessInfo.processInfo.environment["CI"] == "true"
    }

    static let liteInstances: [String: JSONValue] = {
        guard let data = FileManager.default.contents(atPath: lite), let rows = (try? JSONValue.parse(data))?.arrayValue else { return [:] }
        var byID: [String: JSONValue] = [:]
        for row in rows { if let id = row["instance_id"]?.stringValue { byID[id] = row } }
        return byID
    }()
}
