internal import CCurl
import Synchronization

/// A libcurl easy handle and the multi handle that drives it. Kept together because the
/// multi handle owns the connection cache: reusing the pair reuses open connections (and
/// TLS sessions) across requests to the same host.
struct CurlHandles: @unchecked Sendable {
    // Safe to send: a pair is used by one transfer thread at a time; the pool hands it
    // out under a lock and takes it back only after that thread is done with it.
    let easy: UnsafeMutableRawPointer
    let multi: UnsafeMutableRawPointer
}

/// Idle handle pairs waiting for the next transfer.
final class CurlHandlePool: Sendable {
    private let idle = Mutex<[CurlHandles]>([])
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    deinit {
        let handles = idle.withLock { pool in
            defer { pool.removeAll() }
            return pool
        }
        handles.forEach(Self.destroy)
    }

    /// An idle pair, or a new one; `nil` only when libcurl cannot allocate one.
    func checkOut() -> CurlHandles? {
        guard CurlRuntime.isReady else { return nil }
        if let handles = idle.withLock({ $0.popLast() }) {
            return handles
        }
        guard let easy = curl_easy_init() else { return nil }
        guard let multi = curl_multi_init() else {
            curl_easy_cleanup(easy)
            return nil
        }
        return CurlHandles(easy: easy, multi: multi)
    }

    /// Returns a pair after its transfer. A pair whose transfer was aborted or failed is
    /// destroyed instead, so that no half-used connection is ever reused.
    func checkIn(_ handles: CurlHandles, reusable: Bool) {
        curl_easy_reset(handles.easy)
        let kept = reusable && idle.withLock { pool in
            guard pool.count < capacity else { return false }
            pool.append(handles)
            return true
        }
        if !kept { Self.destroy(handles) }
    }

    private static func destroy(_ handles: CurlHandles) {
        curl_multi_cleanup(handles.multi)
        curl_easy_cleanup(handles.easy)
    }
}
