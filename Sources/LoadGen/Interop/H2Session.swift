import CLoadGenSys
import CNghttp2

/// Receives the events of one `H2Session`, on the loop thread, from inside `receive` or `produceOutput`.
/// Subclass it and override what you need. A class, not a protocol: the session calls it through an unretained
/// reference (three calls per request; an existential delegate cost a retain and a release on each).
class H2SessionDelegate {
    /// The HEADERS frame of `slot`'s request was written into the output.
    func session(_ session: H2Session, didSendRequestOf slot: Int32, headerBlockBytes: Int) {}
    /// The final (non-1xx) status of `slot`'s response arrived.
    func session(_ session: H2Session, didReceiveStatus status: Int, of slot: Int32) {}
    /// `slot`'s stream closed. `errorCode` is the RST_STREAM/GOAWAY code (0: closed cleanly); `complete` is true
    /// when the server ended the stream after a final response.
    func session(_ session: H2Session, didClose slot: Int32, errorCode: UInt32, complete: Bool) {}
    /// The server sent GOAWAY: no new streams; those above `lastStreamID` were not processed.
    func session(_ session: H2Session, didReceiveGoAway lastStreamID: Int32, errorCode: UInt32) {}
    /// The server's SETTINGS arrived (the first one tells that it speaks HTTP/2).
    func sessionDidReceiveSettings(_ session: H2Session) {}
    /// The server reset a stream (RST_STREAM); its close follows.
    func sessionDidReceiveReset(_ session: H2Session) {}
    /// Response body bytes of `slot`'s stream (only for a session made with `readsBodies`); valid during the call.
    func session(_ session: H2Session, didReceiveData data: UnsafeRawBufferPointer, of slot: Int32) {}
}

/// A client-side nghttp2 1.52 session for one connection: requests are submitted with prebuilt header lists,
/// received bytes go in through `receive`, frames to send come out of `produceOutput` into an output buffer
/// the connection writes (one write in flight). Loop thread only; `close()` (or deinit) deletes the session.
final class H2Session {
    private var session: OpaquePointer?
    /// Not retained: the delegate owns the session and clears this before it goes.
    var delegate: H2SessionDelegate? {
        get { delegateRef?.takeUnretainedValue() }
        set { delegateRef = newValue.map(Unmanaged.passUnretained) }
    }
    private var delegateRef: Unmanaged<H2SessionDelegate>?

    /// Calls the delegate, if any, without retaining it.
    @inline(__always)
    private func notify(_ call: (H2SessionDelegate) -> Void) {
        delegateRef?._withUnsafeGuaranteedRef(call)
    }
    /// Frames nghttp2 produced and the connection has not written yet.
    private(set) var output: UnsafeMutableRawPointer
    private(set) var outputCount = 0
    /// Starts small (1,000 connections must not cost 64 MB of idle buffers) and doubles when a write needs it.
    private var outputCapacity = 8 * 1024
    /// Request bodies being sent, per slot: one table per worker, shared by its sessions (a slot is on one
    /// session at a time), so a session costs memory for the streams it carries, not the thread's concurrency.
    private let bodies: H2BodyTable
    /// Received header-block bytes (HPACK-compressed, from frame lengths) and their decoded size.
    private(set) var receivedHeaderBlockBytes = 0
    private(set) var receivedHeaderBytes = 0
    private(set) var goAwayReceived = false
    private(set) var receivedSettings = false
    /// A connection-level protocol failure (nghttp2's message), once one happened.
    private(set) var failure: String?
    /// nghttp2 reports protocol errors through its error callback and by queueing a GOAWAY with an error code,
    /// while `mem_recv` still returns success: the GOAWAY we send marks the connection as failed.
    private var lastErrorMessage: String?
    private var pendingFailure: String?

    static let windowSize: Int32 = (1 << 30)

    /// A session with a body table of its own (tests, single connections).
    convenience init(slotCapacity: Int, readsBodies: Bool = false) throws(H2Error) {
        try self.init(bodies: H2BodyTable(slotCapacity: slotCapacity), readsBodies: readsBodies)
    }

