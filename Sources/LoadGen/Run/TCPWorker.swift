import Glibc

/// `loadgen tcp` on one loop thread: each event is a connection of its own, to the address `KindAddresses` picks
/// for it (targets in turn, a name's addresses in turn) — connect, optionally write the `--send` payload and wait
/// for `--expect` bytes, then close with a FIN or an RST. An event completes when its connection was established
/// (and the expected bytes arrived), so `completed` counts what the server kernel's `PassiveOpens` counts. Connections come from a `ConnectionTable` (handles reused, nothing allocated per
/// event); timeouts come from a `DeadlineQueue` in send order. Loop thread only.
///
/// Faults: a refused connect is an error (`refused`); in open loop the schedule goes on (the rate bounds the
/// attempts), in closed loop issuing backs off as for every kind. A connection the server resets or closes
/// before the expected bytes arrived is an error (`reset`, `closed`); a write that fails is `reset` or
/// `send_failed`.
final class TCPWorker: KindWorker, ConnectionTableDelegate {
    private let table: ConnectionTable
    private let settings: RunConfig.TCP
    /// Per slot: its connection (-1: none), bytes read, and whether the payload is written.
    private let slotConnection: UnsafeMutablePointer<Int32>
    private let slotReceived: UnsafeMutablePointer<Int>
    private let slotWritten: UnsafeMutablePointer<Bool>

    init(loop: Loop, config: RunConfig, threadIndex: Int, netnsInode: UInt64,
         stop: StopSignal, progress: ProgressCell) throws {
        settings = config.tcp!
        let addresses = try KindWorker.resolveTargets(config, threadIndex: threadIndex)
        let slotCount = max(1, config.plan(thread: threadIndex).maxInFlight)
        table = ConnectionTable(loop: loop, initialCapacity: min(slotCount, 4096),
                                writeCapacity: settings.send?.maxLength ?? 0)
        slotConnection = .filled(with: -1, count: slotCount)
        slotReceived = .filled(with: 0, count: slotCount)
        slotWritten = .filled(with: false, count: slotCount)
        try super.init(loop: loop, config: config, threadIndex: threadIndex, netnsInode: netnsInode,
                       stop: stop, progress: progress, addresses: addresses)
        table.delegate = self
    }

    deinit {
        slotConnection.deallocate()
        slotReceived.deallocate()
        slotWritten.deallocate()
    }

    override var eventKind: StaticString { "tcp" }

    override func transmit(slot: Int32, now: UInt64) {
        let s = Int(slot)
        slotReceived[s] = 0
        slotWritten[s] = settings.send == nil
        slotConnection[s] = -1
        let address = addresses.endpoints[assignAddress(slot: slot)]
        markSent(slot: slot, atNanos: now)
        let index: Int32
        do {
            index = try table.open(token: slot)
        } catch {
            complete(slot: slot, .failed(.other), atNanos: now)
            return
        }
        slotConnection[s] = index
        track(slot: slot, now: now)
        do {
            try table.connect(index, to: address)
            result.socketsOpened += 1
            checkNetns(index)
        } catch {
            end(slot: slot, .failed(TCPWorker.errorKind(connecting: error)), atNanos: now)
        }
    }

    /// A failed connect: refused, reset (the server reset the connection as the handshake completed), timed
    /// out, unreachable, or another failure.
    static func errorKind(connecting error: UVError) -> ErrorKind {
        if error.isPeerReset { return .reset }
        switch -error.code {
        case ENETUNREACH, EHOSTUNREACH: return .unreachable
        default: return ErrorKind(connectError: error)
        }
    }

    private func checkNetns(_ index: Int32) {
        let fd = table.fileDescriptor(index)
        guard fd >= 0, result.netnsInode != 0 else { return }
        if !SocketNetnsCheck.current.isInTarget(fd: fd) { result.socketsOutsideNetns += 1 }
    }

    override func flushTransmissions(now: UInt64) {
        result.lastSentNanos = max(result.lastSentNanos, now)
    }

    /// Ends the event in `slot` and closes its connection (after the record, which reads the local address).
    private func end(slot: Int32, _ completion: Completion, atNanos now: UInt64) {
        untrack(slot: slot)
        endInFlight(slot: slot, completion, atNanos: now)
    }

    override func endInFlight(slot: Int32, _ completion: Completion, atNanos now: UInt64) {
        let index = slotConnection[Int(slot)]
        complete(slot: slot, completion, atNanos: now)
        if index >= 0, table.close(index, reset: settings.close == .rst) { result.connectionsOpened += 1 }
    }

    /// Completes the event once its connection is up, its payload written and the expected bytes read.
    private func finishIfDone(slot: Int32) {
        let s = Int(slot)
        guard slotWritten[s], slotReceived[s] >= settings.expect else { return }
        end(slot: slot, .answered(code: 0), atNanos: Loop.nowNanos)
        refill()
    }

    override func closeTransport() {
        cancelInFlight()
    }

    override func describeEvent(slot: Int32, _ completion: Completion, into record: inout EventRecord) {
        let s = Int(slot)
        let index = slotConnection[s]
        if index >= 0, case let address = table.localAddress(index), !address.isEmpty {
            record.field("src", bytes: address)
        } else {
            record.nullField("src")
        }
        describeDestination(slot: slot, into: &record)
        record.field("transport", "tcp")
        record.field("bytes_received", slotReceived[s])
    }

    // MARK: Connection events

    func connectionDidConnect(token slot: Int32) {
        let s = Int(slot)
        result.connectionsOpened += 1
        let index = slotConnection[s]
        if let send = settings.send {
            let count = send.write(sequence: slots.sequence[s], thread: result.threadIndex, into: table.writeBuffer(index))
            switch table.write(index, count: count) {
            case .done: slotWritten[s] = true
            case .pending: break
            case .failed(let error):
                end(slot: slot, .failed(ErrorKind(writeError: error)), atNanos: Loop.nowNanos)
                refill()
                return
            }
        }
        if settings.expect > 0, let error = table.startReading(index) {
            end(slot: slot, .failed(ErrorKind(streamEnd: error)), atNanos: Loop.nowNanos)
            refill()
            return
        }
        finishIfDone(slot: slot)
    }

    func connection(token slot: Int32, didFailToConnect error: UVError) {
        // A reset comes after a completed handshake: the server's kernel counted that connection.
        if error.isPeerReset { result.connectionsOpened += 1 }
        end(slot: slot, .failed(TCPWorker.errorKind(connecting: error)), atNanos: Loop.nowNanos)
        refill()
    }

    func connection(token slot: Int32, didRead count: Int) {
        slotReceived[Int(slot)] &+= count
        result.bytesReceived &+= UInt64(count)
        finishIfDone(slot: slot)
    }

    func connection(token slot: Int32, didEndWith error: UVError?) {
        end(slot: slot, .failed(ErrorKind(streamEnd: error)), atNanos: Loop.nowNanos)
        refill()
    }

    func connection(token slot: Int32, didFinishWrite error: UVError?) {
        if let error {
            end(slot: slot, .failed(ErrorKind(writeError: error)), atNanos: Loop.nowNanos)
            refill()
            return
        }
        slotWritten[Int(slot)] = true
        finishIfDone(slot: slot)
    }
}
