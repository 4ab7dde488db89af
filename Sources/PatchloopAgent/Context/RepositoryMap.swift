import Foundation
import PatchloopModels
import PatchloopWorkspace

/// A compact map of a repository for the model's first prompt: the files most relevant
/// to the issue and the line numbers of their main definitions, cut to a token budget
/// (1,024 by default, as Aider's repository map).
///
/// Relevance, in order of weight: a file's path named in the issue; a file that defines a
/// name the issue mentions; a file that uses such names (rarer names count more); a file
/// that uses what the named files define. Only the best candidates are parsed for
/// definitions, so building the map stays fast on large trees.
public struct RepositoryMap: Sendable {
    /// The map as the model sees it (empty when the repository has no files).
    public var text: String
    /// Estimated tokens of `text` (four characters a token).
    public var tokens: Int
    /// Files in the repository.
    public var totalFiles: Int
    /// The files shown, best first.
    public var shownFiles: [String]
    /// Every candidate, best first, with why it ranks where it does.
    public var ranking: [RankedFile]
    /// universal-ctags found the definitions (else the plain scanner did).
    public var usedCtags: Bool
    /// Wall-clock seconds to build it.
    public var buildSeconds: Double
}

/// One file's place in a repository map's ranking.
public struct RankedFile: Sendable, Hashable {
    public var path: String
    public var score: Double
    /// Why it scored (`named in the issue`, `defines parse_date`, `uses parse_date`…).
    public var reasons: [String]
    public var definitions: [Definition]
}

/// Builds `RepositoryMap`s.
public struct RepositoryMapBuilder: Sendable {
    /// Most estimated tokens of the map.
    public var tokenBudget: Int
    public var scanner: DefinitionScanner
    public var git = Git()
    /// `--git-dir=… --work-tree=…` for a Patchloop worktree: git is then never pointed at
    /// the repository through the worktree's own `.git` file, which setup commands could replace.
    public var gitOptions: [String] = []

    public init(tokenBudget: Int = 1024, useCtags: Bool = true) {
        self.tokenBudget = tokenBudget
        self.scanner = DefinitionScanner(useCtags: useCtags)
    }

    /// Definitions shown per file at most.
    static let definitionsPerFile = 20

    /// How many files are parsed for definitions: enough to fill the budget several times over.
    var candidateLimit: Int { max(80, tokenBudget / 8) }

    /// Builds the map of the files under `root` (a git worktree, or any folder) for `issue`.
    public func build(root: String, issue: String) async throws -> RepositoryMap {
        let started = Date()
        let listing = try await RepositoryFiles.list(root: root, git: git, options: gitOptions)
        let terms = IssueTerms(issue: issue)
        var scores = ScoreBoard(files: listing.files)

        scores.addPathMentions(terms)
        let identifiers = terms.identifiers
        let occurrences = try await countOccurrences(of: Array(identifiers.keys), root: root, isGit: listing.isGit)
        let documentFrequency = occurrences.values.reduce(into: [String: Int]()) { frequency, names in
            for name in names.keys { frequency[name, default: 0] += 1 }
        }
        let fileCount = max(2, listing.files.count)
        func rarity(_ name: String) -> Double {
            let frequency = Double(max(1, documentFrequency[name] ?? 1))
            return max(0, log(Double(fileCount) / frequency) / log(Double(fileCount)))
        }
        for (path, names) in occurrences {
            for (name, count) in names {
                let weight = identifiers[name] ?? 1
                scores.add(weight * (0.2 + rarity(name)) * (1 + 0.1 * Double(min(count, 10))), to: path, reason: "uses \(name)")
            }
        }

        // Parse the best candidates (topped up with likely source files when the issue names little).
        var candidates = scores.best(candidateLimit)
        if candidates.count < candidateLimit {
            let chosen = Set(candidates)
            let others = listing.files.filter { !chosen.contains($0) && DefinitionScanner.isSourceFile($0) }
                .map { (path: $0, prior: RepositoryFiles.prior($0)) }
            candidates += others.sorted { ($0.prior, $1.path) > ($1.prior, $0.path) }.prefix(candidateLimit - candidates.count).map(\.path)
        }
        var (definitions, usedCtags) = await scanner.definitions(of: candidates, root: root)
        for (path, found) in definitions {
            for name in Set(found.map(\.name)) where identifiers[name] != nil {
                scores.add(4 * (identifiers[name] ?? 1) * (0.5 + rarity(name)), to: path, reason: "defines \(name)")
            }
        }

        // Files that use what the files the issue is about define.
        let anchors = scores.best(3).filter { scores.score(of: $0) >= 4 }
        let anchorNames = Array(
            Set(anchors.flatMap { definitions[$0] ?? [] }.filter { !$0.isNested && $0.name.count >= 6 }.map(\.name))
                .subtracting(identifiers.keys)
        ).sorted { ($0.count, $0) > ($1.count, $1) }.prefix(15)
        if !anchorNames.isEmpty {
            for path in try await filesContaining(Array(anchorNames), root: root, isGit: listing.isGit) where !anchors.contains(path) {
                scores.add(1, to: path, reason: "uses what \(anchors[0]) defines")
            }
            let unparsed = scores.best(candidateLimit).filter { definitions[$0] == nil && !candidates.contains($0) }
            if !unparsed.isEmpty {
                let more = await scanner.definitions(of: unparsed, root: root)
                definitions.merge(more.definitions) { old, _ in old }
                usedCtags = usedCtags || more.usedCtags
            }
        }

        let ranking = scores.ranking(among: Set(candidates).union(scores.scoredFiles), definitions: definitions)
        let rendered = render(ranking, totalFiles: listing.files.count)
        return RepositoryMap(
            text: rendered.text, tokens: TokenEstimator.estimate(rendered.text), totalFiles: listing.files.count,
            shownFiles: rendered.shown, ranking: ranking, usedCtags: usedCtags, buildSeconds: Date().timeIntervalSince(started))
    }

