import Foundation
import PatchloopCore
import PatchloopWorkspace

/// One definition in a source file: a class, type, function or method.
public struct Definition: Sendable, Hashable {
    public var name: String
    /// The tagger's kind (`class`, `function`, `method`, `struct`…).
    public var kind: String
    /// 1-based line number.
    public var line: Int
    /// The source line that defines it, trimmed (at most 100 characters).
    public var text: String
    /// Nested inside another definition (a method in a class).
    public var isNested: Bool

    public init(name: String, kind: String, line: Int, text: String, isNested: Bool) {
        self.name = name
        self.kind = kind
        self.line = line
        self.text = text
        self.isNested = isNested
    }
}

/// Finds the main definitions of source files: universal-ctags where it is installed
/// (and knows the language), a plain line scanner otherwise.
public struct DefinitionScanner: Sendable {
    /// Try universal-ctags first (turn off to use only the plain scanner).
    public var useCtags: Bool
    public var runner: ProcessRunner

    public init(useCtags: Bool = true, runner: ProcessRunner = ProcessRunner()) {
        self.useCtags = useCtags
        self.runner = runner
    }

    /// Files larger than this are not scanned (generated code, data, minified bundles).
    static let maximumFileBytes = 512 * 1024
    static let maximumLineCharacters = 100

    /// The definitions of `paths` (relative to `root`), per path; and whether ctags was used.
    public func definitions(of paths: [String], root: String) async -> (definitions: [String: [Definition]], usedCtags: Bool) {
        var result: [String: [Definition]] = [:]
        var usedCtags = false
        let scannable = paths.filter { DefinitionScanner.isSourceFile($0) && DefinitionScanner.isSmallEnough(root + "/" + $0) }
        // universal-ctags 5.9 has no Swift parser; the plain scanner knows Swift.
        let forCtags = scannable.filter { !$0.hasSuffix(".swift") }
        if useCtags, !forCtags.isEmpty, let ctags = await UniversalCtags.locate(runner: runner) {
            if let tagged = await ctags.definitions(of: forCtags, root: root, runner: runner) {
                usedCtags = true
                result = tagged
            }
        }
        for path in scannable where result[path] == nil {
            guard let data = FileManager.default.contents(atPath: root + "/" + path), !data.prefix(8192).contains(0) else { continue }
            let found = PlainDefinitionScanner.definitions(in: String(decoding: data, as: UTF8.self), path: path)
            if !found.isEmpty { result[path] = found }
        }
        return (result, usedCtags)
    }

    static func isSourceFile(_ path: String) -> Bool {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else {
            let name = (path as NSString).lastPathComponent
            return name == "Makefile" || name == "makefile" || name == "GNUmakefile"
        }
        return sourceExtensions.contains(String(path[path.index(after: dot)...]).lowercased())
    }

    static func isSmallEnough(_ path: String) -> Bool {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber else { return false }
        return size.intValue <= maximumFileBytes
    }

    static let sourceExtensions: Set<String> = [
        "swift", "py", "pyi", "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "m", "mm", "go", "rs", "js", "jsx", "mjs", "cjs", "ts", "tsx",
        "java", "kt", "kts", "scala", "rb", "php", "cs", "lua", "pl", "pm", "sh", "bash", "r", "jl", "ex", "exs", "erl", "hs", "ml",
        "mli", "clj", "dart", "zig", "nim", "proto", "mk",
    ]
}

/// universal-ctags, when installed (exuberant ctags has no JSON output and is not used).
struct UniversalCtags: Sendable {
    var executable: String

    static func locate(runner: ProcessRunner) async -> UniversalCtags? {
        let environment = ProcessEnvironment.allowListed()
        guard let path = ProcessRunner.resolveExecutable("ctags", environment: environment) else { return nil }
        let outcome = try? await runner.run(
            ProcessSpec(executable: path, arguments: ["--version"], environment: environment, timeout: 10, mergeStandardError: true))
        guard let outcome, outcome.succeeded, outcome.standardOutput.text.contains("Universal Ctags") else { return nil }
        return UniversalCtags(executable: path)
    }

    /// Kinds that are a file's main definitions (ctags' long kind names).
    static let mainKinds: Set<String> = [
        "class", "struct", "enum", "interface", "protocol", "trait", "typedef", "union", "function", "func", "method", "module",
        "namespace", "implementation", "type", "singletonMethod", "object", "typealias", "record", "macro", "methodSpec",
    ]

