import Foundation
import PatchloopCore

/// What the trajectory view of one attempt shows, as the JSON the page reads: the task
/// statement, the trajectory's events (`step`, with `compaction` and `model_error` where
/// they happened; see `Agent`), the final patch and the hidden tests' verdicts.
///
/// The events go into the page as the trajectory recorded them, byte for byte: a report of
/// 300 attempts × 50 steps holds tens of megabytes of trajectories, and decoding and
/// re-encoding them would cost seconds where copying costs milliseconds. Only the header
/// line is decoded (for the statement and the settings); the others are checked to be
/// complete objects and sorted by their top-level `type` (see `TrajectoryScan`).
enum AttemptDetail {
    /// The detail of `attempt` as UTF-8 JSON.
    static func json(for attempt: ReportAttempt) -> [UInt8] {
        var detail: [String: JSONValue] = [
            "patch": attempt.patch.map { .string($0) } ?? .null,
            "tests": attempt.testsStatus ?? .null,
            "resolution": attempt.resolution.map { .string($0) } ?? .null,
            "detail": .string(attempt.detail),
        ]
        guard let path = attempt.trajectoryPath else {
            detail["trajectory_note"] = "no trajectory was recorded (a graded prediction, or its file is gone)"
            return Array(JSONValue.object(detail).encoded().utf8)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            detail["trajectory_note"] = .string("the trajectory \(path) could not be read")
            return Array(JSONValue.object(detail).encoded().utf8)
        }
        detail["trajectory"] = .string(path)
        var events: [UInt8] = [UInt8(ascii: "[")]
        events.reserveCapacity(data.count + 2)
        var unreadable: [JSONValue] = []
        var finished = false
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            TrajectoryScan.forEachLine(in: bytes) { number, line in
                guard let type = TrajectoryScan.type(of: line) else {
                    unreadable.append(.number(Double(number)))
                    return
                }
                switch type {
                case "step", "compaction", "model_error":
                    if events.count > 1 { events.append(UInt8(ascii: ",")) }
                    events.append(contentsOf: line)
                case "header":
                    if let header = try? JSONValue.parse(utf8: line) { describe(header, into: &detail) }
                case "result":
                    finished = true
                default:
                    break
                }
            }
        }
        events.append(UInt8(ascii: "]"))
        if !unreadable.isEmpty { detail["unreadable_lines"] = .array(unreadable) }
        if !finished { detail["trajectory_note"] = "the trajectory has no result line: the attempt was cut short" }
        // {"events":[…],<the other members>}
        var json = Array(#"{"events":"#.utf8) + events + [UInt8(ascii: ",")]
        json += JSONValue.object(detail).encoded().utf8.dropFirst()
        return json
    }

    /// The header's statement and the settings the page shows (not its tool schemas, system prompt or task files).
    static func describe(_ header: JSONValue, into detail: inout [String: JSONValue]) {
        detail["statement"] = statement(in: header).map { .string($0) } ?? .null
        var shown: [String: JSONValue] = [:]
        for key in ["model", "timestamp", "repo", "base_commit", "patchloop_version", "format_version"] {
            if let value = header[key] { shown[key] = value }
        }
        shown["budget"] = header["settings"]?["budget"]
        detail["header"] = .object(shown)
    }

    /// The task statement: the task's `problem_statement` when the header carries the task,
    /// else the first user message (the instance prompt the model was given).
    static func statement(in header: JSONValue) -> String? {
        if let text = header["task"]?["problem_statement"]?.stringValue { return text }
        return header["messages"]?.arrayValue?.first { $0["role"]?.stringValue == "user" }?["content"]?.stringValue
    }
}

/// Reads a JSON Lines trajectory without decoding it.
enum TrajectoryScan {
    /// Calls `body` with each non-empty line and its 1-based number.
    static func forEachLine(in bytes: UnsafeBufferPointer<UInt8>, _ body: (Int, UnsafeBufferPointer<UInt8>) -> Void) {
        guard let base = bytes.baseAddress else { return }
        var start = 0
        var number = 0
        while start < bytes.count {
            number += 1
            let end = memchr(base + start, 0x0A, bytes.count - start).map { UnsafeRawPointer(base).distance(to: $0) } ?? bytes.count
            if end > start { body(number, UnsafeBufferPointer(start: base + start, count: end - start)) }
            start = end + 1
        }
    }

    /// The value of the line's top-level `type` member ("" when it has none), or nil when
    /// the line is not one complete JSON object — a line cut off by a crash. Strings are
    /// skipped with `memchr`, so a line costs little more than a copy.
    static func type(of line: UnsafeBufferPointer<UInt8>) -> String? {
        guard let base = line.baseAddress else { return nil }
        let count = line.count, quote: UInt8 = 0x22, backslash: UInt8 = 0x5C
        var index = 0
        while index < count, base[index] == 0x20 || base[index] == 0x09 || base[index] == 0x0D { index += 1 }
        guard index < count, base[index] == UInt8(ascii: "{") else { return nil }
        var depth = 0
        var keyIsType = false
        var valueIsType = false
        var type: String?
        while index < count {
            switch base[index] {
            case quote:
                let start = index + 1
                var end = start
                while true {
                    guard let hit = memchr(base + end, Int32(quote), count - end) else { return nil }
                    end = UnsafeRawPointer(base).distance(to: hit)
                    var backslashes = 0
                    while end - 1 - backslashes >= start && base[end - 1 - backslashes] == backslash { backslashes += 1 }
                    if backslashes % 2 == 0 { break }
                    end += 1
                }
                if depth == 1 {
                    let text = UnsafeBufferPointer(start: base + start, count: end - start)
                    if valueIsType {
                        type = String(decoding: text, as: UTF8.self)
                        valueIsType = false
                    } else {
                        keyIsType = text.elementsEqual("type".utf8)
                    }
                }
                index = end
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth < 0 { return nil }
            case UInt8(ascii: ":"):
                valueIsType = depth == 1 && keyIsType
                keyIsType = false
            case UInt8(ascii: ","):
                keyIsType = false
                valueIsType = false
            default:
                break
            }
            index += 1
        }
        return depth == 0 ? type ?? "" : nil
    }
}
