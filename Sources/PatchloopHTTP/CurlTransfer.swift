internal import CCurl
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Status and headers of a streamed response, handed over once the header block ends.
/// `errorBody` is set when the status is 400 or more: then the transfer has already
/// run to completion and the body was collected here instead of being streamed.
struct StreamHead: Sendable {
    var status: Int
    var headers: [String: String]
    var errorBody: Data?
}

/// Where a transfer's results go.
enum TransferDelivery: Sendable {
    /// Collect the whole body; resume once with the response or the failure.
    case buffered(CheckedContinuation<HTTPResponse, any Error>)
    /// Resume `head` when the headers are in, then feed `body` chunk by chunk.
    case streaming(head: CheckedContinuation<StreamHead, any Error>, body: AsyncThrowingStream<Data, any Error>.Continuation)
}

/// One HTTP exchange run by libcurl on a thread of its own.
///
/// The transfer thread drives a multi handle (`curl_multi_perform` + `curl_multi_poll`)
/// rather than calling `curl_easy_perform`: a blocking easy perform calls the progress
/// callback only about once a second while no data flows, so neither an idle timeout nor
/// a cancellation could act sooner than that. Here the poll wakes when the idle deadline
/// is due, and `cancel()` wakes it at once with `curl_multi_wakeup`; each wake runs
/// `curl_multi_perform`, whose progress callback aborts the transfer.
final class CurlTransfer: @unchecked Sendable {
    // Safe to send: the `let` properties are immutable; `cancelRequested` is atomic and
    // `wakeTarget` is behind a mutex; every other stored property is touched only by
    // the transfer thread (in `run()` and in the libcurl callbacks it triggers).

    let request: HTTPRequest
    let target: RequestTarget
    private let pool: CurlHandlePool
    private let cancelRequested = Atomic<Bool>(false)
    private let wakeTarget = Mutex<CurlHandles?>(nil)

    private var delivery: TransferDelivery?
    private var status = 0
    private var headers: [String: String] = [:]
    private var headerBlockComplete = false
    private var headDelivered = false
    private var body = Data()
    private var lastActivity: UInt64 = 0
    private var lastUploaded: curl_off_t = 0
    private var idleTimeoutFired = false
    private let idleTimeoutNanoseconds: UInt64?
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// Error bodies are kept for diagnosis; a longer one is cut to this many bytes.
    private static let maxErrorBodyBytes = 1 << 20

    init(request: HTTPRequest, target: RequestTarget, pool: CurlHandlePool) {
        self.request = request
        self.target = target
        self.pool = pool
        // Capped at about 31 years: a larger Double would trap the conversion to UInt64.
        self.idleTimeoutNanoseconds = request.idleTimeout.map { UInt64(min(max(0, $0.seconds), 1e9) * 1e9) }
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        errorBuffer.deallocate()
    }

    /// Starts the transfer on a new thread.
    func start(_ delivery: TransferDelivery) {
        self.delivery = delivery
        let thread = Thread { [self] in run() }
        thread.name = "patchloop-http"
        thread.start()
    }

    /// Aborts the transfer (from any thread, at any time, any number of times).
    func cancel() {
        cancelRequested.store(true, ordering: .sequentiallyConsistent)
        wakeTarget.withLock { handles in
            if let handles { _ = curl_multi_wakeup(handles.multi) }
        }
    }

    private var isCancelled: Bool {
        cancelRequested.load(ordering: .sequentiallyConsistent)
    }

    // MARK: - The transfer thread

    private func run() {
        guard let handles = pool.checkOut() else {
            complete(.failure(makeError(.transferFailed, detail: "libcurl could not be initialised")))
            return
        }
        var slist: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(slist) }
        let easy = handles.easy
        let multi = handles.multi

        let configured = configure(easy, headerList: &slist)
        if case .failure(let error) = configured {
            pool.checkIn(handles, reusable: false)
            complete(.failure(error))
            return
        }

        lastActivity = monotonicNanoseconds()
        wakeTarget.withLock { $0 = handles }
        let outcome = drive(easy: easy, multi: multi)
        wakeTarget.withLock { $0 = nil }
        curl_multi_remove_handle(multi, easy)

