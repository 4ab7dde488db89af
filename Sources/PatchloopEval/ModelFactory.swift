import Foundation
import PatchloopCore
import PatchloopModels

/// A `--model` value: `provider:name`.
public struct ModelSpec: Sendable, Hashable, CustomStringConvertible {
    public var provider: String
    public var name: String

    /// Parses `provider:name`; the name may itself contain colons (`scripted:/tmp/a:b.json`).
    public init(_ text: String) throws {
        guard let colon = text.firstIndex(of: ":") else {
            throw ModelSpecError("--model '\(text)' has no provider: write it as PROVIDER:NAME, e.g. scripted:gold (providers: \(ModelFactory.providers.joined(separator: ", ")))")
        }
        provider = String(text[..<colon])
        name = String(text[text.index(after: colon)...])
        guard ModelFactory.providers.contains(provider) else {
            throw ModelSpecError("--model '\(text)': unknown provider '\(provider)' (providers: \(ModelFactory.providers.joined(separator: ", ")))")
        }
        guard !name.isEmpty else { throw ModelSpecError("--model '\(text)': the model name after '\(provider):' is empty") }
    }

    public var description: String { "\(provider):\(name)" }
}

/// A `--model` value that cannot be used.
public struct ModelSpecError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Makes the model for one task from a `--model` value. Each provider registers here.
///
/// - `scripted:gold` replays the task's gold patch as `edit` calls (a harness check).
/// - `scripted:empty` submits at once (the empty patch).
/// - `scripted:PATH` answers from a JSON script file (see `ScriptedModel`).
public enum ModelFactory {
    public static let providers = ["scripted"]

    public static func model(_ spec: ModelSpec, for task: TaskInstance) throws -> any ChatModel {
        switch spec.provider {
        case "scripted":
            switch spec.name {
            case "gold":
                guard !task.goldPatch.isEmpty else {
                    throw ModelSpecError("scripted:gold needs the task's gold.patch, and \(task.instanceID) has none")
                }
                return PatchReplayModel.model(for: task.goldPatch)
            case "empty":
                return ScriptedModel(turns: [.call("submit")], identifier: "scripted:empty")
            default:
                return try ScriptedModel(scriptAt: spec.name)
            }
        default:
            throw ModelSpecError("provider '\(spec.provider)' is not available")
        }
    }
}
