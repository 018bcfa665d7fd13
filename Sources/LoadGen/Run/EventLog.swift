import CLoadGenSys
import Glibc
import Synchronization

/// Where every thread's event records go: one file (or stdout), written in large chunks under a lock, each
/// chunk whole lines, so lines from different threads never interleave.
final class EventSink: Sendable {
    private let fd: Int32
    private let ownsDescriptor: Bool
    private let lock = Mutex<Int>(0)
    /// Monotonic → boot time and monotonic → wall clock offsets, taken once at start.
    let boottimeOffset: Int64
    let realtimeOffset: Int64
    let pid: Int32
    var isStdout: Bool { fd == 1 }

    /// Opens `path` for writing (truncating); "-" is stdout.
    init(path: String) throws(RunFailure) {
        if path == "-" {
            fd = 1
            ownsDescriptor = false
        } else {
            let opened = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard opened >= 0 else {
                throw RunFailure("--events: cannot write '\(path)': \(String(cString: strerror(errno)))")
            }
            fd = opened
            ownsDescriptor = true
        }
        boottimeOffset = CLoadGenSys_boottime_minus_monotonic()
        realtimeOffset = CLoadGenSys_realtime_minus_monotonic()
        pid = getpid()
    }

    deinit {
        if ownsDescriptor { Glibc.close(fd) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        lock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }
}

/// One thread's buffer of event records: appended to on completion, handed to the sink when nearly full and
/// at the end. Loop thread only.
final class EventLog {
    let sink: EventSink
    private let storage: UnsafeMutablePointer<UInt8>
    var record: EventRecord

    static let bufferBytes = 1 << 20

    init(sink: EventSink) {
        self.sink = sink
        storage = .allocate(capacity: EventLog.bufferBytes)
        record = EventRecord(base: storage, capacity: EventLog.bufferBytes)
    }

    deinit { storage.deallocate() }

    /// Makes room for one more record.
    @inline(__always)
    func reserve() {
        if record.room < EventRecord.maxRecordBytes { flush() }
    }

    func flush() {
        guard record.count > 0 else { return }
        sink.write(record.bytes)
        record.reset()
    }
}
