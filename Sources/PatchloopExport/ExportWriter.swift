import Foundation
import PatchloopCore

/// Writes an export: JSON Lines to a file or standard output, a provenance sidecar, or
/// one file per attempt for SWE-agent.
public enum ExportWriter {
    public static func write(_ result: ExportResult, format: ExportFormat, to destination: String?, sidecar: Bool) throws {
        if format == .sweAgent {
            guard let destination else { throw ExportError("swe-agent export needs an output directory") }
            for (path, document) in result.files {
                let full = destination + "/" + path
                try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Redactor.shared.redact(document.prettyEncoded() + "\n").write(toFile: full, atomically: true, encoding: .utf8)
            }
            return
        }
        let text = result.rows.map { $0.encoded() + "\n" }.joined()
        guard let destination else {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent.isEmpty ? "." : (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Redactor.shared.redact(text).write(toFile: destination, atomically: true, encoding: .utf8)
        if sidecar {
            let meta = result.provenance.map { $0.encoded() + "\n" }.joined()
            try meta.write(toFile: sidecarPath(for: destination), atomically: true, encoding: .utf8)
        }
    }

    /// `train.jsonl` → `train.meta.jsonl`.
    public static func sidecarPath(for path: String) -> String {
        path.hasSuffix(".jsonl") ? String(path.dropLast(6)) + ".meta.jsonl" : path + ".meta.jsonl"
    }
}

/// A list of task ids to keep out of training data: one per line (`#` starts a comment),
/// or a JSON list.
public enum ExcludedTasks {
    public static func load(_ path: String) throws -> Set<String> {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ExportError("cannot read the list of excluded tasks \(path)")
        }
        if let list = try? JSONValue.parse(text), let items = list.arrayValue {
            return Set(items.compactMap(\.stringValue))
        }
        return Set(
            text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") })
    }
}