    /// `readsBodies`: response bodies reach the delegate (DNS over HTTPS); otherwise nghttp2 drops them unseen.
    init(bodies: H2BodyTable, readsBodies: Bool = false) throws(H2Error) {
        output = .allocate(byteCount: outputCapacity, alignment: 16)
        self.bodies = bodies
        var callbacks: OpaquePointer?
        try H2Error.check(nghttp2_session_callbacks_new(&callbacks), "nghttp2_session_callbacks_new")
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_send_callback(callbacks) { _, data, length, _, user in
            H2Session.with(user) { $0.append(data!, length) }
        }
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks) { _, frame, user in
            H2Session.with(user) { $0.didSend(frame!) }
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, user in
            H2Session.with(user) { $0.didReceive(frame!) }
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, user in
            H2Session.with(user) { $0.didReceiveHeader(frame!, name!, nameLength, value!, valueLength) }
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { session, streamID, errorCode, user in
            H2Session.with(user) { $0.didClose(streamID: streamID, errorCode: errorCode) }
        }
        if readsBodies {
            nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, streamID, data, length, user in
                H2Session.with(user) { $0.didReceiveData(streamID: streamID, UnsafeRawBufferPointer(start: data, count: length)) }
            }
        }
        nghttp2_session_callbacks_set_error_callback2(callbacks) { _, _, message, length, user in
            let text = String(decoding: UnsafeRawBufferPointer(start: message, count: length), as: UTF8.self)
            H2Session.with(user) { $0.lastErrorMessage = text }
            return 0
        }
        var session: OpaquePointer?
        // The session's small allocations (streams, header fields, frame items) come from the thread's block pool.
        var memory = nghttp2_mem(mem_user_data: nil, malloc: CLoadGenSys_block_pool_malloc,
                                 free: CLoadGenSys_block_pool_free, calloc: CLoadGenSys_block_pool_calloc,
                                 realloc: CLoadGenSys_block_pool_realloc)
        let rc = nghttp2_session_client_new3(&session, callbacks, nil, nil, &memory)
        try H2Error.check(rc, "nghttp2_session_client_new3")
        self.session = session
        nghttp2_session_set_user_data(session, Unmanaged.passUnretained(self).toOpaque())
        // A large window so flow control never stalls a load test, for every stream and the connection.
        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: UInt32(H2Session.windowSize)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
        ]
        try H2Error.check(nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count), "nghttp2_submit_settings")
        try H2Error.check(nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, H2Session.windowSize), "nghttp2_session_set_local_window_size")
    }

    deinit {
        close()
        output.deallocate()
    }

    func close() {
        if let session { nghttp2_session_del(session) }
        session = nil
    }

    /// Runs `body` with the session behind nghttp2's user data, without retaining it (the hot path of every
    /// frame and header).
    @inline(__always)
    private static func with<R>(_ user: UnsafeMutableRawPointer?, _ body: (H2Session) -> R) -> R {
        Unmanaged<H2Session>.fromOpaque(user!)._withUnsafeGuaranteedRef(body)
    }

    /// The most streams the server lets us open at once (SETTINGS_MAX_CONCURRENT_STREAMS; unlimited is 2^31-1).
    var remoteMaxConcurrentStreams: Int {
        guard let session else { return 0 }
        return Int(nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS))
    }

    /// Submits a request for `slot` and returns its stream ID, or 0 when the session cannot take a new stream
    /// (GOAWAY, IDs exhausted). The HEADERS frame goes out with the next `produceOutput`.
    /// `path` and `body` replace the template's `:path` and body (and its `content-length`) for this request;
    /// `body` must stay valid until the stream closes.
    func submit(_ request: RequestTemplate, slot: Int32, sequence: UInt64 = 0, thread: Int = 0,
                path: UnsafeRawBufferPointer? = nil, body: UnsafeRawBufferPointer? = nil) -> Int32 {
        guard let session, !goAwayReceived else { return 0 }
        let fields = path == nil && body == nil
            ? request.fields(sequence: sequence, thread: thread)
            : request.fields(path: path, bodyLength: body?.count)
        let user = UnsafeMutableRawPointer(bitPattern: Int(slot) + 1)
        let streamID: Int32
        let requestBody = body ?? request.body
        if requestBody.count > 0 {
            bodies.offsets[Int(slot)] = 0
            bodies.bodies[Int(slot)] = requestBody
            var provider = nghttp2_data_provider()
            provider.source.ptr = user
            provider.read_callback = { session, _, buffer, length, flags, source, user in
                H2Session.with(user) { $0.readBody(slot: Int32(Int(bitPattern: source!.pointee.ptr) - 1),
                                              into: buffer!, length: length, flags: flags!) }
            }
            streamID = nghttp2_submit_request(session, nil, fields, request.count, &provider, user)
        } else {
            streamID = nghttp2_submit_request(session, nil, fields, request.count, nil, user)
        }
        return max(0, streamID)
    }

    /// Asks the server to drop a stream (a timeout); its close arrives as `didClose`.
    func cancel(streamID: Int32) {
        guard let session else { return }
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, UInt32(NGHTTP2_CANCEL.rawValue))
    }

    /// Feeds received bytes; delegate callbacks run from inside. Throws on a connection-level protocol error.
    func receive(_ bytes: UnsafeRawBufferPointer) throws(H2Error) {
        guard let session else { return }
        let rc = nghttp2_session_mem_recv(session, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count)
        if rc < 0 {
            failure = String(cString: nghttp2_strerror(Int32(rc)))
            throw H2Error(code: Int32(rc))
        }
        try throwPendingFailure()
    }

    private func throwPendingFailure() throws(H2Error) {
        if let pendingFailure, failure == nil {
            failure = pendingFailure
            throw H2Error(code: NGHTTP2_ERR_PROTO.rawValue, message: pendingFailure)
        }
    }

    /// Serializes every frame nghttp2 wants to send into `output`.
    func produceOutput() throws(H2Error) {
        guard let session else { return }
        let rc = nghttp2_session_send(session)
        if rc < 0 {
            failure = String(cString: nghttp2_strerror(rc))
            throw H2Error(code: rc)
        }
        try throwPendingFailure()
    }

    /// Drops the first `count` bytes of `output` (they were written).
    func consumeOutput(_ count: Int) {
        if count >= outputCount {
            outputCount = 0
        } else {
            (output).copyMemory(from: output + count, byteCount: outputCount - count)
            outputCount -= count
        }
    }

    /// True while the session has frames to send or may still receive (not both sides done).
    var isAlive: Bool {
        guard let session else { return false }
        return nghttp2_session_want_read(session) != 0 || nghttp2_session_want_write(session) != 0
    }

    // MARK: nghttp2 callbacks

    private func append(_ data: UnsafePointer<UInt8>, _ length: Int) -> Int {
        if outputCount + length > outputCapacity {
            var capacity = outputCapacity * 2
            while outputCount + length > capacity { capacity *= 2 }
            let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
            grown.copyMemory(from: output, byteCount: outputCount)
            output.deallocate()
            output = grown
            outputCapacity = capacity
        }
        (output + outputCount).copyMemory(from: data, byteCount: length)
        outputCount += length
        return length
    }

    private func slot(of streamID: Int32) -> Int32? {
        guard let session, let user = nghttp2_session_get_stream_user_data(session, streamID) else { return nil }
        return Int32(Int(bitPattern: user) - 1)
    }

    private func didSend(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        if frame.pointee.hd.type == UInt8(NGHTTP2_GOAWAY.rawValue), frame.pointee.goaway.error_code != 0,
           pendingFailure == nil {
            let goaway = frame.pointee.goaway
            let detail = lastErrorMessage
                ?? String(decoding: UnsafeRawBufferPointer(start: goaway.opaque_data, count: goaway.opaque_data_len), as: UTF8.self)
            pendingFailure = "the server broke the protocol (GOAWAY error \(goaway.error_code) sent): \(detail)"
        }
        if frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue), let slot = slot(of: frame.pointee.hd.stream_id) {
            notify { $0.session(self, didSendRequestOf: slot, headerBlockBytes: frame.pointee.hd.length) }
        }
        return 0
    }

    private func didReceive(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        switch UInt32(frame.pointee.hd.type) {
        case NGHTTP2_HEADERS.rawValue:
            receivedHeaderBlockBytes += frame.pointee.hd.length
        case NGHTTP2_SETTINGS.rawValue where frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0:
            receivedSettings = true
            notify { $0.sessionDidReceiveSettings(self) }
        case NGHTTP2_RST_STREAM.rawValue:
            notify { $0.sessionDidReceiveReset(self) }
        case NGHTTP2_GOAWAY.rawValue:
            goAwayReceived = true
            let goaway = frame.pointee.goaway
            notify { $0.session(self, didReceiveGoAway: goaway.last_stream_id, errorCode: goaway.error_code) }
        default:
            break
        }
        return 0
    }

    private func didReceiveHeader(_ frame: UnsafePointer<nghttp2_frame>, _ name: UnsafePointer<UInt8>, _ nameLength: Int,
                                  _ value: UnsafePointer<UInt8>, _ valueLength: Int) -> Int32 {
        receivedHeaderBytes += nameLength + valueLength + 32
        // ":status" is 7 bytes; the value is 3 digits.
        if nameLength == 7, valueLength == 3, name[0] == UInt8(ascii: ":"), name[1] == UInt8(ascii: "s") {
            let status = Int(value[0] &- 48) * 100 + Int(value[1] &- 48) * 10 + Int(value[2] &- 48)
            if status >= 200, let slot = slot(of: frame.pointee.hd.stream_id) {
                notify { $0.session(self, didReceiveStatus: status, of: slot) }
            }
        }
        return 0
    }

    private func didReceiveData(streamID: Int32, _ data: UnsafeRawBufferPointer) -> Int32 {
        if let slot = slot(of: streamID) { notify { $0.session(self, didReceiveData: data, of: slot) } }
        return 0
    }

    private func didClose(streamID: Int32, errorCode: UInt32) -> Int32 {
        guard let slot = slot(of: streamID), let session else { return 0 }
        // Closed cleanly after the server's END_STREAM: the response is complete.
        let remoteClosed = nghttp2_session_get_stream_remote_close(session, streamID) != 0
        notify { $0.session(self, didClose: slot, errorCode: errorCode, complete: errorCode == 0 && remoteClosed) }
        return 0
    }

    private func readBody(slot: Int32, into buffer: UnsafeMutablePointer<UInt8>, length: Int,
                          flags: UnsafeMutablePointer<UInt32>) -> Int {
        let body = bodies.bodies[Int(slot)]
        let offset = bodies.offsets[Int(slot)]
        let n = min(length, body.count - offset)
        if n > 0 { UnsafeMutableRawPointer(buffer).copyMemory(from: body.baseAddress! + offset, byteCount: n) }
        bodies.offsets[Int(slot)] = offset + n
        if offset + n >= body.count { flags.pointee |= UInt32(NGHTTP2_DATA_FLAG_EOF.rawValue) }
        return n
    }
}

/// A negative nghttp2 return code with nghttp2's description (or a more precise message).
struct H2Error: Error, CustomStringConvertible {
    let code: Int32
    var message: String?

    init(code: Int32, message: String? = nil) {
        self.code = code
        self.message = message
    }

    var description: String { message ?? String(cString: nghttp2_strerror(code)) }

    static func check(_ rc: Int32, _ what: StaticString) throws(H2Error) {
        if rc < 0 { throw H2Error(code: rc) }
    }
}
