import Foundation
import PatchloopCore
import PatchloopWorkspace

/// What repository-level context goes before the issue in the first prompt.
public struct RepositoryContextSettings: Sendable, Hashable, Codable {
    /// Token budget of the repository map; 0 turns the map off.
    public var mapTokens: Int
    /// Give the model the repository's `AGENTS.md` (or CONTRIBUTING.md sections).
    public var includeInstructions: Bool
    /// Use universal-ctags for definitions where installed (off: the plain scanner only).
    public var useCtags: Bool

    /// 1,024 tokens of map, as Aider's default.
    public static let defaultMapTokens = 1024

    public init(mapTokens: Int = RepositoryContextSettings.defaultMapTokens, includeInstructions: Bool = true, useCtags: Bool = true) {
        self.mapTokens = mapTokens
        self.includeInstructions = includeInstructions
        self.useCtags = useCtags
    }

    /// No map and no instructions.
    public static let off = RepositoryContextSettings(mapTokens: 0, includeInstructions: false)

    enum CodingKeys: String, CodingKey {
        case mapTokens = "map_tokens", includeInstructions = "project_instructions", useCtags = "ctags"
    }
}

/// The repository-level context of one attempt: project instructions and a repository
/// map, rendered as the text that `AgentTask.context` places before the issue.
public struct RepositoryContext: Sendable {
    public var instructions: ProjectInstructions?
    public var map: RepositoryMap?
    /// What could not be built (the attempt goes on without it).
    public var problems: [String]

    /// Builds the context of the worktree at `root` for `issue`. Never fails: a map that
    /// cannot be built is left out and named in `problems`.
    public static func build(root: String, issue: String, settings: RepositoryContextSettings, git: WorktreeGit? = nil) async -> RepositoryContext {
        var context = RepositoryContext(instructions: nil, map: nil, problems: [])
        if settings.includeInstructions {
            context.instructions = ProjectInstructions.load(root: root)
        }
        if settings.mapTokens > 0 {
            do {
                var builder = RepositoryMapBuilder(tokenBudget: settings.mapTokens, useCtags: settings.useCtags)
                if let git { builder.gitOptions = ["--git-dir=\(git.gitDirectory)", "--work-tree=\(git.workTree)"] }
                let map = try await builder.build(root: root, issue: issue)
                if !map.text.isEmpty { context.map = map }
            } catch {
                context.problems.append("the repository map could not be built: \(ErrorText.sentence(for: error))")
            }
        }
        return context
    }

    /// The text for the first prompt (empty when there is nothing to say).
    public var text: String {
        var parts: [String] = []
        if let instructions {
            parts.append(
                "<repository_conventions source=\"\(instructions.source)\">\nThe repository's own instructions for contributors; follow them.\n\n"
                    + instructions.text + "\n</repository_conventions>")
        }
        if let map {
            parts.append("<repository_map>\n" + map.text.trimmingCharacters(in: .newlines) + "\n</repository_map>")
        }
        return parts.joined(separator: "\n\n")
    }

    /// A summary for the trajectory's header.
    public var json: JSONValue {
        [
            "project_instructions": instructions.map { .string($0.source) } ?? .null,
            "map_tokens": map.map { .number(Double($0.tokens)) } ?? .null,
            "map_files_shown": map.map { .number(Double($0.shownFiles.count)) } ?? .null,
            "map_total_files": map.map { .number(Double($0.totalFiles)) } ?? .null,
            "map_build_seconds": map.map { .number($0.buildSeconds) } ?? .null,
            "map_used_ctags": map.map { .bool($0.usedCtags) } ?? .null,
            "problems": .array(problems.map { .string($0) }),
        ]
    }
}
