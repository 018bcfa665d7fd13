extension HTTP2Worker {
    /// One TCP connection with its nghttp2 session. Forwards its stream and session events to the worker.
    final class Connection: TCPStreamDelegate, H2SessionDelegate {
        enum State { case connecting, ready, draining, closed }
        unowned(unsafe) let worker: HTTP2Worker
        let id: Int32
        let lane: Int
        let group: Int
        var state = State.connecting
        var stream: TCPStream?
        var session: H2Session?
        var active = 0
        var writeInFlight = 0
        var connectStartNanos: UInt64 = 0
        /// The last stream ID the server's GOAWAY said it processes (Int32.max before any GOAWAY).
        var goAwayLastStreamID = Int32.max
        /// min(--streams, the server's SETTINGS_MAX_CONCURRENT_STREAMS), updated when SETTINGS arrive.
        var maxStreamsCached = 0
        var number: UInt64 = 0
        var localAddress = ""

        init(worker: HTTP2Worker, id: Int32, lane: Int, group: Int) {
            self.worker = worker
            self.id = id
            self.lane = lane
            self.group = group
        }

        func streamDidConnect(_ stream: TCPStream) { worker.didConnect(self) }
        func stream(_ stream: TCPStream, didFailToConnect error: UVError) { worker.didFailToConnect(self, error) }
        func stream(_ stream: TCPStream, didRead bytes: UnsafeRawBufferPointer) { worker.didRead(self, bytes) }
        func stream(_ stream: TCPStream, didEndWith error: UVError?) { worker.didEnd(self, error) }
        func stream(_ stream: TCPStream, didWrite error: UVError?) { worker.didEnd(self, error) }
        func streamDidDrain(_ stream: TCPStream) { worker.didDrain(self) }

        func session(_ session: H2Session, didSendRequestOf slot: Int32, headerBlockBytes: Int) {
            worker.didSendRequest(slot, headerBlockBytes: headerBlockBytes)
        }
        func session(_ session: H2Session, didReceiveStatus status: Int, of slot: Int32) {
            worker.slotStatus[Int(slot)] = Int32(status)
        }
        func session(_ session: H2Session, didClose slot: Int32, errorCode: UInt32, complete: Bool) {
            worker.didClose(slot, on: self, errorCode: errorCode, complete: complete)
        }
        func session(_ session: H2Session, didReceiveGoAway lastStreamID: Int32, errorCode: UInt32) {
            goAwayLastStreamID = min(goAwayLastStreamID, lastStreamID)
            worker.didReceiveGoAway(self)
        }
        func sessionDidReceiveSettings(_ session: H2Session) { worker.didReceiveSettings(self) }
        func sessionDidReceiveReset(_ session: H2Session) { worker.result.h2.resetsReceived += 1 }
    }
}
