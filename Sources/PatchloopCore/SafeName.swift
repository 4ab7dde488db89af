import Foundation

/// The one rule for names that come from data and become parts of paths: instance ids,
/// attempt names, run ids. Checked where the data enters (task files, predictions,
/// importers, flags), so that nothing later can build a path that leaves its folder.
///
/// A safe name is 1–200 characters of letters, digits, `.`, `_`, `-` and `+`, does not
/// start with `.` or `-` (no hidden files, no option look-alikes), and is not `.` or `..`.
/// SWE-bench's ids (`django__django-11099`) and the importers' ids (`HumanEval__0`) fit.
public enum SafeName {
    public static let maximumLength = 200

    /// Why `name` is not a safe name, or nil when it is.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "is empty" }
        let bytes = Array(name.utf8)
        if bytes.count > maximumLength { return "is \(bytes.count) bytes long (at most \(maximumLength))" }
        if bytes[0] == UInt8(ascii: ".") || bytes[0] == UInt8(ascii: "-") { return "starts with '\(Character(Unicode.Scalar(bytes[0])))'" }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "+"):
                continue
            default:
                let shown = byte >= 0x20 && byte < 0x7f ? "'\(Character(Unicode.Scalar(byte)))'" : String(format: "byte 0x%02x", byte)
                return "holds \(shown) (only letters, digits, '.', '_', '-' and '+' are allowed)"
            }
        }
        return nil
    }

    public static func isSafe(_ name: String) -> Bool { problem(with: name) == nil }

    /// A readable rendering of a name that may be huge or hold control characters.
    public static func quoted(_ name: String) -> String {
        let shown = name.count > 60 ? String(name.prefix(57)) + "…" : name
        return "'" + shown.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "?" : String($0) }.joined() + "'"
    }
}
