import Foundation
import PatchloopCore
import PatchloopEval
import PatchloopTasks

/// How a repository's tests run, and how their output is read.
public struct DetectedTestCommand: Sendable, Hashable, Codable {
    /// `swift`, `pytest`, `cargo`, `go`, `npm`, `make` or `custom`.
    public var kind: String
    /// The shell command line, run from the repository root.
    public var command: String
    /// The log parser (`TestLogParsers`), or nil when only the exit status can tell.
    public var parserName: String?
    /// Why this command, in words (what was found where).
    public var reason: String

    public init(kind: String, command: String, parserName: String?, reason: String) {
        self.kind = kind
        self.command = command
        self.parserName = parserName
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case kind, command, parserName = "parser", reason
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(command, forKey: .command)
        try container.encode(parserName, forKey: .parserName)
        try container.encode(reason, forKey: .reason)
    }
}

/// Finds how to run a repository's tests from the files at its root, in this order:
/// `Package.swift` → `swift test`; `pyproject.toml`, `setup.cfg`, `pytest.ini` or a `tests/`
/// folder of Python files → pytest; `Cargo.toml` → `cargo test`; `go.mod` → `go test`;
/// `package.json` with a test script → `npm test`; a Makefile with a `test` target → `make test`.
public enum TestCommandDetector {
    /// The first kind of test setup found at `root`, or nil.
    public static func detect(root: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> DetectedTestCommand? {
        let found = candidates(root: root, environment: environment)
        guard var chosen = found.first else { return nil }
        if found.count > 1 {
            chosen.reason += " (also found: " + found.dropFirst().map { "\($0.reason) → \($0.command)" }.joined(separator: "; ") + ")"
        }
        return chosen
    }

    /// What `--test-cmd` gives: the parser is the one named, or guessed from the command.
    public static func custom(_ command: String, parser: String?) -> DetectedTestCommand {
        let guessed: String?
        if let parser {
            guessed = parser == "exit-status" ? nil : parser
        } else if command.contains("pytest") {
            guessed = "pytest"
        } else if command.contains("swift test") {
            guessed = "swift"
        } else if command.contains("cargo test") {
            guessed = "cargo"
        } else if command.contains("go test") {
            guessed = "gotest"
        } else {
            guessed = "tap"
        }
        return DetectedTestCommand(kind: "custom", command: command, parserName: guessed, reason: "given with --test-cmd")
    }

    /// Every test setup found at `root`, in the order of preference.
    static func candidates(root: String, environment: [String: String]) -> [DetectedTestCommand] {
        let files = FileManager.default
        func exists(_ name: String) -> Bool { files.fileExists(atPath: root + "/" + name) }
        var found: [DetectedTestCommand] = []
        if exists("Package.swift") {
            found.append(DetectedTestCommand(kind: "swift", command: "swift test", parserName: "swift", reason: "Package.swift at the repository root"))
        }
        if let marker = ["pyproject.toml", "setup.cfg", "pytest.ini"].first(where: exists) {
            found.append(pytest(reason: "\(marker) at the repository root"))
        } else if hasPythonTests(root + "/tests") {
            found.append(pytest(reason: "a tests/ folder of Python files"))
        }
        if exists("Cargo.toml") {
            found.append(
                DetectedTestCommand(
                    kind: "cargo", command: rustupPrefix(environment) + "cargo test", parserName: "cargo", reason: "Cargo.toml at the repository root"))
        }
        if exists("go.mod") {
            found.append(
                DetectedTestCommand(kind: "go", command: "go test -v ./...", parserName: "gotest", reason: "go.mod at the repository root (-v for per-test results)"))
        }
        if let script = npmTestScript(root + "/package.json") {
            found.append(
                DetectedTestCommand(
                    kind: "npm", command: "npm test", parserName: "tap", reason: "package.json with a test script (\(ProgressText.abbreviate(script, 60)))"))
        }
        if let makefile = ["GNUmakefile", "makefile", "Makefile"].first(where: { hasTestTarget(root + "/" + $0) }) {
            found.append(DetectedTestCommand(kind: "make", command: "make test", parserName: "tap", reason: "\(makefile) with a test target"))
        }
        return found
    }

    static func pytest(reason: String) -> DetectedTestCommand {
        DetectedTestCommand(kind: "pytest", command: "python3 -m pytest -rA", parserName: "pytest", reason: reason)
    }

    /// A `tests/` folder with Python files in it (a C project's tests/ is not pytest's).
    static func hasPythonTests(_ directory: String) -> Bool {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return false }
        var seen = 0
        while let entry = enumerator.nextObject() as? String, seen < 2000 {
            seen += 1
            if entry.hasSuffix(".py") { return true }
        }
        return false
    }

    /// The `scripts.test` of a package.json, unless it is npm's placeholder that only fails.
    static func npmTestScript(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path), let document = try? JSONValue.parse(data),
            let script = document["scripts"]?["test"]?.stringValue, !script.trimmingCharacters(in: .whitespaces).isEmpty,
            !script.contains("no test specified")
        else { return nil }
        return script
    }

    /// A rule whose target list names `test` (`test:`, `check test:`), not a variable (`test := …`).
    static func hasTestTarget(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let first = line.first, first != "\t", first != "#", let colon = line.firstIndex(of: ":") else { continue }
            let after = line[line.index(after: colon)...]
            if after.hasPrefix("=") { continue }
            let targets = line[..<colon].split(whereSeparator: { $0 == " " || $0 == "\t" })
            if targets.contains("test") && !line[..<colon].contains("=") { return true }
        }
        return false
    }

    /// rustup finds its toolchains under $HOME/.rustup, and tests run with HOME in a private /tmp.
    static func rustupPrefix(_ environment: [String: String]) -> String {
        guard environment["RUSTUP_HOME"] == nil, let home = environment["HOME"],
            FileManager.default.fileExists(atPath: home + "/.rustup")
        else { return "" }
        return "RUSTUP_HOME=" + shellQuote(home + "/.rustup") + " "
    }
}

/// Short text for one-line messages.
enum ProgressText {
    static func abbreviate(_ text: String, _ limit: Int) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count > limit ? String(flat.prefix(limit - 1)) + "…" : flat
    }
}
