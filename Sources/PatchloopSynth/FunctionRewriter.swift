import Foundation
import PatchloopCore
import PatchloopModels
import PatchloopTasks
import PatchloopWorkspace

/// A Python function the model may rewrite: its signature and docstring, and what of its file it needs to see.
public struct RewritableFunction: Sendable, Hashable {
    public var file: String
    public var name: String
    /// `Class.method` for a method, else the name.
    public var qualifiedName: String
    /// The 1-based line of `def` (decorators are above it).
    public var line: Int
    /// The decorators, the signature and the docstring, as written in the file.
    public var header: String
    /// The file's imports, the enclosing class's line and the other top-level signatures.
    public var context: String
    /// The body's indentation.
    public var indent: String
}

/// What became of one model rewrite.
public enum RewriteOutcome: Sendable, Equatable {
    /// A candidate that compiles (not yet validated).
    case candidate(BugCandidate)
    /// The new body (or the reply) does not compile.
    case notCompiling
    /// The same code as the original body, once comments and layout are set aside.
    case identical
    /// The reply changes the signature or adds code beside the function.
    case outsideFunction
}

/// SWE-smith's "LM rewrite": the model sees a function's signature and docstring (its body
/// removed) and writes a body; the file with that body is a bug candidate like any other.
///
/// The reply is hostile input: only one fenced code block is taken from it, and a small
/// Python helper, run under the suite's isolation, reads it with `ast` and `compile`
/// (never executing it), splices the body in, and refuses any change outside the body.
public enum FunctionRewriter {
    /// The operator name of rewritten functions in task ids and `synth.json`.
    public static let operatorName = "lm_rewrite"
    /// Longest reply read; a longer one is refused.
    static let replyLimit = 20_000

    /// The functions of `files` (relative to `worktree`) worth a rewrite: a body of 2 to 60 lines on lines of its own.
    public static func functions(
        files: [String], in worktree: String, isolation: CommandIsolation, runner: ProcessRunner = ProcessRunner()
    ) async throws -> [RewritableFunction] {
        guard !files.isEmpty else { return [] }
        let lines = try await runHelper(mode: "functions", arguments: files, input: Data(), worktree: worktree, isolation: isolation, runner: runner)
        return lines.compactMap { document in
            guard let file = document["file"]?.stringValue, let name = document["name"]?.stringValue, let line = document["line"]?.intValue,
                let header = document["header"]?.stringValue
            else { return nil }
            return RewritableFunction(
                file: file, name: name, qualifiedName: document["qualname"]?.stringValue ?? name, line: line, header: header,
                context: document["context"]?.stringValue ?? "", indent: document["indent"]?.stringValue ?? "    ")
        }
    }

    /// The request that asks for a new body: the signature and docstring, the file's context, and a strict reply format.
    public static func request(for function: RewritableFunction) -> ChatRequest {
        let system = "You are an expert Python programmer. You answer with exactly one ```python code block and no other text."
        var user = "This is a function from `\(function.file)` in a Python project; its body has been removed.\n\n"
        if !function.context.isEmpty {
            user += "What the file imports and defines around it:\n\n```python\n\(function.context)\n```\n\n"
        }
        user += "The function:\n\n```python\n\(function.header)\(function.indent)...\n```\n\n"
        user += "Write the body of `\(function.qualifiedName)`. Reply with the complete function — the signature exactly as given, then the body — "
        user += "in one ```python code block. Do not change the signature, and add no imports, classes or other functions."
        return ChatRequest(messages: [.system(system), .user(user)], tools: [], temperature: 0.2)
    }

