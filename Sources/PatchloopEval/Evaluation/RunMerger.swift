import Foundation
import PatchloopCore

/// Joins the run directories of a sharded run (`--shard 0/N` … `--shard N-1/N`) into one
/// run directory whose summary is the one an unsharded run would have written.
public enum RunMerger {
    /// Merges `shards` into `output`; returns the merged summary.
    @discardableResult
    public static func merge(_ shards: [String], into output: String) throws -> RunSummary.Document {
        guard !shards.isEmpty else { throw RunDirectoryError("merge: name the shards' run directories") }
        let settings = try shards.map { try EvaluationSettings.load(runDirectory: $0) }
        let first = settings[0]
        for (path, other) in zip(shards, settings) {
            guard other.instanceIDs == first.instanceIDs, other.attempts == first.attempts, other.kind == first.kind else {
                throw RunDirectoryError("merge: \(path) is a different run (its task set, attempts or kind differ from \(shards[0])'s)")
            }
        }
        let shardCount = first.shard?.count ?? 1
        let indices = settings.map { $0.shard?.index ?? 0 }
        if settings.contains(where: { ($0.shard?.count ?? 1) != shardCount }) || Set(indices).count != indices.count {
            throw RunDirectoryError("merge: the directories must be distinct shards of one split (got shards \(settings.map { $0.shard?.description ?? "none" }.joined(separator: ", ")))")
        }
        let missing = Set(0..<shardCount).subtracting(indices).sorted()
        if !missing.isEmpty {
            throw RunDirectoryError("merge: shard\(missing.count == 1 ? "" : "s") \(missing.map { "\($0)/\(shardCount)" }.joined(separator: ", ")) missing; merge every shard of the split")
        }
        let destination = RunDirectory(output)
        if destination.exists { throw RunDirectoryError("merge: \(output) already holds a run; choose another --output") }

        var records: [AttemptRecord] = []
        let fileManager = FileManager.default
        for path in shards {
            let shard = RunDirectory(path)
            guard fileManager.fileExists(atPath: shard.summaryPath) else {
                throw RunDirectoryError("merge: \(path) has no summary.json — the shard has not finished; resume it with `patchloop eval --resume \(path)`")
            }
            let (shardRecords, _) = try shard.loadRecords()
            records += shardRecords
            for folder in ["results", "trajectories", "patches"] {
                let source = shard.path + "/" + folder
                guard let names = try? fileManager.contentsOfDirectory(atPath: source) else { continue }
                try fileManager.createDirectory(atPath: destination.path + "/" + folder, withIntermediateDirectories: true)
                for name in names where !name.hasPrefix(".") {
                    let target = destination.path + "/" + folder + "/" + name
                    if fileManager.fileExists(atPath: target) { throw RunDirectoryError("merge: \(folder)/\(name) is in two shards") }
                    try fileManager.copyItem(atPath: source + "/" + name, toPath: target)
                }
            }
        }
        var merged = first
        merged.shard = nil
        merged.outputDirectory = destination.path
        merged.mergedFrom = shards.map { RunDirectory($0).path }
        try RunFileWriter.writeAtomically(try merged.fileText(), to: destination.configPath)
        try destination.rewritePredictions(records)

        let budgetNotes = try shards.compactMap { path -> String? in
            guard let data = fileManager.contents(atPath: RunDirectory(path).summaryPath) else { return nil }
            return try RunFileCoding.decode(RunSummary.Document.self, from: data).budget.exhausted.map { "shard \(path): \($0)" }
        }
        let summary = RunSummary(
            instanceIDs: first.instanceIDs, attemptsPerInstance: first.attempts, records: records,
            model: records.first?.model ?? "unknown", budget: first.totalBudget,
            budgetExhausted: budgetNotes.isEmpty ? nil : budgetNotes.joined(separator: "; "))
        let document = summary.document
        try RunFileWriter.writeAtomically(try RunFileCoding.encodePretty(document) + "\n", to: destination.summaryPath)
        return document
    }
}
