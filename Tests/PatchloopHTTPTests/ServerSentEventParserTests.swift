import Foundation
import PatchloopHTTP
import Testing

@Suite("ServerSentEventParser")
struct ServerSentEventParserTests {
    static let text =
        ": comment\n"
        + "event: content_block_delta\n"
        + "data: {\"delta\":{\"text\":\"a\"}}\n\n"
        + "id: 42\n"
        + "data: line one\n"
        + "data:line two\n"
        + "data\n"
        + "retry: 100\n"
        + "unknown: x\n\n"
        + "data: [DONE]\n\n"

    static let expected = [
        ServerSentEvent(event: "content_block_delta", data: #"{"delta":{"text":"a"}}"#),
        ServerSentEvent(data: "line one\nline two\n", id: "42"),
        ServerSentEvent(data: "[DONE]"),
    ]

    @Test func parsesFieldsCommentsAndMultiLineData() {
        var parser = ServerSentEventParser()
        let events = parser.parse(Self.text)
        let pending = parser.finish()
        #expect(events == Self.expected)
        #expect(!pending)
    }

    @Test(arguments: ["\n", "\r\n", "\r"])
    func everyLineEndingGivesTheSameEvents(ending: String) {
        var parser = ServerSentEventParser()
        let converted = Self.text.replacingOccurrences(of: "\n", with: ending)
        #expect(parser.parse(converted) == Self.expected)
    }

    @Test(arguments: ["\n", "\r\n", "\r"])
    func everyTwoWaySplitGivesTheSameEvents(ending: String) {
        let bytes = Array(Self.text.replacingOccurrences(of: "\n", with: ending).utf8)
        for cut in 0...bytes.count {
            var parser = ServerSentEventParser()
            let events = parser.parse(Data(bytes[..<cut])) + parser.parse(Data(bytes[cut...]))
            #expect(events == Self.expected, "split at \(cut)")
        }
    }

    @Test func byteByByteGivesTheSameEvents() {
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for byte in Array("\u{FEFF}".utf8) + Array(Self.text.replacingOccurrences(of: "\n", with: "\r\n").utf8) {
            events += parser.parse(Data([byte]))
        }
        #expect(events == Self.expected)
    }

    @Test func leadingByteOrderMarkIsSkippedOnce() {
        var parser = ServerSentEventParser()
        // A second BOM is not skipped: "\u{FEFF}data" is then an unknown field, ignored.
        let events = parser.parse("\u{FEFF}data: a\n\n\u{FEFF}data: b\n\n")
        #expect(events == [ServerSentEvent(data: "a")])
    }

    @Test func multiByteCharactersSplitAcrossChunksSurvive() {
        let bytes = Array("data: ✓ü\n\n".utf8)
        var parser = ServerSentEventParser()
        let events = parser.parse(Data(bytes[..<7])) + parser.parse(Data(bytes[7...]))
        #expect(events == [ServerSentEvent(data: "✓ü")])
    }

    @Test func eventWithoutDataIsNotDispatched() {
        var parser = ServerSentEventParser()
        #expect(parser.parse("event: ping\n\n: just a comment\n\n").isEmpty)
    }

    @Test func finishReportsAnIncompleteEvent() {
        var parser = ServerSentEventParser()
        let complete = parser.parse("data: {\"a\":1}\n\ndata: [DO")
        let droppedPartialLine = parser.finish()
        let openEvent = parser.parse("data: x\n")
        let droppedOpenEvent = parser.finish()
        let droppedNothing = parser.finish()
        #expect(complete.count == 1)
        #expect(droppedPartialLine)
        #expect(openEvent.isEmpty)
        #expect(droppedOpenEvent)
        #expect(!droppedNothing)
    }
}

