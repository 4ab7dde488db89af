// Compiled only once PatchloopTesting depends on PatchloopHTTP (Package.swift), so that
// this file cannot break the target's build before that dependency is declared.
#if canImport(PatchloopHTTP)
import Foundation
import PatchloopHTTP
import PatchloopTesting
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Measures what `HTTPClient` costs against `FakeHTTPServer` on 127.0.0.1: the time per
/// small request, and the delay between the last byte of a Server-Sent Event leaving the
/// server and the event reaching the consumer. Everything stays on loopback.
public enum HTTPBenchmark {
    /// Runs both measurements and returns a short report.
    ///
    /// - Parameters:
    ///   - requests: sequential small POSTs to time (after 20 unmeasured warm-up ones).
    ///   - events: events in the streamed response, one every `eventInterval`.
    public static func run(requests: Int = 1000, events: Int = 200, eventInterval: Duration = .milliseconds(5)) async throws -> String {
        let server = try FakeHTTPServer { request in
            request.path == "/stream"
                ? .openAIStream((0..<events).map { #"{"index":\#($0)}"# }, delay: eventInterval, done: false)
                : .json(#"{"id":"chatcmpl-1","choices":[{"message":{"content":"ok"}}]}"#)
        }
        defer { server.stop() }
        let client = HTTPClient()
        let payload = Data(#"{"model":"bench","messages":[{"role":"user","content":"hi"}]}"#.utf8)
        let request = HTTPRequest(url: server.url("/v1/chat/completions"), headers: [("Authorization", "Bearer x")], body: payload)

        for _ in 0..<20 { _ = try await client.send(request) }
        var sendTimes: [Double] = []
        sendTimes.reserveCapacity(requests)
        for _ in 0..<requests {
            let start = ContinuousClock.now
            _ = try await client.send(request)
            sendTimes.append(milliseconds(ContinuousClock.now - start))
        }

        // The same exchange over a bare blocking socket: what the server and the loopback
        // TCP handshake cost by themselves.
        var rawTimes: [Double] = []
        let rawRequest = Array(
            ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(payload.count)\r\n\r\n").utf8
        ) + Array(payload)
        for index in 0..<(requests + 20) {
            let start = ContinuousClock.now
            guard rawExchange(port: server.port, request: rawRequest) else { continue }
            if index >= 20 { rawTimes.append(milliseconds(ContinuousClock.now - start)) }
        }

        let writesBefore = server.chunkWriteTimes.count
        var deliveries: [ContinuousClock.Instant] = []
        deliveries.reserveCapacity(events)
        let stream = try await client.stream(HTTPRequest(url: server.url("/stream"), method: "POST", body: payload))
        for try await _ in stream.events() { deliveries.append(.now) }
        let writes = Array(server.chunkWriteTimes.dropFirst(writesBefore))
        let latencies = zip(writes, deliveries).map { milliseconds($1 - $0) }

        func line(_ label: String, _ values: [Double]) -> String {
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return "\(label): no samples" }
            func at(_ fraction: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))] }
            return String(
                format: "%@: median %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms (n=%d)",
                label, at(0.5), at(0.9), at(0.99), sorted[sorted.count - 1], sorted.count
            )
        }
        return [
            line("HTTPClient.send, small POST (new connection each)", sendTimes),
            line("bare socket, same exchange (baseline)", rawTimes),
            line("SSE last byte written -> event delivered", latencies),
            "events delivered: \(deliveries.count) of \(events)",
        ].joined(separator: "\n")
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    /// Connects, writes `request`, reads until the server closes. `false` on any failure.
    private static func rawExchange(port: Int, request: [UInt8]) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return false }
        var yes: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else { return false }
        var buffer = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<1000 {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return true }
            if count < 0 { return false }
        }
        return false
    }
}
#endif
