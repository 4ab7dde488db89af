import Foundation
import PatchloopCore

/// Imports SWE-bench task instances (Lite, Verified, full, and look-alikes such as
/// SWE-Gym or SWE-smith rows) from `.json` (a list, or a dict keyed by instance id) or
/// `.jsonl` files.
///
/// Each row becomes a task folder whose `task.json` keeps the dataset's fields exactly as
/// they are (`FAIL_TO_PASS` stays a JSON-encoded string when it was one) and adds what a
/// local run needs: `repo_path` (the clone `REPOS/owner__name`), `test_cmd` (SWE-bench's
/// command for the repository plus the test files `test_patch` touches), `log_parser`,
/// `language`. The repository is never copied: attempts check out `base_commit` from the clone.
public struct SWEbenchImporter: Sendable {
    /// The folder holding one git clone per repository, named `owner__name`.
    public var repositoriesDirectory: String
    /// Replaces SWE-bench's test command for every row (the directives are still appended).
    public var testCommandOverride: String?
    /// Replaces the log parser for every row.
    public var logParserOverride: String?
    /// Seconds one test run may take.
    public var timeout: Double
    /// Which `environment` rows get (SWE-bench's spec as a venv where it translates, its images, or none).
    public var environments: RepositoryEnvironmentSpecs.Kind

    public init(
        repositoriesDirectory: String, testCommandOverride: String? = nil, logParserOverride: String? = nil, timeout: Double = 1800,
        environments: RepositoryEnvironmentSpecs.Kind = .venv
    ) {
        self.repositoriesDirectory = URL(fileURLWithPath: repositoriesDirectory).standardizedFileURL.path
        self.testCommandOverride = testCommandOverride
        self.logParserOverride = logParserOverride
        self.timeout = timeout
        self.environments = environments
    }

    /// Reads every row of `path` and makes its task; any bad row fails the whole import
    /// with every problem listed (nothing is half-imported).
    public func importTasks(from path: String) throws -> [ImportedTask] {
        let rows = try SWEbenchImporter.readRows(path)
        var tasks: [ImportedTask] = []
        var problems: [String] = []
        for (where_, row) in rows {
            do {
                tasks.append(try task(from: row, where_: "\(path) \(where_)"))
            } catch let error as TaskImportError {
                problems.append(error.description)
            }
        }
        if !problems.isEmpty {
            let shown = problems.prefix(10).joined(separator: "\n  ")
            throw TaskImportError("\(problems.count) of \(rows.count) rows cannot be imported, so nothing was:\n  \(shown)\(problems.count > 10 ? "\n  …" : "")")
        }
        return tasks
    }

