public import Foundation

/// An incremental parser of a `text/event-stream` body, fed with chunks split anywhere.
///
/// It follows the WHATWG rules that matter for model APIs: lines end with CRLF, LF or a
/// lone CR (also when the CR and LF arrive in different chunks); a line starting with
/// `:` is a comment; `field: value` loses one space after the colon; several `data:`
/// lines join with `"\n"`; a blank line dispatches the event, unless it had no data.
/// A leading UTF-8 byte-order mark is skipped. An event still open at the end of the
/// stream is discarded, as the standard says: `finish()` reports whether one was.
public struct ServerSentEventParser: Sendable {
    private var line: [UInt8] = []
    private var afterCarriageReturn = false
    private var atStreamStart = true
    private var bomBytesSeen = 0
    private var dataLines: [String] = []
    private var hasData = false
    private var eventType: String?
    private var eventID: String?
    private var eventOpen = false

    /// Makes a parser at the start of a stream.
    public init() {}

    /// Feeds the next chunk and returns the events it completed, in order.
    public mutating func parse(_ chunk: Data) -> [ServerSentEvent] {
        chunk.withUnsafeBytes { raw in
            parse(bytes: raw.bindMemory(to: UInt8.self))
        }
    }

    /// Feeds the next chunk of UTF-8 text (convenient in tests).
    public mutating func parse(_ text: String) -> [ServerSentEvent] {
        parse(Data(text.utf8))
    }

    /// Ends the stream. Returns `true` when an incomplete event (a line or fields without
    /// the blank line that dispatches them) was pending and has been dropped.
    @discardableResult
    public mutating func finish() -> Bool {
        let pending = eventOpen || !line.isEmpty
        self = ServerSentEventParser()
        return pending
    }

    private mutating func parse(bytes: UnsafeBufferPointer<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        var index = 0
        let count = bytes.count
        if atStreamStart {
            // Skip a UTF-8 BOM (EF BB BF), which may itself be split across chunks.
            let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
            while index < count, bomBytesSeen < 3, bytes[index] == bom[bomBytesSeen] {
                bomBytesSeen += 1
                index += 1
            }
            if index < count || bomBytesSeen == 3 {
                if bomBytesSeen > 0 && bomBytesSeen < 3 {
                    // A partial BOM followed by something else was data after all.
                    line.append(contentsOf: bom[0..<bomBytesSeen])
                }
                atStreamStart = false
            }
        }
        var lineStart = index
        while index < count {
            let byte = bytes[index]
            if byte == 0x0A || byte == 0x0D {
                if byte == 0x0A && afterCarriageReturn && lineStart == index && line.isEmpty {
                    // The LF of a CRLF whose CR ended the previous line.
                    afterCarriageReturn = false
                    index += 1
                    lineStart = index
                    continue
                }
                line.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[lineStart..<index]))
                if let event = processLine() { events.append(event) }
                line.removeAll(keepingCapacity: true)
                afterCarriageReturn = byte == 0x0D
                index += 1
                lineStart = index
            } else {
                afterCarriageReturn = false
                index += 1
            }
        }
        if lineStart < count {
            line.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[lineStart..<count]))
        }
        return events
    }

    private mutating func processLine() -> ServerSentEvent? {
        if line.isEmpty {
            return dispatch()
        }
        if line[0] == UInt8(ascii: ":") {
            return nil
        }
        eventOpen = true
        let field: String
        let value: String
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = String(decoding: line[..<colon], as: UTF8.self)
            var valueStart = colon + 1
            if valueStart < line.count, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
            value = String(decoding: line[valueStart...], as: UTF8.self)
        } else {
            field = String(decoding: line, as: UTF8.self)
            value = ""
        }
        switch field {
        case "data":
            dataLines.append(value)
            hasData = true
        case "event":
            eventType = value
        case "id":
            if !value.utf8.contains(0) { eventID = value }
        default:
            break  // `retry` and unknown fields do not concern this client.
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            dataLines.removeAll(keepingCapacity: true)
            hasData = false
            eventType = nil
            eventID = nil
            eventOpen = false
        }
        guard hasData else { return nil }
        let type = (eventType?.isEmpty ?? true) ? nil : eventType
        return ServerSentEvent(event: type, data: dataLines.joined(separator: "\n"), id: eventID)
    }
}
