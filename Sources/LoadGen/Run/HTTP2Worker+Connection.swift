extension HTTP2Worker {
    /// One TCP connection with its nghttp2 session. Forwards its stream and session events to the worker. The
    /// worker owns it (on a lane, then in `draining`, then buried until the next tick), so the unowned calls
    /// below never reach a released object.
    final class Connection: H2SessionDelegate, TCPStreamDelegate {
        enum State { case connecting, ready, draining, closed }
        /// The worker owns its connections; calls go through this unretained reference (per request).
        private let workerRef: Unmanaged<HTTP2Worker>
        let id: Int32
        let lane: Int
        let group: Int
        var state = State.connecting
        var stream: TCPStream?
        var session: H2Session?
        /// Streams open on this connection.
        var active = 0
        var writeInFlight = 0
        /// The last stream ID the server's GOAWAY said it processes (Int32.max before any GOAWAY).
        var goAwayLastStreamID = Int32.max
        var number: UInt64 = 0
        var localAddress = ""
        /// https: what the handshake agreed on (nil before it completed).
        var tls: TLSHandshakeSummary?

        @inline(__always)
        private func withWorker<R>(_ body: (HTTP2Worker) -> R) -> R {
            workerRef._withUnsafeGuaranteedRef(body)
        }

        init(worker: HTTP2Worker, id: Int32, lane: Int, group: Int) {
            workerRef = .passUnretained(worker)
            self.id = id
            self.lane = lane
            self.group = group
        }

        func streamDidConnect(_ stream: TCPStream) { withWorker { $0.didConnect(self) } }
        func stream(_ stream: TCPStream, didFailToConnect error: UVError) {
            withWorker { $0.tcpConnectFailed(self, fd: stream.fileDescriptor, error: error) }
        }
        func stream(_ stream: TCPStream, didRead bytes: UnsafeRawBufferPointer) { withWorker { $0.didRead(self, bytes) } }
        func stream(_ stream: TCPStream, didEndWith error: UVError?) {
            withWorker { $0.fail(self, kind: ErrorKind(streamEnd: error), why: error.map(\.description) ?? "the server closed the connection") }
        }
        func stream(_ stream: TCPStream, didWrite error: UVError?) {
            guard let error else { return }
            withWorker { $0.fail(self, kind: ErrorKind(writeError: error), why: error.description) }
        }
        func streamDidDrain(_ stream: TCPStream) { withWorker { $0.didDrain(self) } }
        func streamDidFinishHandshake(_ stream: TCPStream) { withWorker { $0.didFinishHandshake(self, stream) } }
        func stream(_ stream: TCPStream, didFailTLS failure: TLSFailure) { withWorker { $0.tlsFailed(self, failure) } }

        override func session(_ session: H2Session, didSendRequestOf slot: Int32, headerBlockBytes: Int) {
            withWorker { $0.didSendRequest(slot, headerBlockBytes: headerBlockBytes) }
        }
        override func session(_ session: H2Session, didReceiveStatus status: Int, of slot: Int32) {
            withWorker { $0.slotStatus[Int(slot)] = Int32(status) }
        }
        override func session(_ session: H2Session, didClose slot: Int32, errorCode: UInt32, complete: Bool) {
            withWorker { $0.didClose(slot, on: self, errorCode: errorCode, complete: complete) }
        }
        override func session(_ session: H2Session, didReceiveGoAway lastStreamID: Int32, errorCode: UInt32) {
            goAwayLastStreamID = min(goAwayLastStreamID, lastStreamID)
            withWorker { $0.didReceiveGoAway(self) }
        }
        override func sessionDidReceiveSettings(_ session: H2Session) { withWorker { $0.didReceiveSettings(self) } }
        override func sessionDidReceiveReset(_ session: H2Session) { withWorker { $0.result.h2.resetsReceived += 1 } }
        override func session(_ session: H2Session, didReceiveData data: UnsafeRawBufferPointer, of slot: Int32) {
            withWorker { $0.doh?.receive(data, slot: slot) }
        }
    }
}