    /// How often each name occurs as a whole word in each file (`git grep -o -w -F`).
    func countOccurrences(of names: [String], root: String, isGit: Bool) async throws -> [String: [String: Int]] {
        guard !names.isEmpty else { return [:] }
        var arguments = ["grep", "-I", "-o", "-w", "-F", "-z", "--no-color"]
        if !isGit { arguments.append("--no-index") }
        for name in names { arguments += ["-e", name] }
        let outcome = try await git.runOutcome(gitOptions + arguments, in: root, timeout: 120)
        var counts: [String: [String: Int]] = [:]
        for line in outcome.standardOutput.text.split(separator: "\n") {
            guard let separator = line.firstIndex(of: "\0") else { continue }
            let path = String(line[..<separator])
            let name = String(line[line.index(after: separator)...])
            counts[path, default: [:]][name, default: 0] += 1
        }
        return counts
    }

    /// The files where any of `names` occurs as a whole word (`git grep -l`: stops at a file's first match).
    func filesContaining(_ names: [String], root: String, isGit: Bool) async throws -> [String] {
        var arguments = ["grep", "-I", "-l", "-w", "-F", "-z", "--no-color"]
        if !isGit { arguments.append("--no-index") }
        for name in names { arguments += ["-e", name] }
        let outcome = try await git.runOutcome(gitOptions + arguments, in: root, timeout: 120)
        return outcome.standardOutput.text.split(separator: "\0").map(String.init)
    }

    /// The map's text within the budget, and the files it shows.
    func render(_ ranking: [RankedFile], totalFiles: Int) -> (text: String, shown: [String]) {
        guard tokenBudget > 0, !ranking.isEmpty else { return ("", []) }
        let headerReserve = 40
        var remaining = tokenBudget - headerReserve
        var body = ""
        var shown: [String] = []
        for file in ranking {
            let pathLine = file.path + "\n"
            let pathTokens = TokenEstimator.estimate(pathLine)
            guard remaining >= pathTokens else { break }
            var block = pathLine
            var blockTokens = pathTokens
            var listed = 0
            for definition in file.definitions.prefix(RepositoryMapBuilder.definitionsPerFile) {
                let line = String(repeating: " ", count: definition.isNested ? 4 : 2) + "\(definition.line): \(definition.text)\n"
                let tokens = TokenEstimator.estimate(line)
                guard blockTokens + tokens <= remaining else { break }
                block += line
                blockTokens += tokens
                listed += 1
            }
            if listed < file.definitions.count {
                let more = "  … \(file.definitions.count - listed) more\n"
                if blockTokens + TokenEstimator.estimate(more) <= remaining {
                    block += more
                    blockTokens += TokenEstimator.estimate(more)
                }
            }
            body += block
            remaining -= blockTokens
            shown.append(file.path)
            if listed < min(file.definitions.count, RepositoryMapBuilder.definitionsPerFile) { break }
        }
        let header =
            "Repository map: \(shown.count) of \(totalFiles) files, the most relevant to the issue first, "
            + "with the line numbers of their main definitions.\n"
        return (header + body, shown)
    }
}

