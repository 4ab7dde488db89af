import Foundation

/// A path a tool was given that points outside the worktree, or is not a path at all.
public struct PathConfinementError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// Keeps every path a tool receives inside one directory: `..`, absolute paths and
/// symbolic links that resolve outside it are refused, and so is anything inside a
/// `.git` (the worktree's link to its repository is Patchloop's, not the model's).
///
/// Linear in the path's length: an over-long path is refused before it is looked at.
public struct PathConfinement: Sendable {
    /// The worktree, with symbolic links resolved.
    public let root: String
    /// Linux's PATH_MAX: no real path is longer.
    public static let maximumPathBytes = 4096

    public init(root: String) {
        self.root = URL(fileURLWithPath: root).resolvingSymlinksInPath().standardizedFileURL.path
    }

    /// Resolves a relative path against the root; refuses anything that leaves it.
    /// The result may not exist yet (a file about to be created), but every existing
    /// part of it is followed through its symbolic links.
    public func resolve(_ relativePath: String) throws -> String {
        let length = relativePath.utf8.count
        if length > PathConfinement.maximumPathBytes {
            throw PathConfinementError(description: "the path is \(length) bytes long; a path has at most \(PathConfinement.maximumPathBytes)")
        }
        let trimmed = relativePath.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty {
            return root
        }
        if trimmed.utf8.contains(0) {
            throw PathConfinementError(description: "path contains a NUL byte")
        }
        var candidate = Substring(trimmed)
        if candidate.hasPrefix("/") {
            // The model may echo the worktree's own absolute path back; that one is fine.
            guard candidate == root || candidate.hasPrefix(root + "/") else {
                throw PathConfinementError(
                    description: "\(relativePath) is an absolute path outside the repository; use a path relative to the repository root")
            }
            candidate = candidate.dropFirst(root.count)
        }
        // One pass over the components: '.' dropped, '..' taken back, never above the root.
        var parts: [Substring] = []
        for component in candidate.split(separator: "/") {
            if component == "." { continue }
            if component == ".." {
                guard !parts.isEmpty else {
                    throw PathConfinementError(description: "\(relativePath) points outside the repository (through '..')")
                }
                parts.removeLast()
                continue
            }
            parts.append(component)
        }
        try refuseGitDirectory(parts, shown: relativePath)
        let resolved = try followLinks(parts, shown: relativePath)
        if resolved != root {
            try refuseGitDirectory(resolved.dropFirst(root.count + 1).split(separator: "/"), shown: relativePath)
        }
        return resolved
    }

    /// The path relative to the root, for messages (`src/a.py`).
    public func relative(_ absolutePath: String) -> String {
        if absolutePath == root { return "." }
        if absolutePath.hasPrefix(root + "/") { return String(absolutePath.dropFirst(root.count + 1)) }
        return absolutePath
    }

    private func refuseGitDirectory<C: Collection>(_ parts: C, shown: String) throws where C.Element == Substring {
        if parts.contains(where: { PatchPaths.isGitDirectoryName($0) }) {
            throw PathConfinementError(
                description: "\(shown) is inside .git, which belongs to Patchloop's sandbox: read and change the project's own files instead")
        }
    }

    /// Walks the components from the root, following each symbolic link it meets; the
    /// first missing component ends the walk (the rest is appended as it is).
    private func followLinks(_ parts: [Substring], shown: String, depth: Int = 0) throws -> String {
        guard depth < 40 else { throw PathConfinementError(description: "\(shown) passes through too many symbolic links") }
        var current = root
        for (index, component) in parts.enumerated() {
            let next = current + "/" + component
            var info = stat()
            guard lstat(next, &info) == 0 else {
                return ([current] + parts[index...].map(String.init)).joined(separator: "/")
            }
            if (info.st_mode & S_IFMT) == S_IFLNK {
                current = try linkTarget(next, shown: shown, depth: depth + 1)
            } else {
                current = next
            }
        }
        return current
    }

    /// Where a symbolic link leads, followed hop by hop (a dangling link too: writing
    /// through one would create its target), refused as soon as a hop leaves the root.
    private func linkTarget(_ link: String, shown: String, depth: Int) throws -> String {
        var path = link
        for _ in 0..<40 {
            guard let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else { return path }
            let parent = (path as NSString).deletingLastPathComponent
            let target = URL(fileURLWithPath: destination.hasPrefix("/") ? destination : parent + "/" + destination).standardizedFileURL.path
            guard target == root || target.hasPrefix(root + "/") else {
                throw PathConfinementError(
                    description: "\(shown) is a symbolic link (or passes through one) that leads outside the repository")
            }
            if target == root { return root }
            // The target's folders may be links too; its last component is this loop's next hop.
            let targetParts = target.dropFirst(root.count + 1).split(separator: "/")
            let folder = try followLinks(Array(targetParts.dropLast()), shown: shown, depth: depth + 1)
            path = folder + "/" + (targetParts.last.map(String.init) ?? "")
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { return path }
        }
        throw PathConfinementError(description: "\(shown) passes through too many symbolic links")
    }
}
