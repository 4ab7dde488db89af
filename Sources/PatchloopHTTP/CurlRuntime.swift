internal import CCurl
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Process-wide libcurl set-up, done once before the first handle is made.
enum CurlRuntime {
    /// `true` once `curl_global_init` succeeded. Reading it triggers the one-time set-up:
    /// SIGPIPE is ignored first, because a write to a socket the peer closed would
    /// otherwise kill the process (the Swift runtime leaves SIGPIPE at its default), and
    /// `CURLOPT_NOSIGNAL` only stops libcurl's own signal use.
    static let isReady: Bool = {
        signal(SIGPIPE, SIG_IGN)
        var noAtexitApplied: Int32 = 0
        return ccurl_global_init(&noAtexitApplied) == CURLE_OK
    }()
}

/// Nanoseconds on a clock that never jumps (CLOCK_MONOTONIC).
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
