import CZlib
import Foundation

/// zlib compression of the report's per-attempt data: trajectories are text that repeats
/// itself (file contents, test output), and compress five to ten times.
enum Deflate {
    /// `data` in the zlib format (RFC 1950: a two-byte header, deflate, an Adler-32 check),
    /// which the page inflates itself.
    static func compress(_ data: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        var capacity = compressBound(uLong(data.count))
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let status = data.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { buffer in
                compress2(buffer.baseAddress, &capacity, input.baseAddress, uLong(input.count), level)
            }
        }
        guard status == Z_OK else { throw ReportError("zlib could not compress \(data.count) bytes of report data (status \(status))") }
        output.removeSubrange(Int(capacity)...)
        return output
    }
}
