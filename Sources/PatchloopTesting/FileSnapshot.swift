import Foundation

/// Every file under a folder (a `.git` folder included) with its bytes: two snapshots are
/// equal when nothing in the folder changed (tests that a user's checkout is left alone).
public enum FileSnapshot {
    public static func of(_ root: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let entry = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: root + "/" + entry, isDirectory: &isDirectory)
            files[entry] = isDirectory.boolValue ? Data("<dir>".utf8) : try Data(contentsOf: URL(fileURLWithPath: root + "/" + entry))
        }
        return files
    }
}
