import ArgumentParser
import Foundation
import PatchloopAgent

/// How the history is fitted into the model's window; defaults depend on the model.
struct ContextOptions: ParsableArguments {
    @Option(help: "The model's context window in tokens (default: known per model, e.g. 200000 for Claude, 8192 for the local model; unknown models: no proactive compaction).")
    var contextWindow: Int?

    @Option(help: "Compact the history once the estimated input passes this share of the window.")
    var compactAt: Double = 0.8

    @Option(help: "Observations of the latest N steps are sent whole; older ones become one-line stubs. 0 keeps every observation.")
    var keepObservations: Int = 5

    @Option(help: "Who summarises compacted history: model, digest (deterministic) or off. Default: model for hosted providers, digest for local, scripted and replay.")
    var summarizer: String?

    func validate() throws {
        if let contextWindow { try OptionRange.count(contextWindow, "--context-window", to: 1_000_000_000) }
        guard compactAt > 0, compactAt <= 1 else { throw CLIError("--compact-at must be a share between 0 and 1, e.g. 0.8") }
        try OptionRange.count(keepObservations, "--keep-observations", from: 0, to: 1_000_000)
    }

    /// The settings for `modelIdentifier`, with the options applied.
    func settings(forModel modelIdentifier: String) throws -> ContextSettings {
        try validate()
        var settings = ContextSettings.defaults(forModel: modelIdentifier)
        if let contextWindow { settings.window = contextWindow }
        settings.compactionThreshold = compactAt
        settings.keepObservations = keepObservations == 0 ? nil : keepObservations
        settings.elisionBatch = max(1, keepObservations)
        if let summarizer {
            guard let parsed = ContextSettings.Summarizer(rawValue: summarizer) else {
                throw CLIError("--summarizer must be model, digest or off, not '\(summarizer)'")
            }
            settings.summarizer = parsed
        }
        return settings
    }
}
