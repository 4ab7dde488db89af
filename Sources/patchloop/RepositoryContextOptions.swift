import ArgumentParser
import Foundation
import PatchloopAgent

/// The repository-context options every command that runs the agent shares.
struct RepositoryContextOptions: ParsableArguments {
    @Option(help: "Token budget of the repository map in the first prompt (the most relevant files and their definitions).")
    var mapTokens: Int = RepositoryContextSettings.defaultMapTokens

    @Flag(help: "Leave the repository map out of the first prompt.")
    var noRepoMap = false

    @Flag(help: "Leave the repository's AGENTS.md (or CONTRIBUTING.md sections) out of the first prompt.")
    var noProjectInstructions = false

    @Flag(help: "Find definitions with the plain scanner even where universal-ctags is installed.")
    var noCtags = false

    func validate() throws {
        guard mapTokens >= 0 else { throw CLIError("--map-tokens cannot be negative (0 turns the map off)") }
        try OptionRange.count(mapTokens, "--map-tokens", from: 0, to: 10_000_000)
    }

    func settings() throws -> RepositoryContextSettings {
        try validate()
        return RepositoryContextSettings(mapTokens: noRepoMap ? 0 : mapTokens, includeInstructions: !noProjectInstructions, useCtags: !noCtags)
    }
}
