@testable import LoadGen
import Testing

/// The shared pool's decisions, driven event by event without sockets.
@Suite struct PoolCoreTests {
    static let ms: UInt64 = 1_000_000

    func pool(groups: Int = 1, lanes: Int = 2, persistent: Bool = true, wait: UInt64 = 1_000 * ms) -> PoolCore {
        PoolCore(groups: groups, lanes: lanes,
                 settings: .init(connectTimeoutNanos: 100 * Self.ms, waitTimeoutNanos: wait, persistent: persistent),
                 waitCapacity: 16)
    }

    @Test func keepAliveConnectsEveryLaneWhileIssuingAndNotAfter() {
        var p = pool(lanes: 3)
        #expect(p.housekeeping(now: 0, issuing: true) == [.connect(lane: 0), .connect(lane: 1), .connect(lane: 2)])
        var q = pool(lanes: 3)
        #expect(q.housekeeping(now: 0, issuing: false) == [], "nothing to issue, nothing waits: no connects")
        #expect(q.laneToConnect(group: 0, issuing: false) == nil)
        q.wait(slot: 7, group: 0, since: 0)
        #expect(q.laneToConnect(group: 0, issuing: false) == 0, "an event waits: one lane for it")
    }

    @Test func eventsGoRoundRobinOverLanesWithRoom() {
        var p = pool(lanes: 2)
        _ = p.connecting(lane: 0, now: 0)
        _ = p.connecting(lane: 1, now: 0)
        #expect(p.takeLane(group: 0) == nil, "nothing is up yet")
        p.connected(lane: 0, capacity: 2)
        p.connected(lane: 1, capacity: 2)
        #expect(p.takeLane(group: 0) == 0)
        #expect(p.takeLane(group: 0) == 1)
        #expect(p.takeLane(group: 0) == 0)
        #expect(p.takeLane(group: 0) == 1)
        #expect(p.takeLane(group: 0) == nil, "both full")
        p.release(lane: 1)
        #expect(p.takeLane(group: 0) == 1)
        #expect(p.lanes[0].load == 2 && p.lanes[1].load == 2)
    }

    @Test func http2LaneHasNoRoomUntilItsSettings() {
        var p = pool(lanes: 1)
        _ = p.connecting(lane: 0, now: 0)
        p.connected(lane: 0, capacity: 0)
        #expect(p.takeLane(group: 0) == nil)
        p.setCapacity(lane: 0, 100)
        #expect(p.takeLane(group: 0) == 0)
        p.setCapacity(lane: 0, 1)
        #expect(p.takeLane(group: 0) == nil, "the server lowered its limit below the streams open")
    }

    @Test func failedConnectsBackOffDoublingUpToOneSecond() {
        var p = pool(lanes: 1)
        var now: UInt64 = 0
        var backoffs: [UInt64] = []
        for _ in 0..<12 {
            _ = p.connecting(lane: 0, now: now)
            p.failedToConnect(lane: 0, now: now)
            #expect(p.lanes[0].phase == .backingOff)
            #expect(p.housekeeping(now: now, issuing: true) == [], "no retry before the backoff ends")
            backoffs.append(p.lanes[0].retryAtNanos - now)
            now = p.lanes[0].retryAtNanos
            #expect(p.housekeeping(now: now, issuing: true) == [.connect(lane: 0)])
        }
        #expect(backoffs.prefix(4) == [1 * Self.ms, 2 * Self.ms, 4 * Self.ms, 8 * Self.ms])
        #expect(backoffs.last == 1_000 * Self.ms)
        _ = p.connecting(lane: 0, now: now)
        p.connected(lane: 0, capacity: 1)
        #expect(p.lanes[0].backoffNanos == 0, "a success resets the backoff")
    }