    /// Tags for `paths`, or nil when ctags failed (the caller falls back to the plain scanner).
    func definitions(of paths: [String], root: String, runner: ProcessRunner) async -> [String: [Definition]]? {
        let arguments = [
            "--output-format=json", "--fields=+nKlS", "--sort=no", "--extras=-F", "-f", "-", "-L", "-",
            // C macros are too many and too small to be a file's main definitions.
            "--kinds-C=-d", "--kinds-C++=-d",
        ]
        let spec = ProcessSpec(
            executable: executable, arguments: arguments, workingDirectory: root, timeout: 60,
            outputLimit: OutputLimit(headBytes: 64 << 20, tailBytes: 0), standardInput: Data((paths.joined(separator: "\n") + "\n").utf8))
        guard let outcome = try? await runner.run(spec), outcome.succeeded else { return nil }
        var result: [String: [Definition]] = [:]
        for line in outcome.standardOutput.text.split(separator: "\n") {
            guard line.hasPrefix("{"), let tag = try? JSONValue.parse(String(line)), tag["_type"]?.stringValue == "tag",
                let name = tag["name"]?.stringValue, let path = tag["path"]?.stringValue, let kind = tag["kind"]?.stringValue
            else { continue }
            let language = tag["language"]?.stringValue ?? ""
            // Python's "member" is a method; C's is a struct field.
            guard UniversalCtags.mainKinds.contains(kind) || (kind == "member" && language == "Python") else { continue }
            if kind == "macro" && language != "Rust" { continue }
            let lineNumber = tag["line"]?.intValue ?? 0
            let source = UniversalCtags.sourceLine(pattern: tag["pattern"]?.stringValue) ?? name
            result[path, default: []].append(
                Definition(
                    name: name, kind: kind, line: lineNumber, text: PlainDefinitionScanner.shorten(source),
                    isNested: tag["scope"] != nil))
        }
        for (path, definitions) in result {
            result[path] = definitions.sorted { $0.line < $1.line }
        }
        return result
    }

    /// The source line of a ctags search pattern (`/^  def f(x):$/`).
    static func sourceLine(pattern: String?) -> String? {
        guard var text = pattern, text.count >= 2, text.hasPrefix("/") else { return nil }
        text.removeFirst()
        if text.hasSuffix("/") { text.removeLast() }
        if text.hasPrefix("^") { text.removeFirst() }
        if text.hasSuffix("$") { text.removeLast() }
        return text.replacingOccurrences(of: "\\/", with: "/").replacingOccurrences(of: "\\\\", with: "\\")
    }
}

/// A line scanner that knows the definition keywords of common languages: used where
/// universal-ctags is missing and for languages it has no parser for (Swift).
enum PlainDefinitionScanner {
    /// Words that may come before a definition keyword.
    static let modifiers: Set<String> = [
        "public", "private", "fileprivate", "internal", "open", "package", "final", "static", "override", "mutating", "nonmutating",
        "nonisolated", "indirect", "convenience", "required", "dynamic", "lazy", "weak", "unowned", "async", "export", "default",
        "abstract", "sealed", "data", "inline", "pub", "pub(crate)", "unsafe", "const", "extern", "protected", "virtual", "declare",
        "distributed", "consuming", "borrowing",
    ]

    /// Definition keyword → the kind it makes.
    static let keywords: [String: String] = [
        "class": "class", "struct": "struct", "enum": "enum", "protocol": "protocol", "actor": "actor", "extension": "extension",
        "func": "function", "init": "function", "typealias": "typealias", "def": "function", "fn": "function", "function": "function",
        "interface": "interface", "trait": "trait", "impl": "implementation", "type": "type", "module": "module", "mod": "module",
        "object": "object", "union": "union", "namespace": "namespace", "fun": "function",
    ]

    static let cLikeExtensions: Set<String> = ["c", "h", "cc", "cpp", "cxx", "hpp", "hh", "m", "mm"]

