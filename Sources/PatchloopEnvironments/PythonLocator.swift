import Foundation
import PatchloopTasks
import PatchloopWorkspace

/// A Python interpreter found on this machine.
public struct PythonInterpreter: Sendable, Hashable {
    /// The executable a venv is made from.
    public var path: String
    /// `3.9.18`.
    public var version: String
    /// `sys.base_prefix`: the folder holding its standard library, which a venv keeps using.
    public var basePrefix: String
    /// Where it was found: `PATH`, `pyenv` or `uv`.
    public var source: String

    /// The folders a venv made from it keeps reading: its standard library (`basePrefix`) and
    /// its executable's folder, as named and with links resolved.
    public var folders: [String] {
        let executable = URL(fileURLWithPath: path)
        var folders: [String] = []
        for folder in [basePrefix, executable.deletingLastPathComponent().path, executable.resolvingSymlinksInPath().deletingLastPathComponent().path]
        where !folder.isEmpty && !folders.contains(folder) {
            folders.append(folder)
        }
        return folders
    }
}

/// Finds an interpreter for a version such as `3.9`, never guessing: `python3.9` on
/// `PATH` (pyenv's shims skipped: they answer for whichever version is selected),
/// pyenv's installed versions, then uv's managed Pythons. Each candidate is asked its
/// version before it is used.
public struct PythonLocator: Sendable {
    /// The environment searched (`PATH`, `PYENV_ROOT`, `HOME`, `UV_PYTHON_INSTALL_DIR`).
    public var environment: [String: String]
    public var runner: ProcessRunner

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, runner: ProcessRunner = ProcessRunner()) {
        self.environment = environment
        self.runner = runner
    }

    var home: String { environment["HOME"] ?? NSHomeDirectory() }
    var pyenvRoot: String { environment["PYENV_ROOT"] ?? home + "/.pyenv" }
    var uvRoot: String { environment["UV_PYTHON_INSTALL_DIR"] ?? (environment["XDG_DATA_HOME"] ?? home + "/.local/share") + "/uv/python" }

    /// `python3.9` for `3.9` and `3.9.18`; `python3` for `3`.
    static func executableName(for version: String) -> String {
        let parts = version.split(separator: ".")
        return parts.count >= 2 ? "python\(parts[0]).\(parts[1])" : "python\(version)"
    }

    /// Whether an interpreter of `actual` (`3.9.18`) satisfies the request `wanted` (`3.9`).
    static func matches(_ actual: String, _ wanted: String) -> Bool {
        actual == wanted || actual.hasPrefix(wanted + ".")
    }

    /// Version folder names, newest first (`3.9.18` before `3.9.2`).
    public static func newestFirst(_ names: [String]) -> [String] {
        func numbers(_ name: String) -> [Int] { name.split(separator: ".").map { Int($0.prefix { $0.isNumber }) ?? 0 } }
        return names.sorted { numbers($0).lexicographicallyPrecedes(numbers($1)) }.reversed()
    }

    /// The installed pyenv versions (folder names).
    public func pyenvVersions() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: pyenvRoot + "/versions")) ?? []).sorted()
    }

    /// Candidate executables for `version`, in the order they are tried.
    public func candidates(for version: String) -> [(path: String, source: String)] {
        let name = PythonLocator.executableName(for: version)
        var found: [(String, String)] = []
        for directory in (environment["PATH"] ?? "").split(separator: ":").map(String.init) where !directory.hasSuffix("/shims") {
            let path = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: path) { found.append((path, "PATH")) }
        }
        for folder in PythonLocator.newestFirst(pyenvVersions().filter { PythonLocator.matches($0, version) }) {
            let path = pyenvRoot + "/versions/" + folder + "/bin/" + name
            if FileManager.default.isExecutableFile(atPath: path) { found.append((path, "pyenv")) }
        }
        // uv's folders are named `cpython-3.9.18-linux-x86_64-gnu`.
        let uvFolders = ((try? FileManager.default.contentsOfDirectory(atPath: uvRoot)) ?? []).filter { $0.hasPrefix("cpython-") }
        let byVersion = Dictionary(uvFolders.map { (String($0.dropFirst(8).prefix { $0 != "-" }), $0) }, uniquingKeysWith: { a, _ in a })
        for folderVersion in PythonLocator.newestFirst(byVersion.keys.filter { PythonLocator.matches($0, version) }) {
            if let folder = byVersion[folderVersion] {
                let path = uvRoot + "/" + folder + "/bin/" + name
                if FileManager.default.isExecutableFile(atPath: path) { found.append((path, "uv")) }
            }
        }
        var seen = Set<String>()
        return found.filter { seen.insert(URL(fileURLWithPath: $0.0).resolvingSymlinksInPath().path).inserted }.map { (path: $0.0, source: $0.1) }
    }

    /// The first candidate that says it is `version`; a clear error when none does.
    public func locate(_ version: String) async throws -> PythonInterpreter {
        var refused: [String] = []
        for candidate in candidates(for: version) {
            let probe = "import sys; print('.'.join(map(str, sys.version_info[:3]))); print(sys.base_prefix)"
            let spec = ProcessSpec(
                executable: candidate.path, arguments: ["-c", probe], environment: ProcessEnvironment.allowListed(environment), timeout: 30)
            guard let outcome = try? await runner.run(spec), outcome.succeeded else {
                refused.append("\(candidate.path) does not run")
                continue
            }
            let lines = outcome.standardOutput.text.split(separator: "\n").map(String.init)
            guard lines.count >= 2, PythonLocator.matches(lines[0], version) else {
                refused.append("\(candidate.path) is \(lines.first ?? "?")")
                continue
            }
            return PythonInterpreter(path: candidate.path, version: lines[0], basePrefix: lines[1], source: candidate.source)
        }
        let installed = pyenvVersions()
        var message = "Python \(version) is not installed here: looked for \(PythonLocator.executableName(for: version)) on PATH, "
        message += "in pyenv's versions (\(pyenvRoot)/versions: \(installed.isEmpty ? "none" : installed.joined(separator: ", "))) and in uv's managed Pythons (\(uvRoot))"
        if !refused.isEmpty { message += "; refused: \(refused.joined(separator: "; "))" }
        message += ". Install it with `pyenv install \(version)` or `uv python install \(version)` (or apt-get install python\(version)), then build again"
        throw EnvironmentError(message)
    }
}
