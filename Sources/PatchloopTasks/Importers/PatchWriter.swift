import Foundation

/// Writes the small unified diffs importers need (`git apply` and `patch -p1` accept them).
enum PatchWriter {
    /// A diff that turns `old` into `new` in `path`: one hunk around the lines that
    /// differ, with three lines of context. Both texts should end with a newline.
    static func modification(path: String, old: String, new: String) -> String {
        let before = lines(old)
        let after = lines(new)
        guard before != after else { return "" }
        var prefix = 0
        while prefix < before.count, prefix < after.count, before[prefix] == after[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < before.count - prefix, suffix < after.count - prefix,
            before[before.count - 1 - suffix] == after[after.count - 1 - suffix]
        {
            suffix += 1
        }
        let start = max(0, prefix - 3)
        let oldEnd = min(before.count, before.count - suffix + 3)
        let newEnd = min(after.count, after.count - suffix + 3)
        var text = "diff --git a/\(path) b/\(path)\n--- a/\(path)\n+++ b/\(path)\n"
        text += "@@ -\(range(start, oldEnd - start)) +\(range(start, newEnd - start)) @@\n"
        for line in before[start..<prefix] { text += " " + line }
        for line in before[prefix..<(before.count - suffix)] { text += "-" + line }
        for line in after[prefix..<(after.count - suffix)] { text += "+" + line }
        for line in before[(before.count - suffix)..<oldEnd] { text += " " + line }
        return text
    }

    /// A diff that adds the new file `path` holding `content`.
    static func addition(path: String, content: String) -> String {
        let added = lines(content)
        var text = "diff --git a/\(path) b/\(path)\nnew file mode 100644\n--- /dev/null\n+++ b/\(path)\n"
        text += "@@ -0,0 +\(range(0, added.count)) @@\n"
        for line in added { text += "+" + line }
        return text
    }

    /// `start,count` as a hunk header writes it (1-based; an empty range names the line before).
    private static func range(_ start: Int, _ count: Int) -> String {
        count == 0 ? "\(start),0" : "\(start + 1),\(count)"
    }

    /// Lines with their newlines; a last line without one gets one (importers only write such texts).
    private static func lines(_ text: String) -> [String] {
        var result = LogText.lines(text).map { String($0) + "\n" }
        if result.last == "\n" { result.removeLast() }
        return result
    }
}
