import Foundation

/// Errors as a person or a model reads them: one sentence, never a Foundation dump such
/// as `Error Domain=NSCocoaErrorDomain Code=640 "(null)" UserInfo={…}`.
public enum ErrorText {
    /// Patchloop's own errors say themselves (their `description`); Foundation's file and
    /// system errors become "what happened, to which file".
    public static func sentence(for error: any Error) -> String {
        if let error = error as? CocoaError { return cocoa(error) }
        if let error = error as? POSIXError { return String(cString: strerror(error.code.rawValue)) }
        if let error = error as? DecodingError { return RunFileCoding.sentence(for: error) }
        let text = "\(error)"
        if !text.contains("Error Domain=") { return text }
        let bridged = error as NSError
        if bridged.domain == NSCocoaErrorDomain { return cocoa(CocoaError(CocoaError.Code(rawValue: bridged.code), userInfo: bridged.userInfo)) }
        if bridged.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(bridged.code))) }
        return bridged.localizedDescription
    }

    static func cocoa(_ error: CocoaError) -> String {
        let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
        let what: String
        switch error.code {
        case .fileNoSuchFile, .fileReadNoSuchFile: what = "no such file or folder"
        case .fileReadNoPermission, .fileWriteNoPermission: what = "permission denied"
        case .fileWriteOutOfSpace: what = "the disk is full"
        case .fileWriteFileExists: what = "it already exists"
        case .fileWriteVolumeReadOnly: what = "the file system is read-only"
        case .fileReadCorruptFile: what = "the file is damaged or not in the expected format"
        case .fileReadInapplicableStringEncoding, .fileWriteInapplicableStringEncoding: what = "the text is not valid UTF-8"
        case .fileReadTooLarge: what = "the file is too large"
        case .fileLocking: what = "the file is locked"
        default:
            if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
                what = String(cString: strerror(Int32(underlying.code)))
            } else {
                what = "file operation failed (code \(error.code.rawValue))"
            }
        }
        return path.map { "\($0): \(what)" } ?? what
    }
}