/// The files of a repository, and how a file ranks when nothing else says.
enum RepositoryFiles {
    static let skippedFolders: Set<String> = [".git", ".build", "node_modules", "__pycache__", ".venv", "venv", ".tox", "target", "dist"]

    /// Tracked files of a git work tree, or every file under a plain folder.
    static func list(root: String, git: Git, options: [String] = []) async throws -> (files: [String], isGit: Bool) {
        let inside = try? await git.runOutcome(options + ["rev-parse", "--is-inside-work-tree"], in: root)
        if inside?.succeeded == true, inside?.standardOutput.text.hasPrefix("true") == true {
            let output = try await git.run(options + ["ls-files", "-z"], in: root)
            return (output.split(separator: "\0").map(String.init), true)
        }
        var files: [String] = []
        guard let enumerator = FileManager.default.enumerator(atPath: root) else {
            throw SandboxError("cannot list the files of \(root)")
        }
        while let entry = enumerator.nextObject() as? String {
            let name = (entry as NSString).lastPathComponent
            if enumerator.fileAttributes?[.type] as? FileAttributeType == .typeDirectory {
                if skippedFolders.contains(name) || name.hasPrefix(".") { enumerator.skipDescendants() }
                continue
            }
            if enumerator.fileAttributes?[.type] as? FileAttributeType == .typeRegular { files.append(entry) }
        }
        return (files.sorted(), false)
    }

    /// A small score for files nothing in the issue points at: source over the rest, shallow
    /// over deep, library code over tests, examples and vendored code.
    static func prior(_ path: String) -> Double {
        let depth = Double(path.split(separator: "/").count - 1)
        var value = (DefinitionScanner.isSourceFile(path) ? 0.05 : 0.01) / (1 + depth)
        let lowered = path.lowercased()
        if ["test", "spec", "example", "vendor", "third_party", "benchmark", "docs/"].contains(where: lowered.contains) { value *= 0.5 }
        return value
    }
}

/// Scores per file, with reasons.
struct ScoreBoard {
    let files: [String]
    private var scores: [String: Double] = [:]
    private var reasons: [String: [String]] = [:]

    init(files: [String]) {
        self.files = files
    }

    var scoredFiles: Set<String> { Set(scores.keys) }

    func score(of path: String) -> Double { scores[path] ?? 0 }

    mutating func add(_ value: Double, to path: String, reason: String) {
        guard value > 0 else { return }
        scores[path, default: 0] += value
        if (reasons[path]?.count ?? 0) < 6 { reasons[path, default: []].append(reason) }
    }

    /// Paths, file names and dotted module names that the issue writes out.
    mutating func addPathMentions(_ terms: IssueTerms) {
        for mention in terms.paths {
            var path = mention
            for prefix in ["./", "a/", "b/"] where path.hasPrefix(prefix) && !files.contains(path) {
                path = String(path.dropFirst(prefix.count))
            }
            let matches = files.filter { $0 == path || $0.hasSuffix("/" + path) }
            for match in matches { add(10 / Double(matches.count), to: match, reason: "named in the issue") }
        }
        for module in terms.modulePaths {
            let matches = files.filter { file in
                let stem = (file as NSString).deletingPathExtension
                return stem == module || stem.hasSuffix("/" + module) || stem == module + "/__init__" || stem.hasSuffix("/" + module + "/__init__")
            }
            for match in matches where matches.count <= 5 { add(8 / Double(matches.count), to: match, reason: "module named in the issue") }
        }
        // A file whose name is a word of the issue (`convert` → convert.py).
        var byStem: [String: [String]] = [:]
        for file in files {
            let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
            if stem.count >= 4 { byStem[stem, default: []].append(file) }
        }
        for (name, weight) in terms.identifiers {
            guard let matches = byStem[name], matches.count <= 5 else { continue }
            for match in matches { add(weight / Double(matches.count), to: match, reason: "file named like \(name)") }
        }
    }

    /// The best `count` scored paths.
    func best(_ count: Int) -> [String] {
        scores.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(count).map(\.key)
    }

    func ranking(among paths: Set<String>, definitions: [String: [Definition]]) -> [RankedFile] {
        paths.map { path in
            let found = definitions[path] ?? []
            let total = score(of: path) + RepositoryFiles.prior(path) + 0.002 * Double(min(found.count, 50))
            return RankedFile(path: path, score: total, reasons: reasons[path] ?? [], definitions: found)
        }
        // Files with nothing to show and nothing pointing at them are not worth their line.
        .filter { !$0.definitions.isEmpty || score(of: $0.path) > 0 }
        .sorted { ($0.score, $1.path) > ($1.score, $0.path) }
    }
}
