import Foundation
import PatchloopCore
import PatchloopTasks
import PatchloopWorkspace

/// One procedural bug: a small diff to one non-test source file.
public struct BugCandidate: Sendable, Hashable {
    /// The file the diff changes, relative to the repository root.
    public var file: String
    /// `flip_comparison`, `swap_bool_op`, `off_by_one`, `negate_if`, `drop_early_return`, `swap_call_args`.
    public var operatorName: String
    /// The innermost function holding the change.
    public var function: String
    /// The 1-based line of the change.
    public var line: Int
    /// A unified diff (`git apply` takes it) from HEAD to the bug.
    public var diff: String
    /// Whether the changed file still compiles (Python: `compile()`, as `py_compile` does, in the sandbox).
    public var compiles: Bool

    public init(file: String, operatorName: String, function: String, line: Int, diff: String, compiles: Bool) {
        self.file = file
        self.operatorName = operatorName
        self.function = function
        self.line = line
        self.diff = diff
        self.compiles = compiles
    }
}

/// Makes Python bug candidates with a small helper script run by `python3` under the
/// suite's isolation: tokens (`tokenize`) and the syntax tree (`ast`), never text
/// matching, so strings and comments are never changed.
public enum PythonBugCandidates {
    /// Whether a path names a Python source file that is not a test (test files hold the proof, never the bug).
    public static func isSourceFile(_ path: String) -> Bool {
        guard path.hasSuffix(".py") else { return false }
        let parts = path.split(separator: "/").map(String.init)
        let name = parts.last ?? ""
        if name == "conftest.py" || name == "setup.py" || name.hasPrefix("test_") || name.hasSuffix("_test.py") || name == "tests.py" { return false }
        let testFolders: Set<String> = ["test", "tests", "testing", "docs", "doc", "examples", "benchmarks"]
        return !parts.dropLast().contains { testFolders.contains($0) }
    }

    /// The candidates of `files` (relative to `worktree`), in the helper's order.
    public static func candidates(
        files: [String], in worktree: String, isolation: CommandIsolation, runner: ProcessRunner = ProcessRunner()
    ) async throws -> (candidates: [BugCandidate], skipped: [String: String]) {
        guard !files.isEmpty else { return ([], [:]) }
        var spec = isolation.spec(
            command: "python3 - " + files.map(shellQuote).joined(separator: " "), worktree: worktree,
            environment: TaskTestSuite.environment(), timeout: 600, outputLimit: .large)
        spec.mergeStandardError = false
        spec.standardInput = Data(helperScript.utf8)
        let outcome = try await runner.run(spec)
        guard outcome.succeeded else {
            throw SynthError(
                .infrastructure,
                "the Python candidate generator failed (exit \(outcome.exitCode.map(String.init) ?? "?")): "
                    + String(outcome.standardError.text.suffix(1500)))
        }
        var found: [BugCandidate] = []
        var skipped: [String: String] = [:]
        for line in outcome.standardOutput.text.split(separator: "\n") {
            guard let document = try? JSONValue.parse(Data(line.utf8)), let file = document["file"]?.stringValue else { continue }
            if let reason = document["skipped"]?.stringValue {
                skipped[file] = reason
                continue
            }
            guard let operatorName = document["operator"]?.stringValue, let diff = document["diff"]?.stringValue else { continue }
            found.append(
                BugCandidate(
                    file: file, operatorName: operatorName, function: document["function"]?.stringValue ?? "",
                    line: Int(document["line"]?.doubleValue ?? 0), diff: diff, compiles: document["compiles"]?.boolValue ?? false))
        }
        return (found, skipped)
    }

