/// One Server-Sent Event as dispatched by a blank line.
///
/// `data` joins the event's `data:` lines with `"\n"`. `event` and `id` are the values of
/// this event's own `event:` and `id:` fields, or `nil` when it had none (unlike a
/// browser, which defaults the type to `message` and carries the last id forward).
public struct ServerSentEvent: Sendable, Hashable {
    /// The `event:` field, such as Anthropic's `content_block_delta`.
    public var event: String?
    /// The `data:` lines joined with newlines, such as OpenAI's chunk JSON or `[DONE]`.
    public var data: String
    /// The `id:` field.
    public var id: String?

    /// Makes an event value.
    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }
}
