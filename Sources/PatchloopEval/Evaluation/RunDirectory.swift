import Foundation
import PatchloopCore

/// The files of an evaluation run (`runs/<run-id>/`), written so that a crash at any
/// moment loses nothing finished and leaves nothing that could be counted twice:
///
/// - `results/<instance_id>[.<attempt>].json` is the record of a finished attempt, written
///   whole to a temporary name and renamed, so it exists complete or not at all;
/// - `predictions.jsonl` gets one line per finished attempt, appended with one `write`;
///   on resume it is rewritten from the results, so a torn last line is redone;
/// - `config.json` (at the start) and `summary.json` (at the end) are written by rename too.
public struct RunDirectory: Sendable {
    public var path: String

    public init(_ path: String) {
        self.path = URL(fileURLWithPath: path).standardizedFileURL.path
    }

    public var configPath: String { path + "/config.json" }
    public var resultsDirectory: String { path + "/results" }
    public var predictionsPath: String { path + "/predictions.jsonl" }
    public var summaryPath: String { path + "/summary.json" }

    public var exists: Bool { FileManager.default.fileExists(atPath: configPath) }

    public func writeResult(_ record: AttemptRecord, attempts: Int) throws {
        let name = AttemptRecord.fileName(instanceID: record.instanceID, attempt: record.attempt, attempts: attempts)
        try RunFileWriter.writeAtomically(try record.fileText(), to: resultsDirectory + "/" + name)
    }

    /// Appends the attempt's prediction as one line (one `write`, so never interleaved).
    public func appendPrediction(_ record: AttemptRecord) throws {
        var line = Array((Redactor.shared.redact(try record.prediction.line()) + "\n").utf8)
        let descriptor = open(predictionsPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw RunDirectoryError("cannot open \(predictionsPath): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var offset = 0
        while offset < line.count {
            let written = line.withUnsafeMutableBytes { bytes in
                guard let start = bytes.baseAddress else { return 0 }
                return write(descriptor, start + offset, bytes.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw RunDirectoryError("cannot append to \(predictionsPath): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        line.removeAll()
    }

    /// Rewrites `predictions.jsonl` to hold exactly one line per record, in finishing order.
    public func rewritePredictions(_ records: [AttemptRecord]) throws {
        let lines = try RunDirectory.finishingOrder(records).map { try $0.prediction.line() + "\n" }
        try RunFileWriter.writeAtomically(lines.joined(), to: predictionsPath)
    }

    /// Every complete results file, and the names of those that were not (removed so their
    /// attempts run again): a crash's leftover temporary files, or files that do not parse.
    /// A record of a later format is an error: it is the work of a newer Patchloop, not a
    /// leftover, and is never removed.
    public func loadRecords() throws -> (records: [AttemptRecord], discarded: [String]) {
        let fileManager = FileManager.default
        guard fileManager.fileExists(atPath: resultsDirectory) else { return ([], []) }
        var records: [AttemptRecord] = []
        var discarded: [String] = []
        for name in try fileManager.contentsOfDirectory(atPath: resultsDirectory).sorted() {
            let file = resultsDirectory + "/" + name
            if name.hasPrefix(".") {
                try? fileManager.removeItem(atPath: file)
                continue
            }
            guard name.hasSuffix(".json") else { continue }
            do {
                guard let data = fileManager.contents(atPath: file) else { throw RunDirectoryError("\(file) cannot be read") }
                records.append(try AttemptRecord.read(data))
            } catch let error as AttemptRecordFormatError {
                throw RunDirectoryError("\(file): \(error.description)")
            } catch {
                discarded.append(name)
                try? fileManager.removeItem(atPath: file)
            }
        }
        return (records, discarded)
    }

    static func finishingOrder(_ records: [AttemptRecord]) -> [AttemptRecord] {
        records.sorted { ($0.finishedAt, $0.instanceID, $0.attempt) < ($1.finishedAt, $1.instanceID, $1.attempt) }
    }
}

/// A run directory that cannot be used; says which and why.
public struct RunDirectoryError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
