/// FNV-1a of a text as 16 hex digits: the same on every run and machine (Swift's `Hasher`
/// is seeded per process). For names and cache keys, never for security.
public enum StableHash {
    public static let standardOffset: UInt64 = 0xcbf2_9ce4_8422_2325

    public static func hex(_ text: String, offset: UInt64 = standardOffset) -> String {
        var hash = offset
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