    /// The code of a reply's one fenced block (```` ```python ```` or a bare fence); nil when there is none, more than one, or the reply is too long.
    public static func code(fromReply reply: String) -> String? {
        guard reply.count <= replyLimit else { return nil }
        var blocks: [String] = []
        var current: [Substring]?
        for line in reply.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let open = current {
                if trimmed == "```" {
                    blocks.append(open.joined(separator: "\n"))
                    current = nil
                } else {
                    current = open + [line]
                }
            } else if trimmed.hasPrefix("```") {
                let language = trimmed.dropFirst(3).trimmingCharacters(in: .whitespaces).lowercased()
                // Another language's block is not a Python body.
                guard ["", "python", "py", "python3"].contains(language) else { return nil }
                current = []
            }
        }
        // An unclosed fence, or several blocks: which one is the body cannot be told.
        guard current == nil, blocks.count == 1, let block = blocks.first,
            !block.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        else { return nil }
        return block + "\n"
    }

    /// Splices each reply's code into its function, in `worktree` (only read), and says what became of it.
    public static func splice(
        _ replies: [(function: RewritableFunction, code: String)], in worktree: String, isolation: CommandIsolation,
        runner: ProcessRunner = ProcessRunner()
    ) async throws -> [RewriteOutcome] {
        guard !replies.isEmpty else { return [] }
        let input = replies.map { reply in
            JSONValue.object(["file": .string(reply.function.file), "line": .number(Double(reply.function.line)), "code": .string(reply.code)]).encoded()
        }.joined(separator: "\n") + "\n"
        let lines = try await runHelper(mode: "splice", arguments: [], input: Data(input.utf8), worktree: worktree, isolation: isolation, runner: runner)
        guard lines.count == replies.count else {
            throw SynthError(.infrastructure, "the Python rewrite helper answered \(lines.count) of \(replies.count) rewrites")
        }
        return zip(replies, lines).map { reply, document in
            switch document["status"]?.stringValue {
            case "ok":
                guard let diff = document["diff"]?.stringValue else { return .notCompiling }
                return .candidate(
                    BugCandidate(
                        file: reply.function.file, operatorName: operatorName, function: reply.function.name, line: reply.function.line, diff: diff,
                        compiles: true))
            case "identical": return .identical
            case "outside": return .outsideFunction
            default: return .notCompiling
            }
        }
    }

    static func runHelper(
        mode: String, arguments: [String], input: Data, worktree: String, isolation: CommandIsolation, runner: ProcessRunner
    ) async throws -> [JSONValue] {
        let command = "python3 -c " + shellQuote(helperScript) + " " + ([mode] + arguments).map(shellQuote).joined(separator: " ")
        var spec = isolation.spec(command: command, worktree: worktree, environment: TaskTestSuite.environment(), timeout: 600, outputLimit: .large)
        spec.mergeStandardError = false
        spec.standardInput = input
        let outcome = try await runner.run(spec)
        guard outcome.succeeded else {
            throw SynthError(
                .infrastructure,
                "the Python rewrite helper (\(mode)) failed (exit \(outcome.exitCode.map(String.init) ?? "?")): "
                    + String(outcome.standardError.text.suffix(1500)))
        }
        return outcome.standardOutput.text.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }
    }

    /// `functions FILE…`: one JSON object per function worth a rewrite. `splice`: JSON lines
    /// (file, line, code) on stdin, one JSON object (status, diff) per line on stdout. The
    /// model's code is parsed and compiled, never run.
    static let helperScript = #"""
import ast, difflib, json, sys, textwrap


def is_docstring(statement):
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) and isinstance(statement.value.value, str)


def functions_in(tree):
    found = []

    def visit(node, owner):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.append((child, owner))  # nested functions go with the function around them
            elif isinstance(child, ast.ClassDef):
                visit(child, child)

    visit(tree, None)
    return found


def body_span(node):
    # The lines a rewrite replaces: after the docstring (or from the first statement) to the end.
    documented = is_docstring(node.body[0])
    statements = node.body[1:] if documented else node.body
    if not statements:
        return None
    start = node.body[0].end_lineno + 1 if documented else statements[0].lineno
    if statements[0].lineno <= node.lineno or (documented and statements[0].lineno <= node.body[0].end_lineno):
        return None
    return start, node.end_lineno, statements


def indent_of(text):
    return text[:len(text) - len(text.lstrip())]


