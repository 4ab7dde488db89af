import Foundation
import PatchloopCore
import PatchloopWorkspace

/// Writes a trajectory as JSON Lines: one event a line, each written through to the
/// file as soon as it happens, so a run killed at any point leaves every finished step
/// readable. Every string is scrubbed of the process's secret values before it is written.
///
/// Line 1 is the `header` (format version, task, model, settings, tool schemas,
/// Patchloop version); then one `step` per model call; the last line is the `result`.
public final class TrajectoryRecorder: @unchecked Sendable {
    // @unchecked: the file descriptor is only touched under `lock`.
    public static let formatVersion = 1

    public let path: String
    private let descriptor: Int32
    private let lock = NSLock()
    private let redactor: Redactor

    /// Creates (or truncates) the trajectory file, making its directory if needed.
    public init(path: String, redactor: Redactor = .shared) throws {
        self.path = path
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw SandboxError("cannot write the trajectory \(path): \(String(cString: strerror(errno)))")
        }
        self.redactor = redactor
    }

    deinit {
        close(descriptor)
    }

    /// Appends one event (an object with a `type`) as one line.
    public func record(_ event: JSONValue) {
        var line = redactor.redact(event.encoded())
        line += "\n"
        lock.lock()
        defer { lock.unlock() }
        line.utf8CString.withUnsafeBufferPointer { buffer in
            // One write per line: with O_APPEND a line is never interleaved or torn by another writer.
            var offset = 0
            let count = buffer.count - 1  // without the terminating NUL
            while offset < count {
                let written = write(descriptor, buffer.baseAddress! + offset, count - offset)
                if written <= 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// ISO-8601 UTC time with milliseconds, as every event carries it.
    public static func timestamp(_ date: Date = Date()) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        let milliseconds = Int((seconds - Double(whole)) * 1000)
        var parts = tm()
        gmtime_r(&whole, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), milliseconds)
    }
}

/// Reads a trajectory back: its events in order. A torn last line (a run killed
/// mid-write) is reported, not fatal.
public struct TrajectoryFile: Sendable {
    public var events: [JSONValue]
    /// Lines that did not parse, with their numbers (a killed run's last line).
    public var unreadableLines: [Int]

    public init(path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SandboxError("cannot read trajectory \(path): \(error.localizedDescription)")
        }
        var events: [JSONValue] = []
        var unreadable: [Int] = []
        for (line, value) in JSONValue.parseLines(data) {
            switch value {
            case .success(let event): events.append(event)
            case .failure: unreadable.append(line)
            }
        }
        self.events = events
        self.unreadableLines = unreadable
    }

    public var header: JSONValue? { events.first { $0["type"]?.stringValue == "header" } }
    public var steps: [JSONValue] { events.filter { $0["type"]?.stringValue == "step" } }
    public var result: JSONValue? { events.last { $0["type"]?.stringValue == "result" } }
}
