import Foundation

/// What an issue's text names that a repository map can look for: paths and file
/// names, dotted module paths, and identifiers (weighted by how much they look like code).
public struct IssueTerms: Sendable, Hashable {
    /// Tokens that look like a path or a file name (`src/calc.py`, `calc.py`).
    public var paths: [String]
    /// Dotted names turned into path stems (`roman.convert` → `roman/convert`).
    public var modulePaths: [String]
    /// Identifier → weight: 3 for code-shaped words (`snake_case`, `camelCase`, `call()`, in
    /// backticks), 1 for plain words that are not common English or programming words.
    public var identifiers: [String: Double]

    /// At most this many identifiers are searched for (the most code-like and longest first).
    public static let identifierLimit = 40

    public init(paths: [String] = [], modulePaths: [String] = [], identifiers: [String: Double] = [:]) {
        self.paths = paths
        self.modulePaths = modulePaths
        self.identifiers = identifiers
    }

    /// Reads the terms of `text`.
    public init(issue text: String) {
        var paths: [String] = []
        var modules: [String] = []
        var identifiers: [String: Double] = [:]
        let backticked = IssueTerms.backtickedSpans(text)

        for (token, followedByParenthesis) in IssueTerms.tokens(text) {
            let trimmed = token.trimmingCharacters(in: CharacterSet(charactersIn: ".-/"))
            guard !trimmed.isEmpty else { continue }
            if trimmed.contains("/") || IssueTerms.hasFileExtension(trimmed) {
                paths.append(trimmed)
            } else if trimmed.contains(".") {
                let parts = trimmed.split(separator: ".").map(String.init)
                if parts.count >= 2, parts.allSatisfy(IssueTerms.isIdentifier) {
                    // `pkg.module.func`: the module may be `pkg/module` or `pkg/module/func`.
                    for length in stride(from: parts.count, through: 2, by: -1) {
                        modules.append(parts.prefix(length).joined(separator: "/"))
                    }
                }
            }
            for part in trimmed.split(whereSeparator: { $0 == "." || $0 == "/" || $0 == "-" }).map(String.init) {
                guard IssueTerms.isIdentifier(part), part.count >= 3, !part.allSatisfy(\.isNumber) else { continue }
                guard !IssueTerms.stopWords.contains(part.lowercased()), !IssueTerms.commonCodeWords.contains(part) else { continue }
                let codeShaped = followedByParenthesis || backticked.contains(part) || IssueTerms.looksLikeCode(part)
                // Short plain words match everywhere and make the search slow for nothing.
                if !codeShaped && part.count < 4 { continue }
                identifiers[part] = max(identifiers[part] ?? 0, codeShaped ? 3 : 1)
            }
        }
        if identifiers.count > IssueTerms.identifierLimit {
            let kept = identifiers.sorted { ($0.value, $0.key.count, $0.key) > ($1.value, $1.key.count, $1.key) }
                .prefix(IssueTerms.identifierLimit)
            identifiers = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
        }
        self.paths = IssueTerms.unique(paths)
        self.modulePaths = IssueTerms.unique(modules)
        self.identifiers = identifiers
    }

    public var isEmpty: Bool { paths.isEmpty && modulePaths.isEmpty && identifiers.isEmpty }

    // MARK: - Scanning

    /// Runs of letters, digits and `_ . / -`, each with whether a `(` follows it.
    static func tokens(_ text: String) -> [(String, Bool)] {
        var result: [(String, Bool)] = []
        var current = ""
        for character in text {
            if character.isLetter || character.isNumber || "_./-".contains(character) {
                current.append(character)
            } else {
                if !current.isEmpty { result.append((current, character == "(")) }
                current = ""
            }
        }
        if !current.isEmpty { result.append((current, false)) }
        return result
    }

    /// The identifiers inside `code spans`.
    static func backtickedSpans(_ text: String) -> Set<String> {
        var names: Set<String> = []
        let pieces = text.split(separator: "`", omittingEmptySubsequences: false)
        for (index, piece) in pieces.enumerated() where index % 2 == 1 && piece.count < 200 {
            for (token, _) in tokens(String(piece)) {
                for part in token.split(whereSeparator: { $0 == "." || $0 == "/" || $0 == "-" }) where isIdentifier(String(part)) {
                    names.insert(String(part))
                }
            }
        }
        return names
    }

