import Foundation
import PatchloopCore
import PatchloopWorkspace

/// One task: SWE-bench's fields plus what a local run needs (where the repository
/// comes from, the test command, the log format, setup commands, a time limit).
public struct TaskInstance: Sendable, Hashable {
    /// Where the task's repository comes from.
    public enum Source: Sendable, Hashable {
        /// Plain files (a bundled task's `repo/`); Patchloop makes the base commit itself.
        case files(directory: String)
        /// A git repository on disk, at a commit.
        case git(repository: String, commit: String)
    }

    public var instanceID: String
    public var repo: String
    public var problemStatement: String
    public var hintsText: String
    public var createdAt: String
    public var version: String
    public var failToPass: [String]
    public var passToPass: [String]
    public var testCommand: String
    public var logParser: String
    public var language: String
    /// Shell commands run in a fresh sandbox before the agent or the scorer uses it.
    public var setup: [String]
    /// Seconds one test run may take.
    public var testTimeout: Double
    public var goldPatch: String
    public var testPatch: String
    public var source: Source
    /// The task's folder (`Tasks/<instance_id>`), when it has one.
    public var directory: String?
    /// What the tests need besides the repository (an interpreter and packages, or an image).
    public var environment: EnvironmentSpec?
    /// The built environment, once `PatchloopEnvironments` has prepared it.
    public var environmentActivation: EnvironmentActivation?
    /// Why the environment could not be prepared; the task's attempts are then `environment_error`.
    public var environmentFailure: EnvironmentError?

    public init(
        instanceID: String, repo: String, problemStatement: String, hintsText: String = "", createdAt: String = "",
        version: String = "", failToPass: [String], passToPass: [String], testCommand: String, logParser: String,
        language: String, setup: [String] = [], testTimeout: Double = 300, goldPatch: String, testPatch: String,
        source: Source, directory: String? = nil, environment: EnvironmentSpec? = nil
    ) {
        self.instanceID = instanceID
        self.repo = repo
        self.problemStatement = problemStatement
        self.hintsText = hintsText
        self.createdAt = createdAt
        self.version = version
        self.failToPass = failToPass
        self.passToPass = passToPass
        self.testCommand = testCommand
        self.logParser = logParser
        self.language = language
        self.setup = setup
        self.testTimeout = testTimeout
        self.goldPatch = goldPatch
        self.testPatch = testPatch
        self.source = source
        self.directory = directory
        self.environment = environment
    }

    /// The task's fields as `task.json` holds them (without the patches).
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "instance_id": .string(instanceID), "repo": .string(repo), "problem_statement": .string(problemStatement),
            "hints_text": .string(hintsText), "created_at": .string(createdAt), "version": .string(version),
            "FAIL_TO_PASS": .array(failToPass.map { .string($0) }), "PASS_TO_PASS": .array(passToPass.map { .string($0) }),
            "test_cmd": .string(testCommand), "log_parser": .string(logParser), "language": .string(language),
            "setup": .array(setup.map { .string($0) }), "timeout": .number(testTimeout),
        ]
        if let environment { object["environment"] = environment.json }
        return .object(object)
    }
}

/// A task file that cannot be used; the message names the file and what to fix.
public struct TaskLoadError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Reads tasks from disk: a `Tasks/<instance_id>/` folder, or a folder of them.
public enum TaskStore {
    /// The longest test run a task may ask for: one day.
    public static let maxTimeout: Double = 86_400