        let result = finish(easy: easy, outcome: outcome)
        pool.checkIn(handles, reusable: outcome == .done(CURLE_OK))
        complete(result)
    }

    private enum DriveOutcome: Equatable {
        case done(CURLcode)
        case abortedByLoop
        case multiFailed(CURLMcode)
    }

    /// Runs the multi loop until libcurl reports the transfer done. Bounded by the
    /// transfer itself: libcurl ends it at the connect or total timeout, on an error, or
    /// when the progress callback aborts it; the loop also stops by itself once
    /// cancellation or the idle deadline is due, in case no callback ran.
    private func drive(easy: UnsafeMutableRawPointer, multi: UnsafeMutableRawPointer) -> DriveOutcome {
        if isCancelled { return .abortedByLoop }
        let added = curl_multi_add_handle(multi, easy)
        guard added == CURLM_OK else { return .multiFailed(added) }
        while true {
            var running: Int32 = 0
            let performed = curl_multi_perform(multi, &running)
            guard performed == CURLM_OK else { return .multiFailed(performed) }
            if running == 0 {
                var queued: Int32 = 0
                while let message = curl_multi_info_read(multi, &queued) {
                    if message.pointee.msg == CURLMSG_DONE {
                        return .done(message.pointee.data.result)
                    }
                }
                return .done(CURLE_OK)
            }
            if isCancelled { return .abortedByLoop }
            if idleDeadlinePassed(now: monotonicNanoseconds()) {
                idleTimeoutFired = true
                return .abortedByLoop
            }
            let polled = curl_multi_poll(multi, nil, 0, pollTimeoutMilliseconds(), nil)
            guard polled == CURLM_OK else { return .multiFailed(polled) }
        }
    }

    private func pollTimeoutMilliseconds() -> Int32 {
        guard let idle = idleTimeoutNanoseconds else { return 1000 }
        let now = monotonicNanoseconds()
        let deadline = lastActivity &+ idle
        guard deadline > now else { return 1 }
        return Int32(min(1000, (deadline - now) / 1_000_000 + 1))
    }

    private func idleDeadlinePassed(now: UInt64) -> Bool {
        guard let idle = idleTimeoutNanoseconds else { return false }
        return now > lastActivity && now - lastActivity >= idle
    }

    // MARK: - Options

    private func configure(
        _ easy: UnsafeMutableRawPointer,
        headerList: inout UnsafeMutablePointer<curl_slist>?
    ) -> Result<Void, HTTPError> {
        let context = Unmanaged.passUnretained(self).toOpaque()
        var failed: CURLcode = CURLE_OK
        func check(_ code: CURLcode) {
            if code != CURLE_OK && failed == CURLE_OK { failed = code }
        }

        check(ccurl_setopt_string(easy, CURLOPT_URL, request.url))
        check(ccurl_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        check(ccurl_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        check(ccurl_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1))
        check(ccurl_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2))
        check(ccurl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.connectTimeout)))
        if let total = request.totalTimeout {
            check(ccurl_setopt_long(easy, CURLOPT_TIMEOUT_MS, Self.milliseconds(total)))
        }
        check(ccurl_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1))
        check(ccurl_setopt_long(easy, CURLOPT_TCP_KEEPIDLE, 30))
        check(ccurl_setopt_long(easy, CURLOPT_TCP_KEEPINTVL, 15))
        check(ccurl_setopt_string(easy, CURLOPT_NOPROXY, Self.noProxyList))
        check(ccurl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer)))

        check(ccurl_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            guard let context else { return 0 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            return transfer.receiveBody(UnsafeRawPointer(data), size * count)
        })
        check(ccurl_setopt_pointer(easy, CURLOPT_WRITEDATA, context))
        check(ccurl_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            guard let context else { return 0 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            return transfer.receiveHeaderLine(UnsafeRawPointer(data), size * count)
        })
        check(ccurl_setopt_pointer(easy, CURLOPT_HEADERDATA, context))
        check(ccurl_setopt_long(easy, CURLOPT_NOPROGRESS, 0))
        check(ccurl_setopt_xferinfo_callback(easy) { context, _, _, _, uploaded in
            guard let context else { return 1 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            return transfer.shouldAbort(uploaded: uploaded) ? 1 : 0
        })
        check(ccurl_setopt_pointer(easy, CURLOPT_XFERINFODATA, context))

        // Method and body.
        let method = request.method.uppercased()
        if let body = request.body {
            // POSTFIELDSIZE must come first: without it COPYPOSTFIELDS copies up to the
            // first NUL byte (strlen), silently truncating binary bodies.
            check(ccurl_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            body.withUnsafeBytes { raw in
                if let base = raw.baseAddress, raw.count > 0 {
                    check(ccurl_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: base)))
                } else {
                    check(ccurl_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, ""))
                }
            }
            if method != "POST" {
                check(ccurl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method))
            }
        } else {
            switch method {
            case "GET":
                check(ccurl_setopt_long(easy, CURLOPT_HTTPGET, 1))
            case "HEAD":
                check(ccurl_setopt_long(easy, CURLOPT_NOBODY, 1))
            case "POST":
                check(ccurl_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, 0))
                check(ccurl_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, ""))
            default:
                check(ccurl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method))
            }
        }

        // Headers.
        var lines: [String] = []
        for (name, value) in request.headers {
            guard Self.isValidHeaderName(name) else {
                return .failure(makeError(.invalidRequest, detail: "header name \"\(name)\" is not a valid HTTP token"))
            }
            // Unicode scalars, not Characters: "\r\n" is one Character, equal to neither.
            guard !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
                return .failure(makeError(.invalidRequest, detail: "the value of header \(name) contains a line break"))
            }
            // "Name:" would make libcurl drop the header; "Name;" sends it empty.
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        if request.header("Content-Type") == nil {
            if request.body != nil {
                lines.append("Content-Type: application/json")
            } else if method == "POST" {
                // An empty POST: suppress libcurl's form-urlencoded default.
                lines.append("Content-Type:")
            }
        }
        if request.header("Expect") == nil {
            // No "Expect: 100-continue" round trip before larger bodies.
            lines.append("Expect:")
        }
        if request.header("User-Agent") == nil {
            lines.append("User-Agent: patchloop")
        }
        for line in lines {
            guard let appended = curl_slist_append(headerList, line) else {
                return .failure(makeError(.transferFailed, detail: "out of memory building headers"))
            }
            headerList = appended
        }
        check(ccurl_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList))

        if failed != CURLE_OK {
            let detail = String(cString: curl_easy_strerror(failed))
            if failed == CURLE_UNSUPPORTED_PROTOCOL || failed == CURLE_URL_MALFORMAT {
                return .failure(makeError(.invalidURL, detail: detail, curlCode: failed))
            }
            return .failure(makeError(.transferFailed, detail: "could not configure libcurl: \(detail)", curlCode: failed))
        }
        return .success(())
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        Int(max(1, (duration.seconds * 1000).rounded(.up)))
    }

    private static func isValidHeaderName(_ name: String) -> Bool {
        let separators = Set("()<>@,;:\\\"/[]?={} \t")
        return !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 32 && $0.value < 127 }
            && !name.contains(where: separators.contains)
    }

    /// The proxy exclusions from the environment plus loopback: a proxy configured for
    /// the outside world must never receive the requests meant for a local server.
    private static let noProxyList: String = {
        let environment = ProcessInfo.processInfo.environment
        let configured = environment["NO_PROXY"] ?? environment["no_proxy"] ?? ""
        return ([configured, "localhost", "127.0.0.1", "::1"].filter { !$0.isEmpty }).joined(separator: ",")
    }()

    // MARK: - Callbacks (transfer thread)

    private func receiveHeaderLine(_ data: UnsafeRawPointer?, _ length: Int) -> Int {
        lastActivity = monotonicNanoseconds()
        guard let data, length > 0 else { return length }
        var line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
        while let last = line.last, last == "\r\n" || last == "\n" || last == "\r" {
            line.removeLast()
        }
        if line.hasPrefix("HTTP/") {
            // A new response begins (after a 1xx interim response, for instance).
            let fields = line.split(separator: " ", maxSplits: 2)
            status = fields.count > 1 ? Int(fields[1]) ?? 0 : 0
            headers = [:]
            headerBlockComplete = false
            return length
        }
        if line.isEmpty {
            if !headerBlockComplete && !(100..<200).contains(status) {
                headerBlockComplete = true
                headerBlockEnded()
            }
            return length
        }
        guard !headerBlockComplete, let first = line.first, first != " ", first != "\t",
            let colon = line.firstIndex(of: ":")
        else {
            // Trailers after the body and obsolete folded lines are not kept.
            return length
        }
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        if let existing = headers[name] {
            headers[name] = existing + ", " + value
        } else {
            headers[name] = value
        }
        return length
    }

    private func headerBlockEnded() {
        guard case .streaming(let head, _) = delivery, !headDelivered, status < 400 else { return }
        headDelivered = true
        head.resume(returning: StreamHead(status: status, headers: headers, errorBody: nil))
    }

    private func receiveBody(_ data: UnsafeRawPointer?, _ length: Int) -> Int {
        lastActivity = monotonicNanoseconds()
        guard let data, length > 0 else { return length }
        switch delivery {
        case .streaming(_, let stream) where headDelivered:
            stream.yield(Data(bytes: data, count: length))
        case .streaming:
            let room = Self.maxErrorBodyBytes - body.count
            if room > 0 { body.append(data.assumingMemoryBound(to: UInt8.self), count: min(room, length)) }
        case .buffered, nil:
            body.append(data.assumingMemoryBound(to: UInt8.self), count: length)
        }
        return length
    }

    private func shouldAbort(uploaded: curl_off_t) -> Bool {
        let now = monotonicNanoseconds()
        if uploaded > lastUploaded {
            lastUploaded = uploaded
            lastActivity = now
        }
        if isCancelled { return true }
        if idleDeadlinePassed(now: now) {
            idleTimeoutFired = true
            return true
        }
        return false
    }

    // MARK: - Completion

    private func finish(easy: UnsafeMutableRawPointer, outcome: DriveOutcome) -> Result<HTTPResponse, HTTPError> {
        var responseCode = 0
        if ccurl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &responseCode) == CURLE_OK, responseCode > 0 {
            status = responseCode
        }
        switch outcome {
        case .done(let code) where code == CURLE_OK:
            return .success(HTTPResponse(status: status, headers: headers, body: body))
        case .done(let code):
            return .failure(errorForCurlCode(code, easy: easy))
        case .abortedByLoop:
            return .failure(errorForCurlCode(CURLE_ABORTED_BY_CALLBACK, easy: easy))
        case .multiFailed(let code):
            let detail = String(cString: curl_multi_strerror(code))
            return .failure(makeError(.transferFailed, detail: "libcurl multi interface: \(detail)"))
        }
    }

    private func errorForCurlCode(_ code: CURLcode, easy: UnsafeMutableRawPointer) -> HTTPError {
        let curlMessage: String = {
            let text = String(cString: errorBuffer)
            return text.isEmpty ? String(cString: curl_easy_strerror(code)) : text
        }()
        var osErrno = 0
        _ = ccurl_getinfo_long(easy, CURLINFO_OS_ERRNO, &osErrno)
        let systemMessage = osErrno != 0 ? String(cString: strerror(Int32(osErrno))).lowercased() : nil
        var connectTime: curl_off_t = 0
        _ = ccurl_getinfo_off_t(easy, CURLINFO_CONNECT_TIME_T, &connectTime)

        switch code {
        case CURLE_ABORTED_BY_CALLBACK:
            if idleTimeoutFired, let idle = request.idleTimeout {
                return makeError(.idleTimeout, detail: Self.describe(idle), curlCode: code)
            }
            return makeError(.cancelled, detail: "cancelled", curlCode: code)
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return makeError(.invalidURL, detail: curlMessage, curlCode: code)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return makeError(.connectionFailed, detail: curlMessage, curlCode: code)
        case CURLE_COULDNT_CONNECT:
            return makeError(.connectionFailed, detail: systemMessage ?? curlMessage, curlCode: code)
        case CURLE_OPERATION_TIMEDOUT:
            if connectTime == 0 {
                let limit = Self.describe(request.connectTimeout)
                return makeError(.connectionFailed, detail: "no connection within \(limit) (connect timeout)", curlCode: code)
            }
            let limit = request.totalTimeout.map(Self.describe) ?? "the time limit"
            return makeError(.timedOut, detail: "no complete response within \(limit) (total timeout)", curlCode: code)
        case CURLE_PARTIAL_FILE:
            return makeError(.streamEndedEarly, detail: curlMessage, curlCode: code)
        case CURLE_GOT_NOTHING:
            return makeError(.connectionLost, detail: "the server closed the connection without answering", curlCode: code)
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_HTTP3:
            return makeError(.connectionLost, detail: systemMessage ?? curlMessage, curlCode: code)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            return makeError(.tlsFailed, detail: curlMessage, curlCode: code)
        default:
            return makeError(.transferFailed, detail: curlMessage, curlCode: code)
        }
    }

    static func describe(_ duration: Duration) -> String {
        let seconds = duration.seconds
        if seconds == seconds.rounded() { return "\(Int(seconds)) s" }
        return String(format: "%.3g s", seconds)
    }

    private func makeError(_ kind: HTTPError.Kind, detail: String, curlCode: CURLcode? = nil) -> HTTPError {
        HTTPError(
            kind: kind,
            method: request.method.uppercased(),
            url: request.url,
            host: target.hostAndPort,
            detail: detail,
            curlCode: curlCode.map { Int($0.rawValue) }
        )
    }

    /// Hands the result over. Runs last on the transfer thread, exactly once.
    private func complete(_ result: Result<HTTPResponse, HTTPError>) {
        switch delivery {
        case .buffered(let continuation):
            continuation.resume(with: result.mapError { $0 as any Error })
        case .streaming(let head, let stream):
            switch result {
            case .success(let response):
                if !headDelivered {
                    headDelivered = true
                    let errorBody = response.status >= 400 ? response.body : nil
                    head.resume(returning: StreamHead(status: response.status, headers: response.headers, errorBody: errorBody))
                }
                stream.finish()
            case .failure(let error):
                if !headDelivered {
                    headDelivered = true
                    head.resume(throwing: error)
                }
                stream.finish(throwing: error)
            }
        case nil:
            break
        }
        delivery = nil
    }
}