    @Test func aConnectThatTakesTooLongIsReported() {
        var p = pool(lanes: 1)
        let first = p.connecting(lane: 0, now: 10 * Self.ms)
        #expect(p.housekeeping(now: 109 * Self.ms, issuing: true) == [])
        #expect(p.housekeeping(now: 110 * Self.ms, issuing: true) == [.connectTimedOut(lane: 0)])
        p.failedToConnect(lane: 0, now: 110 * Self.ms)
        let second = p.connecting(lane: 0, now: 111 * Self.ms)
        #expect(second == first &+ 1, "each connect has its own generation")
    }

    @Test func waitingEventsExpireAfterTheTimeoutInOrder() {
        var p = pool(lanes: 1, wait: 50 * Self.ms)
        p.wait(slot: 1, group: 0, since: 0)
        p.wait(slot: 2, group: 0, since: 10 * Self.ms)
        p.waitFirst(slot: 3, group: 0, since: 5 * Self.ms)
        var due = p.housekeeping(now: 49 * Self.ms, issuing: false)
        #expect(!due.contains { if case .expired = $0 { true } else { false } })
        due = p.housekeeping(now: 55 * Self.ms, issuing: false)
        #expect(due.filter { if case .expired = $0 { true } else { false } } == [.expired(slot: 3), .expired(slot: 1)],
                "the retry at the front (since 5 ms), then slot 1 (since 0); slot 2 (since 10 ms) has 5 ms left")
        due = p.housekeeping(now: 60 * Self.ms, issuing: false)
        #expect(due.filter { if case .expired = $0 { true } else { false } } == [.expired(slot: 2)])
        #expect(p.waitingCount(group: 0) == 0)
    }

    @Test func connectPerEventOpensOneLanePerWaitingEvent() {
        var p = pool(lanes: 3, persistent: false)
        p.wait(slot: 1, group: 0, since: 0)
        p.wait(slot: 2, group: 0, since: 0)
        var opened: [Int] = []
        while let lane = p.laneToConnect(group: 0, issuing: true) {
            _ = p.connecting(lane: lane, now: 0)
            opened.append(lane)
        }
        #expect(opened == [0, 1], "two events, two connects, the third lane stays down")
        p.connected(lane: 0, capacity: 1)
        #expect(p.takeLane(group: 0) == 0)
        #expect(p.nextWaiting(group: 0) == 1)
        // The response came and the server closed: the lane is down and nothing waits for it.
        p.lost(lane: 0)
        #expect(p.laneToConnect(group: 0, issuing: true) == nil, "slot 2 already has lane 1 connecting")
    }

    @Test func lostAndGoAwayFreeTheLaneForANewConnection() {
        var p = pool(lanes: 1)
        _ = p.connecting(lane: 0, now: 0)
        p.connected(lane: 0, capacity: 10)
        _ = p.takeLane(group: 0)
        p.lost(lane: 0)
        #expect(p.lanes[0].phase == .down && p.lanes[0].load == 0)
        #expect(p.takeLane(group: 0) == nil, "a stale queue entry is skipped")
        #expect(p.housekeeping(now: 1, issuing: true) == [.connect(lane: 0)])
        p.retireAll()
        #expect(p.housekeeping(now: 2, issuing: true) == [])
        #expect(!p.hasConnection(group: 0))
    }

    @Test func groupsAreSeparate() {
        var p = pool(groups: 2, lanes: 4)
        for lane in 0..<4 { _ = p.connecting(lane: lane, now: 0) }
        p.connected(lane: 1, capacity: 1)
        #expect(p.group(ofLane: 1) == 1 && p.group(ofLane: 2) == 0)
        #expect(p.takeLane(group: 0) == nil)
        #expect(p.takeLane(group: 1) == 1)
        #expect(p.hasConnection(group: 1) && !p.hasConnection(group: 0))
        p.wait(slot: 5, group: 0, since: 0)
        var drained: [(Int32, Int)] = []
        p.drainWaiting { drained.append(($0, $1)) }
        #expect(drained.count == 1 && drained[0] == (5, 0))
    }
}