    static func isIdentifier(_ word: String) -> Bool {
        guard let first = word.unicodeScalars.first, first == "_" || (first.isASCII && CharacterSet.letters.contains(first)) else { return false }
        return word.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && CharacterSet.alphanumerics.contains($0)) }
    }

    /// `snake_case`, `camelCase`, `PascalCase`, `name2`: more likely a name in the code than an English word.
    static func looksLikeCode(_ word: String) -> Bool {
        if word.contains("_") || word.contains(where: \.isNumber) { return true }
        let letters = Array(word)
        return letters.dropFirst().contains(where: \.isUppercase) && letters.contains(where: \.isLowercase)
    }

    static func hasFileExtension(_ token: String) -> Bool {
        guard let dot = token.lastIndex(of: "."), dot != token.startIndex else { return false }
        return fileExtensions.contains(String(token[token.index(after: dot)...]).lowercased())
    }

    static func unique(_ items: [String]) -> [String] {
        var seen: Set<String> = []
        return items.filter { seen.insert($0).inserted }
    }

    static let fileExtensions: Set<String> = [
        "swift", "py", "pyi", "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "m", "mm", "go", "rs", "js", "jsx", "mjs", "cjs", "ts", "tsx",
        "java", "kt", "kts", "scala", "rb", "php", "cs", "fs", "lua", "pl", "pm", "sh", "bash", "zsh", "r", "jl", "ex", "exs", "erl",
        "hs", "ml", "mli", "clj", "dart", "zig", "nim", "sql", "toml", "yaml", "yml", "json", "cfg", "ini", "txt", "md", "rst", "html",
        "css", "scss", "xml", "proto", "mk", "cmake", "gradle",
    ]

    /// Names so common in code that they say nothing about where an issue is.
    static let commonCodeWords: Set<String> = [
        "int", "str", "bool", "float", "double", "char", "void", "var", "let", "const", "static", "public", "private", "dict", "len",
        "obj", "args", "kwargs", "key", "keys", "data", "name", "path", "size", "count", "index", "item", "items", "init", "get",
        "set", "new", "len", "err", "nil", "end", "out", "log", "map", "max", "min", "sum", "the", "cls", "Int", "String", "Bool",
        "Double", "Float", "Array", "Error", "Self", "main", "test", "tests", "object", "Object", "string", "list", "type",
    ]

    /// Words too common in issues and code to say which file an issue is about.
    static let stopWords: Set<String> = [
        "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was", "one", "our", "out", "has", "him",
        "his", "how", "its", "may", "new", "now", "old", "see", "two", "way", "who", "did", "get", "got", "let", "put", "say", "she",
        "too", "use", "used", "uses", "using", "this", "that", "with", "from", "have", "they", "will", "would", "there", "their", "what",
        "when", "where", "which", "while", "should", "could", "does", "doesn", "didn", "isn", "wasn", "aren", "won", "don", "into",
        "then", "than", "them", "these", "those", "some", "such", "only", "also", "just", "like", "more", "most", "much", "many",
        "other", "about", "after", "before", "because", "been", "being", "both", "each", "even", "every", "here", "however", "instead",
        "make", "makes", "made", "need", "needs", "same", "still", "very", "want", "wants", "well", "were", "why", "your", "yours",
        "expected", "expect", "actual", "actually", "issue", "bug", "fix", "fixed", "fixes", "problem", "error", "errors", "fails",
        "fail", "failed", "failing", "failure", "works", "work", "working", "wrong", "correct", "correctly", "instead", "returns",
        "return", "returned", "value", "values", "result", "results", "true", "false", "none", "null", "nil", "self", "def", "class",
        "func", "function", "functions", "method", "methods", "call", "calls", "called", "file", "files", "line", "lines", "code",
        "test", "tests", "example", "examples", "output", "input", "string", "number", "list", "type", "types", "case", "cases",
        "import", "module", "package", "version", "python", "swift", "run", "running", "raise", "raises", "throw", "throws", "print",
        "traceback", "recent", "last", "most", "empty", "given", "gives", "give", "first", "second", "third", "https", "http", "www",
        "com", "github", "org", "steps", "reproduce", "behavior", "behaviour", "please", "thanks", "thank", "comment", "comments",
        "title", "body", "author", "login",
    ]
}