    /// The keywords that define something in each language (an English word such as
    /// "type" in a Python docstring is not a definition).
    static func keywords(forExtension pathExtension: String) -> Set<String> {
        switch pathExtension {
        case "swift": return ["class", "struct", "enum", "protocol", "actor", "extension", "func", "init", "typealias"]
        case "py", "pyi": return ["class", "def"]
        case "go": return ["func", "type"]
        case "rs": return ["fn", "struct", "enum", "trait", "impl", "mod", "type", "union"]
        case "js", "jsx", "mjs", "cjs", "ts", "tsx": return ["function", "class", "interface", "type", "enum", "namespace"]
        case "kt", "kts", "scala": return ["class", "interface", "object", "fun", "trait", "enum"]
        case "rb": return ["class", "module", "def"]
        case "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "m", "mm": return ["struct", "union", "enum", "class", "namespace"]
        default: return Set(keywords.keys)
        }
    }

    static func definitions(in text: String, path: String) -> [Definition] {
        let pathExtension = (path as NSString).pathExtension.lowercased()
        let isCLike = cLikeExtensions.contains(pathExtension)
        let isGo = pathExtension == "go"
        let allowed = keywords(forExtension: pathExtension)
        var found: [Definition] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine[...]
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            guard let first = trimmed.first, first.isLetter || first == "@" || first == "_" else { continue }
            let indented = trimmed.count < line.count
            if let definition = keywordDefinition(trimmed, line: lineNumber, indented: indented, isGo: isGo, allowed: allowed) {
                found.append(definition)
            } else if isCLike, !indented, let definition = cFunction(line, line: lineNumber) {
                found.append(definition)
            }
        }
        return found
    }

    /// `[attributes] [modifiers] keyword Name…`
    static func keywordDefinition(_ text: Substring, line: Int, indented: Bool, isGo: Bool, allowed: Set<String>) -> Definition? {
        var rest = text
        while rest.first == "@" {
            // An attribute such as @MainActor or @available(…): skip it.
            rest = rest.drop(while: { $0 != " " && $0 != "(" })
            if rest.first == "(" {
                guard let close = rest.firstIndex(of: ")") else { return nil }
                rest = rest[rest.index(after: close)...]
            }
            rest = rest.drop(while: { $0 == " " })
        }
        for _ in 0..<6 {
            var word = rest.prefix(while: { $0.isLetter })
            if word == "pub", rest.dropFirst(3).first == "(", let close = rest.firstIndex(of: ")") {
                word = rest[...close]  // Rust's pub(crate)
            }
            guard !word.isEmpty else { return nil }
            if let kind = keywords[String(word)], allowed.contains(String(word)) {
                var after = rest.dropFirst(word.count)
                if word == "init" {
                    return Definition(name: "init", kind: kind, line: line, text: shorten(String(text)), isNested: indented)
                }
                guard after.first == " " || after.first == "\t" else { return nil }
                after = after.drop(while: { $0 == " " || $0 == "\t" })
                if word == "class", ["func", "var", "let", "subscript"].contains(where: { after.hasPrefix($0 + " ") }) {
                    // Swift's `class func`: "class" is a modifier here.
                    rest = after
                    continue
                }
                if isGo && word == "func" && after.first == "(" {
                    // A method: func (r *Receiver) Name(…)
                    guard let close = after.firstIndex(of: ")") else { return nil }
                    after = after[after.index(after: close)...].drop(while: { $0 == " " })
                }
                if word == "function", after.first == "*" { after = after.dropFirst().drop(while: { $0 == " " }) }
                let name = after.prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "$" || (word == "extension" && $0 == ".") })
                guard !name.isEmpty else { return nil }
                return Definition(name: String(name), kind: kind, line: line, text: shorten(String(text)), isNested: indented)
            }
            guard modifiers.contains(String(word)) else { return nil }
            rest = rest.dropFirst(word.count).drop(while: { $0 == " " || $0 == "\t" })
        }
        return nil
    }

    /// A C function definition at the start of a line: `int name(…)` without a trailing `;`.
    static func cFunction(_ line: Substring, line number: Int) -> Definition? {
        guard let open = line.firstIndex(of: "("), !line.hasSuffix(";"), !line.contains("=") else { return nil }
        let head = line[..<open].trimmingCharacters(in: .whitespaces)
        let words = head.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "*" })
        guard words.count >= 2, let name = words.last, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
        let first = String(words[0])
        guard !["if", "for", "while", "switch", "return", "else", "do", "case", "typedef", "define"].contains(first) else { return nil }
        return Definition(name: String(name), kind: "function", line: number, text: shorten(String(line)), isNested: false)
    }

    static func shorten(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.count > DefinitionScanner.maximumLineCharacters else { return trimmed }
        return String(trimmed.prefix(DefinitionScanner.maximumLineCharacters - 1)) + "…"
    }
}