def describe(path):
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    if not source.endswith("\n"):
        return  # a diff of its last line would need "\ No newline at end of file"; left alone as the procedural helper does
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    imports = [ast.get_source_segment(source, node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    signatures = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            signatures.append(lines[node.lineno - 1].rstrip())
    for node, owner in functions_in(tree):
        span = body_span(node)
        if span is None:
            continue
        start, end, statements = span
        if not 2 <= end - start + 1 <= 60 or node.name.startswith("__") and node.name != "__init__":
            continue
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        header = "".join(lines[first - 1:start - 1])
        context = [text for text in imports if text]
        if owner is not None:
            context.append(lines[owner.lineno - 1].rstrip())
        context += [text for text in signatures if text.strip() != lines[node.lineno - 1].strip()][:30]
        context = list(dict.fromkeys(context))
        yield {"file": path, "name": node.name, "qualname": (owner.name + "." if owner is not None else "") + node.name,
               "line": node.lineno, "header": header, "context": "\n".join(context)[:3000],
               "indent": indent_of(lines[statements[0].lineno - 1])}


def without_body(tree, line):
    # The module with the function at `line` emptied: equal dumps mean nothing else changed.
    for node, _ in functions_in(tree):
        if node.lineno == line:
            node.body = [ast.Pass()]
    return ast.dump(tree)


def splice(path, line, code):
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    tree = ast.parse(source)
    node = next((node for node, _ in functions_in(tree) if node.lineno == line), None)
    span = node and body_span(node)
    if span is None:
        return {"status": "outside"}
    start, end, statements = span
    code = textwrap.dedent(code)
    try:
        reply = ast.parse(code)
    except (SyntaxError, ValueError):
        return {"status": "not_compiling"}
    defines = [part for part in reply.body if isinstance(part, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom))]
    if defines:
        # The whole function: alone, with the same name, arguments and return annotation.
        whole = reply.body[0]
        if len(reply.body) != 1 or not isinstance(whole, type(node)) or whole.name != node.name \
                or ast.dump(whole.args) != ast.dump(node.args) or ast.dump(whole.returns or ast.Pass()) != ast.dump(node.returns or ast.Pass()) \
                or (whole.decorator_list and [ast.dump(d) for d in whole.decorator_list] != [ast.dump(d) for d in node.decorator_list]):
            return {"status": "outside"}
        body = whole.body[1:] if is_docstring(whole.body[0]) else whole.body
        if not body:
            return {"status": "not_compiling"}  # no body to splice in
        code_lines = code.splitlines(keepends=True)
        code = textwrap.dedent("".join(code_lines[body[0].lineno - 1:whole.end_lineno]))
    indent = indent_of(source.splitlines()[statements[0].lineno - 1])
    new_body = textwrap.indent(code, indent)
    if not new_body.endswith("\n"):
        new_body += "\n"
    lines = source.splitlines(keepends=True)
    text = "".join(lines[:start - 1]) + new_body + "".join(lines[end:])
    diff = "".join(difflib.unified_diff(lines, text.splitlines(keepends=True), "a/" + path, "b/" + path, n=3))
    diff = "diff --git a/%s b/%s\n" % (path, path) + diff
    try:
        compile(text, path, "exec", dont_inherit=True)
        rewritten = ast.parse(text)
    except (SyntaxError, ValueError):
        return {"status": "not_compiling", "diff": diff}
    new_node = next((node for node, _ in functions_in(rewritten) if node.lineno == line), None)
    if new_node is None:
        return {"status": "outside"}
    new_statements = new_node.body[1:] if is_docstring(new_node.body[0]) else new_node.body
    same = ast.dump(ast.Module(body=new_statements, type_ignores=[])) == ast.dump(ast.Module(body=statements, type_ignores=[]))
    if without_body(rewritten, line) != without_body(ast.parse(source), line):
        return {"status": "outside"}
    if same:
        return {"status": "identical"}
    return {"status": "ok", "diff": diff}


def main():
    if sys.argv[1] == "functions":
        for path in sys.argv[2:]:
            try:
                for function in describe(path):
                    print(json.dumps(function))
            except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
                continue
        return
    for raw in sys.stdin:
        if not raw.strip():
            continue
        request = json.loads(raw)
        try:
            answer = splice(request["file"], request["line"], request["code"])
        except (SyntaxError, UnicodeDecodeError, ValueError, OSError, RecursionError, MemoryError) as error:
            answer = {"status": "not_compiling", "error": str(error)}
        print(json.dumps(answer))
        sys.stdout.flush()


main()
"""#
}