    /// The generator: file paths as arguments, one JSON object per candidate on stdout.
    static let helperScript = #"""
# Patchloop task synthesis: procedural bug candidates for Python files.
# Reads file paths (relative to the current folder) from argv, prints one JSON object
# per candidate: file, operator, function, line, diff, compiles. Only code inside
# functions is changed; strings and comments are never touched (tokens and AST only).
import ast, difflib, io, json, re, sys, tokenize

FLIP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
DECIMAL = re.compile(r"0|[1-9][0-9]*")


def functions(tree):
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            spans.append((node.lineno, node.end_lineno, node.name))
    return spans


def enclosing(spans, line):
    best = None
    for start, end, name in spans:
        if start <= line <= end and (best is None or start >= best[0]):
            best = (start, end, name)
    return best[2] if best else None


def candidates(path, source):
    tree = ast.parse(source)
    spans = functions(tree)
    lines = source.splitlines(keepends=True)
    starts = [0]
    for text in lines:
        starts.append(starts[-1] + len(text))

    def offset(line, column):  # column in characters
        return starts[line - 1] + column

    def char_column(line, byte_column):  # ast columns are UTF-8 bytes
        return len(lines[line - 1].encode("utf-8")[:byte_column].decode("utf-8", errors="ignore"))

    def node_span(node):
        return (offset(node.lineno, char_column(node.lineno, node.col_offset)),
                offset(node.end_lineno, char_column(node.end_lineno, node.end_col_offset)))

    found = []

    def add(operator, line, edits):
        function = enclosing(spans, line)
        if function is None:
            return
        found.append((operator, function, line, edits))

    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        (line, column), (end_line, end_column) = token.start, token.end
        span = (offset(line, column), offset(end_line, end_column))
        if token.type == tokenize.OP and token.string in FLIP:
            add("flip_comparison", line, [(span, FLIP[token.string])])
        elif token.type == tokenize.NAME and token.string in ("and", "or"):
            add("swap_bool_op", line, [(span, "or" if token.string == "and" else "and")])
        elif token.type == tokenize.NUMBER and DECIMAL.fullmatch(token.string):
            value = int(token.string)
            add("off_by_one", line, [(span, str(value + 1))])
            if value > 0:
                add("off_by_one", line, [(span, str(value - 1))])

    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            start, end = node_span(node.test)
            add("negate_if", node.lineno, [((start, start), "not ("), ((end, end), ")")])
        elif isinstance(node, ast.Return):
            parent = parents.get(node)
            # An early return: the body of an `if` inside a function that goes on after it.
            if isinstance(parent, ast.If) and node in parent.body:
                add("drop_early_return", node.lineno, [(node_span(node), "pass")])
        elif isinstance(node, ast.Call) and len(node.args) >= 2:
            first, second = node.args[0], node.args[1]
            if isinstance(first, ast.Starred) or isinstance(second, ast.Starred):
                continue
            a, b = node_span(first), node_span(second)
            if source[a[0]:a[1]] == source[b[0]:b[1]] or a[1] > b[0]:
                continue
            add("swap_call_args", node.lineno, [(a, source[b[0]:b[1]]), (b, source[a[0]:a[1]])])

    seen = set()
    for operator, function, line, edits in found:
        text = source
        for (start, end), replacement in sorted(edits, key=lambda edit: edit[0], reverse=True):
            text = text[:start] + replacement + text[end:]
        if text == source or text in seen:
            continue
        seen.add(text)
        try:
            compile(text, path, "exec")
            compiles = True
        except (SyntaxError, ValueError):
            compiles = False
        diff = "".join(difflib.unified_diff(source.splitlines(keepends=True), text.splitlines(keepends=True),
                                            "a/" + path, "b/" + path, n=3))
        yield {"file": path, "operator": operator, "function": function, "line": line,
               "diff": "diff --git a/%s b/%s\n" % (path, path) + diff, "compiles": compiles}


def main():
    for path in sys.argv[1:]:
        try:
            with open(path, encoding="utf-8") as handle:
                source = handle.read()
            if not source.endswith("\n"):
                continue
            for candidate in candidates(path, source):
                print(json.dumps(candidate))
        except (SyntaxError, UnicodeDecodeError, ValueError, tokenize.TokenError) as error:
            print(json.dumps({"file": path, "skipped": str(error)}))


main()
"""#
}
