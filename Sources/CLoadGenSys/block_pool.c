#include "CLoadGenSys.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Per-thread free lists of small blocks for nghttp2's allocator hooks (nghttp2_mem) and c-ares' (ares_library_init_mem).
 *
 * An HTTP/2 session allocates and frees a handful of small objects per stream (the stream, its header fields,
 * frame items); through glibc that was ~13% of loadgen's CPU at 500k streams/s. c-ares allocates three to five
 * blocks per query (the query, its buffer, its server states, names compared with the answer's); bursts of
 * dozens of queries outran glibc's per-thread cache (7 blocks per size). Each block carries a 16-byte
 * header with its size class (16-byte steps up to CLASS_MAX bytes; class 0 = a plain malloc for larger
 * requests), so a free needs no size and alignment stays 16. Freed blocks are kept on the freeing thread's
 * list, up to CACHE_BYTES_MAX per thread; sessions live and die on one loop thread, so blocks stay where they
 * are used. CLoadGenSys_block_pool_drain() returns the thread's cache to malloc; a thread that exits with blocks
 * cached drains them then (its lists die with it). */

/* Under AddressSanitizer blocks go straight back to malloc, so that a use after free in nghttp2 or c-ares (both
 * read what servers send) is reported, not hidden by a cached block. */
#if defined(__SANITIZE_ADDRESS__)
#define POOL_CACHES 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_CACHES 0
#endif
#endif
#ifndef POOL_CACHES
#define POOL_CACHES 1
#endif

#define HEADER 16
#define STEP 16
#define CLASS_MAX 512
#define CLASSES (CLASS_MAX / STEP)
#define CACHE_BYTES_MAX (8u << 20)

typedef struct free_block { struct free_block *next; } free_block;

static __thread free_block *free_lists[CLASSES + 1];
static __thread size_t cached_bytes;

static __thread int drains_at_exit;
static pthread_key_t drain_key;
static pthread_once_t drain_key_once = PTHREAD_ONCE_INIT;

static void drain_at_exit(void *unused) {
    (void)unused;
    CLoadGenSys_block_pool_drain();
}

static void make_drain_key(void) { pthread_key_create(&drain_key, drain_at_exit); }

/* Before the thread first caches a block: have its exit drain the cache (a non-NULL value runs the destructor). */
static void drain_when_thread_exits(void) {
    pthread_once(&drain_key_once, make_drain_key);
    pthread_setspecific(drain_key, &drains_at_exit);
    drains_at_exit = 1;
}

/* 1..CLASSES for sizes up to CLASS_MAX (0 counts as 1 byte), CLASSES + 1 for anything larger. */
static inline size_t class_of(size_t size) {
    if (size > CLASS_MAX) return CLASSES + 1;
    return size == 0 ? 1 : (size + STEP - 1) / STEP;
}

void *CLoadGenSys_block_pool_malloc(size_t size, void *user_data) {
    (void)user_data;
    size_t cls = class_of(size);
    if (cls > CLASSES) {
        if (size > SIZE_MAX - HEADER) return NULL;
        char *raw = malloc(HEADER + size);
        if (!raw) return NULL;
        *(size_t *)raw = 0;
        return raw + HEADER;
    }
    free_block *block = free_lists[cls];
    if (block) {
        free_lists[cls] = block->next;
        cached_bytes -= cls * STEP;
        return block;
    }
    char *raw = malloc(HEADER + cls * STEP);
    if (!raw) return NULL;
    *(size_t *)raw = cls;
    return raw + HEADER;
}

void CLoadGenSys_block_pool_free(void *ptr, void *user_data) {
    (void)user_data;
    if (!ptr) return;
    char *raw = (char *)ptr - HEADER;
    size_t cls = *(size_t *)raw;
    if (!POOL_CACHES || cls == 0 || cached_bytes + cls * STEP > CACHE_BYTES_MAX) {
        free(raw);
        return;
    }
    if (!drains_at_exit) drain_when_thread_exits();
    free_block *block = ptr;
    block->next = free_lists[cls];
    free_lists[cls] = block;
    cached_bytes += cls * STEP;
}

void *CLoadGenSys_block_pool_calloc(size_t count, size_t size, void *user_data) {
    if (size != 0 && count > SIZE_MAX / size) return NULL;
    void *ptr = CLoadGenSys_block_pool_malloc(count * size, user_data);
    if (ptr) memset(ptr, 0, count * size);
    return ptr;
}

void *CLoadGenSys_block_pool_realloc(void *ptr, size_t size, void *user_data) {
    if (!ptr) return CLoadGenSys_block_pool_malloc(size, user_data);
    if (size == 0) {
        CLoadGenSys_block_pool_free(ptr, user_data);
        return NULL;
    }
    char *raw = (char *)ptr - HEADER;
    size_t cls = *(size_t *)raw;
    if (cls == 0) {
        if (class_of(size) <= CLASSES) {
            /* Shrinking into a class: move, so that every class block has exactly its class size. */
            void *moved = CLoadGenSys_block_pool_malloc(size, user_data);
            if (!moved) return NULL;
            memcpy(moved, ptr, size);
            free(raw);
            return moved;
        }
        if (size > SIZE_MAX - HEADER) return NULL;
        char *grown = realloc(raw, HEADER + size);
        return grown ? grown + HEADER : NULL;
    }
    if (size <= cls * STEP) return ptr;
    void *moved = CLoadGenSys_block_pool_malloc(size, user_data);
    if (!moved) return NULL;
    memcpy(moved, ptr, cls * STEP);
    CLoadGenSys_block_pool_free(ptr, user_data);
    return moved;
}

void CLoadGenSys_block_pool_drain(void) {
    for (size_t cls = 1; cls <= CLASSES; cls++) {
        free_block *block = free_lists[cls];
        while (block) {
            free_block *next = block->next;
            free((char *)block - HEADER);
            block = next;
        }
        free_lists[cls] = NULL;
    }
    cached_bytes = 0;
}

int CLoadGenSys_block_pool_caches(void) { return POOL_CACHES; }

void *CLoadGenSys_ares_malloc(size_t size) { return CLoadGenSys_block_pool_malloc(size, NULL); }

void CLoadGenSys_ares_free(void *ptr) { CLoadGenSys_block_pool_free(ptr, NULL); }

void *CLoadGenSys_ares_realloc(void *ptr, size_t size) { return CLoadGenSys_block_pool_realloc(ptr, size, NULL); }