    /// The rows of a `.jsonl`, or of a `.json` list or dict, each with where it was (`line 3`, `item 2`).
    public static func readRows(_ path: String) throws -> [(String, JSONValue)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TaskImportError("\(path) cannot be read: give a SWE-bench .json or .jsonl file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw TaskImportError("\(path) is not UTF-8 text") }
        let trimmed = text.drop(while: { $0.isWhitespace })
        if trimmed.hasPrefix("[") || (trimmed.hasPrefix("{") && !path.hasSuffix(".jsonl")) {
            let document: JSONValue
            do {
                document = try JSONValue.parse(text)
            } catch {
                throw TaskImportError("\(path) is not valid JSON (\(error)); a .json file holds a list of instances or a dict keyed by instance id")
            }
            if let items = document.arrayValue {
                return items.enumerated().map { ("item \($0.offset + 1)", $0.element) }
            }
            if let object = document.objectValue {
                // One instance, or instances keyed by id.
                if object["instance_id"] != nil { return [("the instance", document)] }
                return object.keys.sorted().compactMap { key in object[key].map { ("key \(key)", $0) } }
            }
            throw TaskImportError("\(path) must hold a JSON list of instances or a dict keyed by instance id")
        }
        var rows: [(String, JSONValue)] = []
        for (number, line) in LogText.lines(text).enumerated() where !LogText.strip(line).isEmpty {
            do {
                rows.append(("line \(number + 1)", try JSONValue.parse(String(line))))
            } catch {
                throw TaskImportError("\(path) line \(number + 1) is not valid JSON (\(error)); a .jsonl file holds one instance per line")
            }
        }
        return rows
    }

    /// The task for one row.
    public func task(from row: JSONValue, where_: String) throws -> ImportedTask {
        guard var document = row.objectValue else { throw TaskImportError("\(where_): an instance must be a JSON object") }
        func required(_ key: String) throws -> String {
            guard let value = document[key]?.stringValue, !value.isEmpty else {
                throw TaskImportError("\(where_): \(key) is missing or not a string (every SWE-bench instance has one)")
            }
            return value
        }
        let instanceID = try required("instance_id")
        if let problem = SafeName.problem(with: instanceID) {
            throw TaskImportError("\(where_): instance_id \(SafeName.quoted(instanceID)) \(problem)")
        }
        let here = "\(where_) (\(instanceID))"
        let repo = try required("repo")
        let baseCommit = try required("base_commit").lowercased()
        guard (4...64).contains(baseCommit.count), baseCommit.allSatisfy(\.isHexDigit) else {
            throw TaskImportError("\(here): base_commit '\(baseCommit.prefix(80))' is not a commit id (hex digits)")
        }
        guard document["problem_statement"]?.stringValue != nil else { throw TaskImportError("\(here): problem_statement is missing") }
        let failToPass: [String]
        do {
            failToPass = try TaskStore.testList(document["FAIL_TO_PASS"], key: "FAIL_TO_PASS", where_: here)
            _ = try TaskStore.testList(document["PASS_TO_PASS"], key: "PASS_TO_PASS", where_: here)
        } catch let error as TaskLoadError {
            throw TaskImportError(error.description)
        }
        if failToPass.isEmpty {
            throw TaskImportError("\(here): FAIL_TO_PASS is empty — a task needs at least one test that the fix makes pass")
        }
        let testPatch = document["test_patch"]?.stringValue ?? ""
        let goldPatch = document["patch"]?.stringValue ?? ""
        let version = document["version"].flatMap { $0.stringValue ?? $0.doubleValue.map { JSONValue.formatNumber($0) } } ?? ""

        let spec = RepositoryTestSpecs.spec(repo: repo, version: version)
        let logParser = logParserOverride ?? spec.logParser
        guard TestLogParsers.named(logParser) != nil else {
            throw TaskImportError("log parser '\(logParser)' is unknown; known parsers: \(TestLogParsers.names.joined(separator: ", "))")
        }
        let directives = RepositoryTestSpecs.testDirectives(testPatch: testPatch, djangoLabels: spec.usesDjangoLabels)
        if document["environment"] == nil {
            let createdAt = document["created_at"]?.stringValue ?? ""
            if let environment = RepositoryEnvironmentSpecs.environment(
                environments, repo: repo, version: version, instanceID: instanceID, createdAt: createdAt)
            {
                document["environment"] = environment.json
            }
        }
        let inImage = document["environment"]?["image"] != nil
        let extra = testCommandOverride == nil && !inImage ? spec.argumentsOutsideImage : []
        let testCommand = ([testCommandOverride ?? spec.testCommand] + extra + directives).joined(separator: " ")

        document["repo_path"] = .string(repositoriesDirectory + "/" + repo.replacingOccurrences(of: "/", with: "__"))
        document["test_cmd"] = .string(testCommand)
        document["log_parser"] = .string(logParser)
        if document["language"] == nil { document["language"] = "python" }
        if document["timeout"] == nil { document["timeout"] = .number(timeout) }
        if document["hints_text"] == nil { document["hints_text"] = "" }
        return ImportedTask(instanceID: instanceID, document: document, repositoryFiles: nil, goldPatch: goldPatch, testPatch: testPatch)
    }
}
