import Foundation

/// Checks the paths a patch names before any program applies it: a candidate patch is
/// untrusted, and `patch` (unlike `git apply`) will write wherever its headers say —
/// into `.git`, to an absolute path, or up through `..`.
public enum PatchPaths {
    /// Why `patch` must not be applied, or nil when every path it names is an ordinary
    /// path inside the tree.
    public static func problem(in patch: String) -> String? {
        // Inside a unified hunk, lines are content ("--- x" may be a removed "-- x"), so
        // only header lines are read: the hunk's line counts say where it ends.
        var oldLeft = 0
        var newLeft = 0
        for rawLine in patch.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = Substring(rawLine)
            if oldLeft > 0 || newLeft > 0 {
                switch line.first {
                case " ": oldLeft -= 1; newLeft -= 1; continue
                case "-": oldLeft -= 1; continue
                case "+": newLeft -= 1; continue
                case "\\": continue
                case nil: oldLeft -= 1; newLeft -= 1; continue  // an empty context line some tools write
                default: oldLeft = 0; newLeft = 0
                }
            }
            if line.hasPrefix("@@ "), let counts = hunkCounts(line) {
                (oldLeft, newLeft) = counts
                continue
            }
            for path in headerPaths(line) {
                if let problem = problem(withPath: path) {
                    return "the patch names \(quoted(path)), which \(problem)"
                }
            }
        }
        return nil
    }

    /// `@@ -a,b +c,d @@` → (b, d); a missing count is 1.
    static func hunkCounts(_ line: Substring) -> (Int, Int)? {
        let fields = line.split(separator: " ")
        guard fields.count >= 3, fields[1].hasPrefix("-"), fields[2].hasPrefix("+") else { return nil }
        func count(_ field: Substring) -> Int? {
            let parts = field.dropFirst().split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count <= 2, Int(parts[0]) != nil else { return nil }
            return parts.count == 2 ? Int(parts[1]) : 1
        }
        guard let old = count(fields[1]), let new = count(fields[2]) else { return nil }
        return (old, new)
    }

    /// The paths a header line names, for every header form GNU patch or git reads.
    static func headerPaths(_ line: Substring) -> [String] {
        let prefixes = ["--- ", "+++ ", "*** ", "rename from ", "rename to ", "copy from ", "copy to ", "Index: ", "Prereq: "]
        if line.hasPrefix("diff --git ") {
            return splitGitHeader(line.dropFirst("diff --git ".count))
        }
        if line.hasPrefix("*** ") && line.hasSuffix(" ****") { return [] }  // a context diff's hunk header
        if line.hasPrefix("--- ") && line.hasSuffix(" ----") { return [] }
        for prefix in prefixes where line.hasPrefix(prefix) {
            if prefix == "Prereq: " { return [] }
            var path = String(line.dropFirst(prefix.count))
            // Timestamps follow a tab in unified and context headers.
            if let tab = path.firstIndex(of: "\t") { path = String(path[..<tab]) }
            return [unquote(path.trimmingCharacters(in: .whitespaces))]
        }
        return []
    }

    /// `a/x b/y` → both paths (quoted forms included).
    static func splitGitHeader(_ rest: Substring) -> [String] {
        let text = String(rest)
        if text.hasPrefix("\"") {
            // "a/x" "b/y" or "a/x" b/y
            var parts: [String] = []
            var current = ""
            var inQuotes = false
            var escaped = false
            for character in text {
                if escaped {
                    current.append(character)
                    escaped = false
                } else if character == "\\" && inQuotes {
                    current.append(character)
                    escaped = true
                } else if character == "\"" {
                    current.append(character)
                    inQuotes.toggle()
                } else if character == " " && !inQuotes {
                    if !current.isEmpty { parts.append(unquote(current)) }
                    current = ""
                } else {
                    current.append(character)
                }
            }
            if !current.isEmpty { parts.append(unquote(current)) }
            return parts
        }
        // Unquoted: every split point is a candidate, so check both halves of each.
        return text.split(separator: " ").map(String.init) + [text]
    }

    /// C-style quoting as git writes it (`"a/tab\there"`).
    static func unquote(_ text: String) -> String {
        guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else { return text }
        var result = ""
        var escaped = false
        for character in text.dropFirst().dropLast() {
            if escaped {
                switch character {
                case "t": result.append("\t")
                case "n": result.append("\n")
                default: result.append(character)
                }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// Why one path from a header is not allowed, or nil.
    public static func problem(withPath path: String) -> String? {
        if path == "/dev/null" { return nil }
        if path.hasPrefix("/") { return "is absolute" }
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        for component in components {
            if component == ".." { return "climbs out of the tree through '..'" }
            if isGitDirectoryName(component) { return "is inside a .git folder, which no patch may touch" }
            // The per-attempt install's layer: a patch that rewrote its `pytest` would grade itself.
            if component == layerFolder { return "is inside \(layerFolder), the environment Patchloop installs per attempt, which no patch may touch" }
        }
        return nil
    }

    /// The folder of an attempt's per-attempt install (`EnvironmentActivation.layerFolder`).
    public static let layerFolder = ".patchloop-venv"

    /// `.git`, in any case, with the trailing dots or spaces some file systems drop.
    public static func isGitDirectoryName<S: StringProtocol>(_ component: S) -> Bool {
        var name = component.lowercased()
        while name.hasSuffix(".") || name.hasSuffix(" ") { name.removeLast() }
        return name == ".git"
    }

    static func quoted(_ path: String) -> String {
        let shown = path.count > 80 ? String(path.prefix(77)) + "…" : path
        return "'\(shown)'"
    }
}
