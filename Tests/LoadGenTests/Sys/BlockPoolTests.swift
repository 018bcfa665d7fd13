import CLoadGenSys
import Testing

/// The per-thread small-block allocator behind nghttp2's sessions (`block_pool.c`): nghttp2 relies on it exactly
/// as on malloc, so every malloc promise is checked here, plus the reuse that makes it worth having.
@Suite struct BlockPoolTests {
    private func fill(_ p: UnsafeMutableRawPointer, _ count: Int, _ byte: UInt8) {
        p.initializeMemory(as: UInt8.self, repeating: byte, count: count)
    }

    private func bytes(_ p: UnsafeMutableRawPointer, _ count: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: p, count: count))
    }

    @Test("every size from 0 to 600 bytes: 16-byte aligned, writable in full, distinct while live")
    func sizes() throws {
        var live: [(UnsafeMutableRawPointer, Int)] = []
        defer { for (p, _) in live { CLoadGenSys_block_pool_free(p, nil) } }
        for size in 0...600 {
            let p = try #require(CLoadGenSys_block_pool_malloc(size, nil))
            #expect(Int(bitPattern: p) % 16 == 0, "size \(size)")
            fill(p, size, UInt8(truncatingIfNeeded: size))
            live.append((p, size))
        }
        for (p, size) in live {
            #expect(bytes(p, size).allSatisfy { $0 == UInt8(truncatingIfNeeded: size) }, "size \(size) was overwritten")
        }
        #expect(Set(live.map { $0.0 }).count == live.count)
    }

    @Test("a freed block is handed out again for a request of its size class, not before it is freed")
    func reuse() throws {
        CLoadGenSys_block_pool_drain()
        let a = try #require(CLoadGenSys_block_pool_malloc(40, nil))
        let b = try #require(CLoadGenSys_block_pool_malloc(40, nil))
        #expect(a != b)
        CLoadGenSys_block_pool_free(a, nil)
        let c = try #require(CLoadGenSys_block_pool_malloc(48, nil))  // 40 and 48 share the 48-byte class
        if CLoadGenSys_block_pool_caches() != 0 { #expect(c == a) }  // under AddressSanitizer nothing is cached
        let d = try #require(CLoadGenSys_block_pool_malloc(64, nil))  // another class
        #expect(d != a && d != b)
        for p in [b, c, d] { CLoadGenSys_block_pool_free(p, nil) }
        // Large blocks go straight back to malloc and still work.
        let big = try #require(CLoadGenSys_block_pool_malloc(100_000, nil))
        fill(big, 100_000, 7)
        CLoadGenSys_block_pool_free(big, nil)
        CLoadGenSys_block_pool_free(nil, nil)
    }

    @Test("calloc zeroes, also a reused block; an overflowing count × size fails")
    func calloc() throws {
        let dirty = try #require(CLoadGenSys_block_pool_malloc(96, nil))
        fill(dirty, 96, 0xAB)
        CLoadGenSys_block_pool_free(dirty, nil)
        let zeroed = try #require(CLoadGenSys_block_pool_calloc(3, 32, nil))
        if CLoadGenSys_block_pool_caches() != 0 { #expect(zeroed == dirty) }
        #expect(bytes(zeroed, 96).allSatisfy { $0 == 0 })
        CLoadGenSys_block_pool_free(zeroed, nil)
        #expect(CLoadGenSys_block_pool_calloc(Int.max / 2, 4, nil) == nil)
    }

    @Test("realloc keeps the contents when growing within a class, across classes, to and from large sizes")
    func realloc() throws {
        var p = try #require(CLoadGenSys_block_pool_realloc(nil, 20, nil))  // nil: a malloc
        fill(p, 20, 1)
        let same = try #require(CLoadGenSys_block_pool_realloc(p, 32, nil))  // still fits its 32-byte block
        #expect(same == p)
        fill(same.advanced(by: 20), 12, 2)
        p = try #require(CLoadGenSys_block_pool_realloc(same, 300, nil))
        #expect(bytes(p, 32) == Array(repeating: 1, count: 20) + Array(repeating: 2, count: 12))
        fill(p.advanced(by: 32), 268, 3)
        p = try #require(CLoadGenSys_block_pool_realloc(p, 5_000, nil))  // past the classes
        #expect(bytes(p, 300) == Array(repeating: 1, count: 20) + Array(repeating: 2, count: 12) + Array(repeating: 3, count: 268))
        fill(p.advanced(by: 300), 4_700, 4)
        p = try #require(CLoadGenSys_block_pool_realloc(p, 9_000, nil))  // large to larger
        #expect(bytes(p, 5_000).suffix(4_700).allSatisfy { $0 == 4 })
        p = try #require(CLoadGenSys_block_pool_realloc(p, 24, nil))  // back into a class
        #expect(bytes(p, 24) == Array(repeating: 1, count: 20) + Array(repeating: 2, count: 4))
        #expect(CLoadGenSys_block_pool_realloc(p, 0, nil) == nil)  // size 0: freed
    }

    @Test("c-ares' hooks are the same pool: a block c-ares frees serves the next request of its class, realloc keeps contents")
    func aresHooks() throws {
        CLoadGenSys_block_pool_drain()
        let a = try #require(CLoadGenSys_ares_malloc(70))
        fill(a, 70, 5)
        let grown = try #require(CLoadGenSys_ares_realloc(a, 700))
        #expect(bytes(grown, 70).allSatisfy { $0 == 5 })
        let b = try #require(CLoadGenSys_ares_malloc(33))
        CLoadGenSys_ares_free(b)
        let c = try #require(CLoadGenSys_block_pool_malloc(48, nil))
        if CLoadGenSys_block_pool_caches() != 0 { #expect(c == b) }
        CLoadGenSys_block_pool_free(c, nil)
        CLoadGenSys_ares_free(grown)
        CLoadGenSys_ares_free(nil)
    }

    @Test("drain empties the thread's cache; allocation goes on afterwards")
    func drain() throws {
        let p = try #require(CLoadGenSys_block_pool_malloc(128, nil))
        CLoadGenSys_block_pool_free(p, nil)
        CLoadGenSys_block_pool_drain()
        let q = try #require(CLoadGenSys_block_pool_malloc(128, nil))
        fill(q, 128, 9)
        CLoadGenSys_block_pool_free(q, nil)
    }
}