    /// Loads the task in `path`, or every task in its sub-folders, sorted by id.
    public static func load(_ path: String) throws -> [TaskInstance] {
        let directory = URL(fileURLWithPath: path).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TaskLoadError("\(path) is not a folder: give a task folder (with task.json) or a folder of task folders")
        }
        if FileManager.default.fileExists(atPath: directory + "/task.json") {
            return [try loadTask(directory)]
        }
        let entries = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        let tasks = try entries.filter { FileManager.default.fileExists(atPath: directory + "/" + $0 + "/task.json") }
            .map { try loadTask(directory + "/" + $0) }
        if tasks.isEmpty {
            throw TaskLoadError("\(path) holds no task: a task is a folder with a task.json (see README, 'Task layout')")
        }
        var seen: [String: String] = [:]
        for task in tasks {
            if let other = seen[task.instanceID] {
                throw TaskLoadError("\(other) and \(task.directory ?? "?") both hold instance_id '\(task.instanceID)': ids must be unique")
            }
            seen[task.instanceID] = task.directory ?? "?"
        }
        return tasks.sorted { $0.instanceID < $1.instanceID }
    }

    /// Loads one `Tasks/<instance_id>/` folder.
    public static func loadTask(_ directory: String) throws -> TaskInstance {
        let file = directory + "/task.json"
        let where_ = "task.json in \(directory)"
        let document: JSONValue
        do {
            document = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: file)))
        } catch let error as JSONParseError {
            throw TaskLoadError("\(where_): \(ErrorText.sentence(for: error))")
        } catch {
            throw TaskLoadError("\(where_): cannot be read (\(error.localizedDescription))")
        }
        guard document.objectValue != nil else { throw TaskLoadError("\(where_): must be a JSON object") }

        func string(_ key: String, required: Bool = true) throws -> String {
            guard let value = document[key], !value.isNull else {
                if required { throw TaskLoadError("\(where_): \(key) is missing") }
                return ""
            }
            guard let text = value.stringValue else { throw TaskLoadError("\(where_): \(key) must be a string") }
            return text
        }
        func list(_ key: String) throws -> [String] {
            try testList(document[key], key: key, where_: where_)
        }
        // The patch files, or else the dataset's own fields (`patch`, `test_patch`) in task.json.
        func readPatch(_ name: String, field: String) throws -> String {
            let path = directory + "/" + name
            guard FileManager.default.fileExists(atPath: path) else {
                guard let value = document[field], !value.isNull else { return "" }
                guard let text = value.stringValue else { throw TaskLoadError("\(where_): \(field) must be a string (a unified diff)") }
                return text
            }
            do {
                return try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw TaskLoadError("\(name) in \(directory) cannot be read as UTF-8 text")
            }
        }

        let instanceID = try string("instance_id")
        if let problem = SafeName.problem(with: instanceID) {
            throw TaskLoadError("\(where_): instance_id \(SafeName.quoted(instanceID)) \(problem); an id becomes a file name, so it must be a plain name")
        }
        let failToPass = try list("FAIL_TO_PASS")
        if failToPass.isEmpty {
            throw TaskLoadError("\(where_): FAIL_TO_PASS is empty — a task needs at least one failing test")
        }
        let logParser = try string("log_parser")
        guard TestLogParsers.named(logParser) != nil else {
            throw TaskLoadError("\(where_): log_parser '\(logParser)' is unknown; known parsers: \(TestLogParsers.names.joined(separator: ", "))")
        }
        let repositoryFiles = directory + "/repo"
        let source: TaskInstance.Source
        for key in ["base_commit", "repo_path"] where document[key].map({ !$0.isNull && $0.stringValue == nil }) == true {
            throw TaskLoadError("\(where_): \(key) must be a string")
        }
        if let baseCommit = document["base_commit"]?.stringValue, let clone = document["repo_path"]?.stringValue {
            if let problem = SandboxManager.revisionProblem(baseCommit) {
                throw TaskLoadError("\(where_): base_commit '\(baseCommit.prefix(80))' \(problem)")
            }
            let clonePath = clone.hasPrefix("/") ? clone : directory + "/" + clone
            source = .git(repository: clonePath, commit: baseCommit)
        } else {
            guard FileManager.default.fileExists(atPath: repositoryFiles) else {
                throw TaskLoadError("\(directory) has no repo/ folder (the repository's files at the base state)")
            }
            source = .files(directory: repositoryFiles)
        }
        var setup: [String] = []
        if let value = document["setup"], !value.isNull {
            if let single = value.stringValue {
                setup = [single]
            } else if let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) {
                setup = items.compactMap(\.stringValue)
            } else {
                throw TaskLoadError("\(where_): setup must be a string or a list of strings")
            }
        }
        var timeout = 300.0
        if let value = document["timeout"], !value.isNull {
            guard let seconds = value.doubleValue else {
                throw TaskLoadError("\(where_): timeout must be a number of seconds (e.g. 300), not \(value.encoded())")
            }
            timeout = seconds
        }
        guard timeout > 0, timeout <= TaskStore.maxTimeout else {
            throw TaskLoadError(
                "\(where_): timeout must be seconds above 0 and at most \(Int(TaskStore.maxTimeout)) (one day), not \(timeout)")
        }
        if let version = document["version"], !version.isNull, version.stringValue == nil, version.doubleValue == nil {
            throw TaskLoadError("\(where_): version must be a string or a number, not \(version.encoded())")
        }
        var environment: EnvironmentSpec?
        if let value = document["environment"], !value.isNull {
            environment = try EnvironmentSpec.parse(value, where_: where_)
        }
        let testCommand = try string("test_cmd")
        guard !testCommand.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw TaskLoadError("\(where_): test_cmd is empty — give the shell command that runs the task's tests")
        }
        return TaskInstance(
            instanceID: instanceID,
            repo: try string("repo", required: false).isEmpty ? instanceID : try string("repo", required: false),
            problemStatement: try string("problem_statement"),
            hintsText: try string("hints_text", required: false),
            createdAt: try string("created_at", required: false),
            version: document["version"].flatMap { $0.stringValue ?? ($0.doubleValue.map { String($0) }) } ?? "",
            failToPass: failToPass,
            passToPass: try list("PASS_TO_PASS"),
            testCommand: testCommand,
            logParser: logParser,
            language: try string("language", required: false),
            setup: setup,
            testTimeout: timeout,
            goldPatch: try readPatch("gold.patch", field: "patch"),
            testPatch: try readPatch("test.patch", field: "test_patch"),
            source: source,
            directory: directory,
            environment: environment)
    }

    /// FAIL_TO_PASS / PASS_TO_PASS as a list, or as a JSON-encoded string of one (SWE-bench's HF form).
    public static func testList(_ value: JSONValue?, key: String, where_: String) throws -> [String] {
        guard let value, !value.isNull else { return [] }
        if let items = value.arrayValue {
            guard items.allSatisfy({ $0.stringValue != nil }) else { throw TaskLoadError("\(where_): \(key) must list strings") }
            return items.compactMap(\.stringValue)
        }
        if let text = value.stringValue {
            guard let decoded = try? JSONValue.parse(text), let items = decoded.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                throw TaskLoadError("\(where_): \(key) is a string but not a JSON list of test ids")
            }
            return items.compactMap(\.stringValue)
        }
        throw TaskLoadError("\(where_): \(key) must be a list of test ids")
    }
}
