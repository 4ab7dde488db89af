import Foundation
import PatchloopCore
import PatchloopTasks

/// One entry of a predictions file: SWE-bench's `instance_id`, `model_name_or_path`, `model_patch`.
public struct Prediction: Sendable, Hashable, Encodable {
    public var instanceID: String
    public var model: String
    /// Nil when the entry has no `model_patch` (or null): SWE-bench's `patch_is_None`.
    public var patch: String?

    public init(instanceID: String, model: String, patch: String?) {
        self.instanceID = instanceID
        self.model = model
        self.patch = patch
    }

    enum CodingKeys: String, CodingKey {
        case instanceID = "instance_id", model = "model_name_or_path", patch = "model_patch"
    }

    /// The JSON Lines entry, as SWE-bench's harness reads it (a missing patch is `null`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(instanceID, forKey: .instanceID)
        try container.encode(model, forKey: .model)
        try container.encode(patch, forKey: .patch)
    }

    /// One line of `predictions.jsonl`.
    public func line() throws -> String {
        try RunFileCoding.encodeLine(self)
    }
}

/// Reads predictions as SWE-bench's harness accepts them (`get_predictions_from_file`):
/// `.jsonl` (one object a line), `.json` holding a list, or a `.json` dict keyed by
/// instance id (SWE-agent's `preds.json`). A later entry for the same id replaces an
/// earlier one, as the harness's dict does.
public enum PredictionsFile {
    public static func load(_ path: String) throws -> [String: Prediction] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TaskImportError("predictions file \(path) cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw TaskImportError("predictions file \(path) is not UTF-8 text") }
        var entries: [(String, JSONValue)] = []
        let trimmed = text.drop { $0.isWhitespace }
        if path.hasSuffix(".json") || trimmed.hasPrefix("[") {
            let document: JSONValue
            do { document = try JSONValue.parse(text) } catch {
                throw TaskImportError("predictions file \(path) is not valid JSON (\(error))")
            }
            if let list = document.arrayValue {
                entries = list.enumerated().map { ("item \($0.offset + 1)", $0.element) }
            } else if let object = document.objectValue {
                entries = object.keys.sorted().compactMap { key in
                    guard var entry = object[key]?.objectValue else { return nil }
                    if entry["instance_id"] == nil { entry["instance_id"] = .string(key) }
                    return ("key \(key)", .object(entry))
                }
            } else {
                throw TaskImportError("predictions file \(path) must hold a list, or a dict keyed by instance id")
            }
        } else {
            for (number, line) in LogText.lines(text).enumerated() where !LogText.strip(line).isEmpty {
                do {
                    entries.append(("line \(number + 1)", try JSONValue.parse(String(line))))
                } catch {
                    throw TaskImportError("predictions file \(path) line \(number + 1) is not valid JSON (\(error)): each line holds one prediction")
                }
            }
        }
        var predictions: [String: Prediction] = [:]
        for (where_, entry) in entries {
            guard let instanceID = entry["instance_id"]?.stringValue else {
                throw TaskImportError("predictions file \(path) \(where_): instance_id is missing")
            }
            if let problem = SafeName.problem(with: instanceID) {
                throw TaskImportError("predictions file \(path) \(where_): instance_id \(SafeName.quoted(instanceID)) \(problem)")
            }
            let patchValue = entry["model_patch"]
            if let patchValue, !patchValue.isNull, patchValue.stringValue == nil {
                throw TaskImportError("predictions file \(path) \(where_) (\(instanceID)): model_patch must be a string or null")
            }
            predictions[instanceID] = Prediction(
                instanceID: instanceID, model: entry["model_name_or_path"]?.stringValue ?? "unknown", patch: patchValue?.stringValue)
        }
        return predictions
    }

    /// SWE-bench's `gold`: every task's reference patch, as model `gold`.
    public static func gold(for tasks: [TaskInstance]) -> [String: Prediction] {
        Dictionary(uniqueKeysWithValues: tasks.map { ($0.instanceID, Prediction(instanceID: $0.instanceID, model: "gold", patch: $0.goldPatch)) })
    }
}
