import Foundation
import PatchloopCore

/// A task made by an importer, ready to be written as a `Tasks/<instance_id>/` folder.
public struct ImportedTask: Sendable {
    public var instanceID: String
    /// What `task.json` holds.
    public var document: [String: JSONValue]
    /// The repository's files at the base state (`repo/`); nil for tasks that point at a clone.
    public var repositoryFiles: [String: String]?
    public var goldPatch: String
    public var testPatch: String

    public init(instanceID: String, document: [String: JSONValue], repositoryFiles: [String: String]?, goldPatch: String, testPatch: String) {
        self.instanceID = instanceID
        self.document = document
        self.repositoryFiles = repositoryFiles
        self.goldPatch = goldPatch
        self.testPatch = testPatch
    }
}

/// An import that cannot be done; the message names the file, the row and what to fix.
public struct TaskImportError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Writes imported tasks in the bundled layout: `task.json`, `repo/`, `gold.patch`, `test.patch`.
public enum TaskWriter {
    /// Writes each task to `directory/<instance_id>/`. An existing task folder is an error
    /// unless `overwrite` (then it is replaced); nothing is written when any would clash.
    @discardableResult
    public static func write(_ tasks: [ImportedTask], to directory: String, overwrite: Bool = false) throws -> [String] {
        let fileManager = FileManager.default
        var seen = Set<String>()
        for task in tasks {
            if let problem = SafeName.problem(with: task.instanceID) {
                throw TaskImportError("instance_id \(SafeName.quoted(task.instanceID)) \(problem): it cannot name a task folder")
            }
            guard seen.insert(task.instanceID).inserted else {
                throw TaskImportError("instance_id '\(task.instanceID)' appears twice in the input: ids must be unique")
            }
        }
        if !overwrite {
            let clashes = tasks.map(\.instanceID).filter { fileManager.fileExists(atPath: directory + "/" + $0) }
            if !clashes.isEmpty {
                throw TaskImportError(
                    "\(directory) already holds \(clashes.count) of these tasks (\(clashes.prefix(3).joined(separator: ", "))\(clashes.count > 3 ? ", …" : "")): pass --overwrite to replace them, or import into another folder")
            }
        }
        try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var written: [String] = []
        for task in tasks {
            let final = directory + "/" + task.instanceID
            // Written beside its place and renamed, so a crash never leaves half a task.
            let staging = directory + "/.import-\(UUID().uuidString)"
            try fileManager.createDirectory(atPath: staging, withIntermediateDirectories: true)
            do {
                try (JSONValue.object(task.document).prettyEncoded() + "\n").write(toFile: staging + "/task.json", atomically: false, encoding: .utf8)
                if !task.goldPatch.isEmpty { try task.goldPatch.write(toFile: staging + "/gold.patch", atomically: false, encoding: .utf8) }
                if !task.testPatch.isEmpty { try task.testPatch.write(toFile: staging + "/test.patch", atomically: false, encoding: .utf8) }
                if let files = task.repositoryFiles {
                    for (path, content) in files {
                        let full = staging + "/repo/" + path
                        try fileManager.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                        try content.write(toFile: full, atomically: false, encoding: .utf8)
                    }
                }
                if fileManager.fileExists(atPath: final) { try fileManager.removeItem(atPath: final) }
                try fileManager.moveItem(atPath: staging, toPath: final)
            } catch {
                try? fileManager.removeItem(atPath: staging)
                throw error
            }
            written.append(final)
        }
        return written
    }
}
