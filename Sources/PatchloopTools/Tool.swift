import Foundation
import PatchloopCore
import PatchloopWorkspace

/// What a tool call produced: text for the model plus facts for the trajectory
/// (exit code, duration, truncation, files touched, test counts…).
public struct Observation: Sendable {
    public var text: String
    /// The call failed (bad arguments, missing file, …); the text says why.
    public var isError: Bool
    public var facts: [String: JSONValue]
    /// The call ends the attempt (`submit`).
    public var endsAttempt: Bool

    public init(text: String, isError: Bool = false, facts: [String: JSONValue] = [:], endsAttempt: Bool = false) {
        self.text = text
        self.isError = isError
        self.facts = facts
        self.endsAttempt = endsAttempt
    }

    public static func error(_ text: String, facts: [String: JSONValue] = [:]) -> Observation {
        Observation(text: "Error: " + text, isError: true, facts: facts)
    }
}

/// One action the model can take. Bad arguments come back as an error observation
/// that says what was wrong; a tool never throws and never crashes the loop.
public protocol Tool: Sendable {
    var name: String { get }
    var description: String { get }
    /// JSON Schema of the arguments (an object schema).
    var parameters: JSONValue { get }
    func run(arguments: ToolArguments, context: ToolContext) async -> Observation
}

extension Tool {
    public var spec: ToolSpec { ToolSpec(name: name, description: description, parameters: parameters) }
}

/// How `run_tests` reaches the task's tests; the evaluation layer provides it, so the
/// tools know nothing of test commands or log formats.
public protocol TestSuite: Sendable {
    /// Runs the whole suite (empty `tests`) or only the named tests, in `worktree`.
    func run(tests: [String], in worktree: String) async throws -> TestRunReport
}

/// The result of one test run, parsed.
public struct TestRunReport: Sendable {
    public var passed: [String]
    public var failed: [String]
    public var skipped: [String]
    public var exitCode: Int32?
    public var timedOut: Bool
    public var duration: Double
    /// The raw log (already capped by the process runner).
    public var output: String
    /// When only some tests could be selected, a note on what ran instead.
    public var note: String?

    public init(
        passed: [String], failed: [String], skipped: [String] = [], exitCode: Int32?, timedOut: Bool,
        duration: Double, output: String, note: String? = nil
    ) {
        self.passed = passed
        self.failed = failed
        self.skipped = skipped
        self.exitCode = exitCode
        self.timedOut = timedOut
        self.duration = duration
        self.output = output
        self.note = note
    }

    /// Everything ran and passed: the command succeeded and the log shows no failure.
    public var allPassed: Bool { exitCode == 0 && !timedOut && failed.isEmpty && !passed.isEmpty }
}

/// What every tool call can reach: the worktree, its path guard, a process runner and
/// the task's test suite.
public struct ToolContext: Sendable {
    public var worktree: String
    public var confinement: PathConfinement
    public var runner: ProcessRunner
    public var testSuite: (any TestSuite)?
    /// Use ripgrep for `search` when installed (turn off to test the fallback).
    public var preferRipgrep: Bool
    /// git for the worktree by name (never by discovery through its `.git` file), when
    /// it is a Patchloop sandbox; the search fallback lists files with it.
    public var git: WorktreeGit?

    public init(
        worktree: String, testSuite: (any TestSuite)?, runner: ProcessRunner = ProcessRunner(), preferRipgrep: Bool = true,
        git: WorktreeGit? = nil
    ) {
        self.worktree = worktree
        self.confinement = PathConfinement(root: worktree)
        self.runner = runner
        self.testSuite = testSuite
        self.preferRipgrep = preferRipgrep
        self.git = git
    }
}

/// A tool call's arguments, with typed accessors that explain what is wrong.
public struct ToolArguments: Sendable {
    public var values: [String: JSONValue]

    public init(_ values: [String: JSONValue]) {
        self.values = values
    }

    public func requiredString(_ key: String) throws -> String {
        guard let value = values[key], !value.isNull else { throw ArgumentError("missing required argument '\(key)'") }
        guard let text = value.stringValue else { throw ArgumentError("argument '\(key)' must be a string") }
        return text
    }

    public func optionalString(_ key: String) throws -> String? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw ArgumentError("argument '\(key)' must be a string") }
        return text
    }

    public func optionalInt(_ key: String) throws -> Int? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let number = value.intValue else { throw ArgumentError("argument '\(key)' must be an integer") }
        return number
    }

    public func optionalBool(_ key: String) throws -> Bool? {
        guard let value = values[key], !value.isNull else { return nil }
        if let flag = value.boolValue { return flag }
        if let text = value.stringValue?.lowercased(), text == "true" || text == "false" { return text == "true" }
        throw ArgumentError("argument '\(key)' must be true or false")
    }

    public func optionalStringList(_ key: String) throws -> [String]? {
        guard let value = values[key], !value.isNull else { return nil }
        if let single = value.stringValue { return [single] }
        guard let list = value.arrayValue else { throw ArgumentError("argument '\(key)' must be a list of strings") }
        return try list.map {
            guard let text = $0.stringValue else { throw ArgumentError("argument '\(key)' must be a list of strings") }
            return text
        }
    }
}

/// A tool argument that is missing or of the wrong type.
public struct ArgumentError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
