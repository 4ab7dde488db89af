import Foundation

/// A repository's conventions for whoever changes it: its `AGENTS.md`, or else the
/// sections of its `CONTRIBUTING.md` about code, style, tests and development.
public struct ProjectInstructions: Sendable, Hashable {
    /// The file they come from, relative to the repository root.
    public var source: String
    public var text: String
    /// The file was longer than `characterLimit` and was cut.
    public var truncated: Bool

    /// About 2,000 tokens: conventions, not a manual.
    public static let characterLimit = 8000

    /// Where `CONTRIBUTING.md` may be.
    static let contributingLocations = ["CONTRIBUTING.md", ".github/CONTRIBUTING.md", "docs/CONTRIBUTING.md", "CONTRIBUTING.rst", "CONTRIBUTING"]

    /// Words in a CONTRIBUTING heading that mark a section worth giving the model.
    static let relevantHeadingWords = [
        "code", "coding", "style", "convention", "test", "testing", "develop", "guideline", "lint", "format", "build", "commit",
        "patch", "pull request", "architecture", "layout", "structure",
    ]

    /// Reads the instructions of the repository at `root`, or nil when it has none.
    public static func load(root: String) -> ProjectInstructions? {
        if let text = read(root + "/AGENTS.md"), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return ProjectInstructions(source: "AGENTS.md", fullText: text)
        }
        for location in contributingLocations {
            guard let text = read(root + "/" + location) else { continue }
            let sections = relevantSections(of: text)
            if !sections.isEmpty { return ProjectInstructions(source: location, fullText: sections) }
        }
        return nil
    }

    init(source: String, fullText: String) {
        self.source = source
        let trimmed = fullText.trimmingCharacters(in: .whitespacesAndNewlines)
        truncated = trimmed.count > ProjectInstructions.characterLimit
        text = truncated
            ? String(trimmed.prefix(ProjectInstructions.characterLimit)) + "\n[… the rest of \(source) is left out …]"
            : trimmed
    }

    /// The Markdown sections (`#`… headings) whose titles name code, style, tests or development.
    static func relevantSections(of markdown: String) -> String {
        var kept: [String] = []
        var current: [Substring] = []
        var keepCurrent = false
        var keptLevel = Int.max
        func flush() {
            if keepCurrent, !current.isEmpty { kept.append(current.joined(separator: "\n")) }
            current = []
        }
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let level = line.prefix(while: { $0 == "#" }).count
            if level > 0, line.dropFirst(level).first == " " {
                flush()
                let title = line.dropFirst(level).lowercased()
                if keepCurrent && level > keptLevel {
                    // A subsection of a kept section stays with it.
                } else {
                    keepCurrent = relevantHeadingWords.contains { title.contains($0) }
                    keptLevel = keepCurrent ? level : Int.max
                }
            }
            current.append(line)
        }
        flush()
        return kept.joined(separator: "\n\n")
    }

    static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path), !data.prefix(8192).contains(0) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
