import Foundation

/// A path a tool was given that points outside the worktree, or is not a path at all.
public struct PathConfinementError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// Keeps every path a tool receives inside one directory: `..`, absolute paths and
/// symbolic links that resolve outside it are refused.
public struct PathConfinement: Sendable {
    /// The worktree, with symbolic links resolved.
    public let root: String

    public init(root: String) {
        self.root = URL(fileURLWithPath: root).resolvingSymlinksInPath().standardizedFileURL.path
    }

    /// Resolves a relative path against the root; refuses anything that leaves it.
    /// The result may not exist yet (a file about to be created), but every existing
    /// part of it is followed through its symbolic links.
    public func resolve(_ relativePath: String) throws -> String {
        let trimmed = relativePath.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty {
            return root
        }
        if trimmed.contains("\0") {
            throw PathConfinementError(description: "path contains a NUL byte")
        }
        var candidate = trimmed
        if candidate.hasPrefix("/") {
            // The model may echo the worktree's own absolute path back; that one is fine.
            guard candidate == root || candidate.hasPrefix(root + "/") else {
                throw PathConfinementError(
                    description: "\(relativePath) is an absolute path outside the repository; use a path relative to the repository root")
            }
            candidate = String(candidate.dropFirst(root.count)).trimmingPrefix("/").description
        }
        let lexical = URL(fileURLWithPath: root + "/" + candidate).standardizedFileURL.path
        guard lexical == root || lexical.hasPrefix(root + "/") else {
            throw PathConfinementError(description: "\(relativePath) points outside the repository (through '..')")
        }
        let resolved = resolveExistingPrefix(lexical)
        guard resolved == root || resolved.hasPrefix(root + "/") else {
            throw PathConfinementError(
                description: "\(relativePath) is a symbolic link (or passes through one) that leads outside the repository")
        }
        return resolved
    }

    /// The path relative to the root, for messages (`src/a.py`).
    public func relative(_ absolutePath: String) -> String {
        if absolutePath == root { return "." }
        if absolutePath.hasPrefix(root + "/") { return String(absolutePath.dropFirst(root.count + 1)) }
        return absolutePath
    }

    /// Follows symbolic links through every component that exists, then appends the rest.
    private func resolveExistingPrefix(_ path: String) -> String {
        var components = URL(fileURLWithPath: path).pathComponents
        var missing: [String] = []
        while components.count > 1 {
            let prefix = "/" + components.dropFirst().joined(separator: "/")
            var info = stat()
            if lstat(prefix, &info) == 0 {
                let real = URL(fileURLWithPath: prefix).resolvingSymlinksInPath().standardizedFileURL.path
                return missing.isEmpty ? real : real + "/" + missing.reversed().joined(separator: "/")
            }
            missing.append(components.removeLast())
        }
        return path
    }
}
