import Foundation

/// Which Python test files import a source module, so a candidate can first run only
/// those: when none of their tests breaks, the candidate is dropped without a full run.
public struct CoveringTests: Sendable {
    /// Test file → the words its `import` and `from` lines name.
    var importsByTestFile: [String: Set<String>]

    /// Reads the tracked test files (`tests/…`, `test_*.py`, `*_test.py`) under `worktree`.
    public init(trackedFiles: [String], worktree: String) {
        var imports: [String: Set<String>] = [:]
        for file in trackedFiles where file.hasSuffix(".py") && !PythonBugCandidates.isSourceFile(file) {
            let name = (file as NSString).lastPathComponent
            guard name.hasPrefix("test") || name.hasSuffix("_test.py") else { continue }
            guard let data = FileManager.default.contents(atPath: worktree + "/" + file) else { continue }
            var words = Set<String>()
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix("import ") || trimmed.hasPrefix("from ") else { continue }
                for word in trimmed.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") }) {
                    words.insert(String(word))
                    for part in word.split(separator: ".") { words.insert(String(part)) }
                }
            }
            imports[file] = words
        }
        importsByTestFile = imports
    }

    /// The test files whose imports name the module of `sourceFile` (`pkg/core.py` → `core`
    /// or `pkg.core`; a package's `__init__.py` → the package), or nil when none or all do
    /// (then only the full suite can tell).
    public func files(covering sourceFile: String) -> [String]? {
        var parts = sourceFile.dropLast(3).split(separator: "/").map(String.init)
        if parts.first == "src" { parts.removeFirst() }
        if parts.last == "__init__" { parts.removeLast() }
        guard let module = parts.last else { return nil }
        let dotted = parts.joined(separator: ".")
        let covering = importsByTestFile.filter { $0.value.contains(module) || $0.value.contains(dotted) }.keys.sorted()
        guard !covering.isEmpty, covering.count < importsByTestFile.count else { return nil }
        return covering
    }
}