/// Host and port of a request URL, checked before any thread is started.
struct RequestTarget: Sendable {
    /// `host:port`, for messages.
    var hostAndPort: String

    /// Parses `url` with libcurl's own URL parser, so that what is accepted here is what
    /// the transfer will use. Only absolute http and https URLs pass.
    static func parse(_ url: String) -> Result<RequestTarget, InvalidURLReason> {
        guard CurlRuntime.isReady else { return .failure(InvalidURLReason("libcurl could not be initialised")) }
        guard let handle = curl_url() else { return .failure(InvalidURLReason("out of memory")) }
        defer { curl_url_cleanup(handle) }
        let parsed = curl_url_set(handle, CURLUPART_URL, url, 0)
        guard parsed == CURLUE_OK else {
            return .failure(InvalidURLReason(String(cString: curl_url_strerror(parsed)).lowercased()))
        }
        func part(_ which: CURLUPart, _ flags: UInt32 = 0) -> String? {
            var value: UnsafeMutablePointer<CChar>?
            guard curl_url_get(handle, which, &value, flags) == CURLUE_OK, let value else { return nil }
            defer { curl_free(value) }
            return String(cString: value)
        }
        let scheme = part(CURLUPART_SCHEME)?.lowercased() ?? ""
        guard scheme == "http" || scheme == "https" else {
            return .failure(InvalidURLReason("the scheme \"\(scheme)\" is not supported"))
        }
        guard let host = part(CURLUPART_HOST), !host.isEmpty else {
            return .failure(InvalidURLReason("it has no host"))
        }
        let port = part(CURLUPART_PORT, UInt32(CURLU_DEFAULT_PORT)) ?? (scheme == "https" ? "443" : "80")
        return .success(RequestTarget(hostAndPort: "\(host):\(port)"))
    }
}

/// Why `RequestTarget.parse` rejected a URL.
struct InvalidURLReason: Error {
    var text: String
    init(_ text: String) { self.text = text }
}
