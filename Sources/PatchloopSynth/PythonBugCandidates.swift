import Foundation
import PatchloopCore
import PatchloopTasks
import PatchloopWorkspace

/// One procedural bug: a small diff to one non-test source file.
public struct BugCandidate: Sendable, Hashable {
    /// The file the diff changes, relative to the repository root.
    public var file: String
    /// `flip_comparison`, `swap_bool_op`, `off_by_one`, `slice_bound`, `range_bound`, `negate_if`, `drop_else`,
    /// `drop_early_return`, `drop_guard`, `swap_call_args`, `change_default`, `drop_state_update`; C's
    /// `change_constant` in place of `change_default` (C has no default values).
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

    def text_of(node):
        start, end = node_span(node)
        return source[start:end]

    def shifted(node, delta):
        # `n + 1`, `(a - b) - 1`: an atom keeps its form, anything else gets parentheses.
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return str(node.value + delta)
        text = text_of(node)
        if not isinstance(node, (ast.Name, ast.Constant, ast.Attribute, ast.Call, ast.Subscript)):
            text = "(" + text + ")"
        return text + (" + 1" if delta > 0 else " - 1")

    def line_span(first, last):  # whole lines first..last (1-based), newline included
        return (starts[first - 1], starts[last])

    def indent_of(line):
        text = lines[line - 1]
        return text[:len(text) - len(text.lstrip())]

    def statement_to_pass(node):
        # The statement's own lines become `pass` at its indentation; only when it is alone on them.
        first, last = lines[node.lineno - 1], lines[node.end_lineno - 1]
        rest = last[char_column(node.end_lineno, node.end_col_offset):].strip()
        if first[:char_column(node.lineno, node.col_offset)].strip() or (rest and not rest.startswith("#")):
            return None
        return (line_span(node.lineno, node.end_lineno), indent_of(node.lineno) + "pass\n")

    STATE_METHODS = {"append", "extend", "add", "update", "insert", "pop", "popleft", "appendleft", "remove", "discard",
                     "clear", "setdefault", "write", "sort", "reverse"}

    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            start, end = node_span(node.test)
            add("negate_if", node.lineno, [((start, start), "not ("), ((end, end), ")")])
            if node.orelse:
                # Drop the `else:` or `elif …:` branch (and any branch after it).
                branch = node.orelse[0]
                last = max(child.end_lineno for child in node.orelse)
                if isinstance(branch, ast.If) and lines[branch.lineno - 1].lstrip().startswith("elif"):
                    first = branch.lineno
                else:
                    first = None
                    for number in range(branch.lineno, node.body[-1].end_lineno, -1):
                        text = lines[number - 1]
                        if text.lstrip().startswith("else") and indent_of(number) == indent_of(node.lineno):
                            first = number
                            break
                if first is not None and first > node.body[-1].end_lineno:
                    add("drop_else", first, [(line_span(first, last), "")])
            elif len(node.body) == 1 and isinstance(node.body[0], (ast.Raise, ast.Continue, ast.Break)):
                # A guard: `if bad: raise …` (or continue/break) goes entirely.
                replaced = statement_to_pass(node)
                if replaced:
                    add("drop_guard", node.lineno, [replaced])
        elif isinstance(node, ast.Return):
            parent = parents.get(node)
            # An early return: the body of an `if` inside a function that goes on after it.
            if isinstance(parent, ast.If) and node in parent.body:
                add("drop_early_return", node.lineno, [(node_span(node), "pass")])
        elif isinstance(node, ast.Call):
            if len(node.args) >= 2 and not any(isinstance(arg, ast.Starred) for arg in node.args[:2]):
                first, second = node.args[0], node.args[1]
                a, b = node_span(first), node_span(second)
                if source[a[0]:a[1]] != source[b[0]:b[1]] and a[1] <= b[0]:
                    add("swap_call_args", node.lineno, [(a, source[b[0]:b[1]]), (b, source[a[0]:a[1]])])
            if isinstance(node.func, ast.Name) and node.func.id == "range" and 1 <= len(node.args) <= 3 and not node.keywords \
                    and not any(isinstance(arg, ast.Starred) for arg in node.args):
                stop = node.args[0] if len(node.args) == 1 else node.args[1]
                add("range_bound", node.lineno, [(node_span(stop), shifted(stop, +1))])
                if len(node.args) >= 2:
                    add("range_bound", node.lineno, [(node_span(node.args[0]), shifted(node.args[0], +1))])
            if isinstance(parents.get(node), ast.Expr) and isinstance(node.func, ast.Attribute) and node.func.attr in STATE_METHODS:
                replaced = statement_to_pass(parents[node])
                if replaced:
                    add("drop_state_update", node.lineno, [replaced])
        elif isinstance(node, ast.Slice):
            if node.lower is not None:
                add("slice_bound", node.lower.lineno, [(node_span(node.lower), shifted(node.lower, +1))])
            if node.upper is not None:
                add("slice_bound", node.upper.lineno, [(node_span(node.upper), shifted(node.upper, -1))])
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            # State outside the statement's own locals: attributes, items, or a running total (`n += 1`).
            if any(isinstance(target, (ast.Attribute, ast.Subscript)) for target in targets) or isinstance(node, ast.AugAssign):
                if isinstance(node, ast.AnnAssign) and node.value is None:
                    continue
                replaced = statement_to_pass(node)
                if replaced:
                    add("drop_state_update", node.lineno, [replaced])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            positional = node.args.posonlyargs + node.args.args
            pairs = list(zip(positional[len(positional) - len(node.args.defaults):], node.args.defaults))
            pairs += [(arg, default) for arg, default in zip(node.args.kwonlyargs, node.args.kw_defaults) if default is not None]
            for arg, default in pairs:
                if not isinstance(default, ast.Constant):
                    continue
                value = default.value
                if isinstance(value, bool):
                    replacement = "False" if value else "True"
                elif isinstance(value, int):
                    replacement = str(value + 1)
                elif value is None:
                    continue
                elif isinstance(value, str) and value == "":
                    replacement = "' '"
                else:
                    continue
                # Counted in the function whose default it is.
                found.append(("change_default", node.name, default.lineno, [(node_span(default), replacement)]))

    # The top-level statement around each change: compiling it alone (it starts at column 0)
    # tells whether the file still compiles, at a fraction of the cost of the whole file.
    tops = [(starts[(min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])) - 1], starts[node.end_lineno])
            for node in tree.body]
    seen = set()
    for operator, function, line, edits in found:
        text = source
        for (start, end), replacement in sorted(edits, key=lambda edit: edit[0], reverse=True):
            text = text[:start] + replacement + text[end:]
        if text == source or text in seen:
            continue
        seen.add(text)
        low, high = min(edit[0][0] for edit in edits), max(edit[0][1] for edit in edits)
        top = next(((a, b) for a, b in tops if a <= low and high <= b), None)
        if top is None:
            piece = text
        else:
            growth = len(text) - len(source)
            piece = text[top[0]:top[1] + growth]
        try:
            compile(piece, path, "exec", dont_inherit=True)
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
