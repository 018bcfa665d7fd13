#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* OpenSSL 3.0 spells these as macros over SSL_ctrl / SSL_CTX_ctrl / BIO_ctrl, which Swift cannot import. */

static inline int COpenSSL_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

static inline int COpenSSL_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}

static inline long COpenSSL_SSL_CTX_get_mode(SSL_CTX *ctx) {
    return SSL_CTX_get_mode(ctx);
}

static inline long COpenSSL_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}

static inline int COpenSSL_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

/* SSL_OP_* are spelled with SSL_OP_BIT(n), a function-like macro. */
static inline void COpenSSL_SSL_CTX_refuse_renegotiation(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
}

/* -1: an empty memory BIO means "retry later", not end of file (TLSEngine tracks the end of input itself). */
static inline void COpenSSL_BIO_set_mem_eof_return(BIO *bio, int value) {
    (void)BIO_set_mem_eof_return(bio, value);
}

static inline size_t COpenSSL_BIO_pending(BIO *bio) {
    return BIO_ctrl_pending(bio);
}

/* The byte queues between a TLSEngine and OpenSSL: one BIO serves as both the read and the write BIO of an SSL.
 * Ciphertext received is appended to `in` (TLSEngine.feed) and handed to OpenSSL on its reads; the records OpenSSL
 * writes are appended to `out`, and `take` swaps `out` with `spare`, so the bytes handed to the socket stay put
 * while OpenSSL writes on, with no copy. Unlike a memory BIO (BIO_s_mem) there is no BUF_MEM to grow and clear, and
 * the owner reads the queue lengths as fields instead of through BIO_ctrl. Single-threaded, like its SSL. */
typedef struct COpenSSL_TLSQueues {
    unsigned char *in;
    size_t inStart, inEnd, inCapacity;
    unsigned char *out;
    size_t outCount, outCapacity;
    unsigned char *spare;
    size_t spareCapacity;
} COpenSSL_TLSQueues;

/* Room for `extra` more bytes after `*count` in `*bytes` (capacity doubled from 4 KiB); 0 when out of memory. */
static inline int COpenSSL_TLSQueues_reserve(unsigned char **bytes, size_t *capacity, size_t count, size_t extra) {
    if (extra > SIZE_MAX / 2 - count) return 0;
    if (count + extra <= *capacity) return 1;
    size_t grown = *capacity < 4096 ? 4096 : *capacity;
    while (grown < count + extra) grown *= 2;
    unsigned char *moved = (unsigned char *)realloc(*bytes, grown);
    if (moved == NULL) return 0;
    *bytes = moved;
    *capacity = grown;
    return 1;
}

static inline int COpenSSL_TLSQueues_bioRead(BIO *bio, char *to, int length) {
    COpenSSL_TLSQueues *q = (COpenSSL_TLSQueues *)BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    size_t available = q->inEnd - q->inStart;
    if (available == 0 || length <= 0) {
        BIO_set_retry_read(bio);
        return -1;
    }
    size_t count = available < (size_t)length ? available : (size_t)length;
    memcpy(to, q->in + q->inStart, count);
    q->inStart += count;
    if (q->inStart == q->inEnd) q->inStart = q->inEnd = 0;
    return (int)count;
}

static inline int COpenSSL_TLSQueues_bioWrite(BIO *bio, const char *from, int length) {
    COpenSSL_TLSQueues *q = (COpenSSL_TLSQueues *)BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (length <= 0) return 0;
    if (!COpenSSL_TLSQueues_reserve(&q->out, &q->outCapacity, q->outCount, (size_t)length)) return -1;
    memcpy(q->out + q->outCount, from, (size_t)length);
    q->outCount += (size_t)length;
    return length;
}

static inline long COpenSSL_TLSQueues_bioCtrl(BIO *bio, int command, long number, void *pointer) {
    (void)number; (void)pointer;
    COpenSSL_TLSQueues *q = (COpenSSL_TLSQueues *)BIO_get_data(bio);
    switch (command) {
    case BIO_CTRL_PENDING: return (long)(q->inEnd - q->inStart);
    case BIO_CTRL_WPENDING: return (long)q->outCount;
    case BIO_CTRL_FLUSH: return 1;
    default: return 0;
    }
}

static inline int COpenSSL_TLSQueues_bioCreate(BIO *bio) {
    BIO_set_init(bio, 1);
    return 1;
}

static inline int COpenSSL_TLSQueues_bioDestroy(BIO *bio) {
    COpenSSL_TLSQueues *q = (COpenSSL_TLSQueues *)BIO_get_data(bio);
    if (q != NULL) {
        free(q->in);
        free(q->out);
        free(q->spare);
        free(q);
        BIO_set_data(bio, NULL);
    }
    return 1;
}

/* The BIO type, made once per process (NULL when out of memory). */
static inline BIO_METHOD *COpenSSL_TLSQueues_method(void) {
    BIO_METHOD *method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "loadgen TLS queues");
    if (method == NULL) return NULL;
    if (!BIO_meth_set_read(method, COpenSSL_TLSQueues_bioRead) || !BIO_meth_set_write(method, COpenSSL_TLSQueues_bioWrite) ||
        !BIO_meth_set_ctrl(method, COpenSSL_TLSQueues_bioCtrl) || !BIO_meth_set_create(method, COpenSSL_TLSQueues_bioCreate) ||
        !BIO_meth_set_destroy(method, COpenSSL_TLSQueues_bioDestroy)) {
        BIO_meth_free(method);
        return NULL;
    }
    return method;
}

/* A BIO of `method` owning empty queues, returned in `*queues` (freed with the BIO); NULL when out of memory. */
static inline BIO *COpenSSL_TLSQueues_newBIO(BIO_METHOD *method, COpenSSL_TLSQueues **queues) {
    COpenSSL_TLSQueues *q = (COpenSSL_TLSQueues *)calloc(1, sizeof *q);
    if (q == NULL) return NULL;
    BIO *bio = BIO_new(method);
    if (bio == NULL) {
        free(q);
        return NULL;
    }
    BIO_set_data(bio, q);
    *queues = q;
    return bio;
}

/* Appends received ciphertext for OpenSSL to read; 0 when out of memory. */
static inline int COpenSSL_TLSQueues_feed(COpenSSL_TLSQueues *q, const void *bytes, size_t count) {
    if (q->inStart > 0 && q->inStart == q->inEnd) q->inStart = q->inEnd = 0;
    if (q->inStart > 0 && q->inEnd + count > q->inCapacity) {
        memmove(q->in, q->in + q->inStart, q->inEnd - q->inStart);
        q->inEnd -= q->inStart;
        q->inStart = 0;
    }
    if (!COpenSSL_TLSQueues_reserve(&q->in, &q->inCapacity, q->inEnd, count)) return 0;
    memcpy(q->in + q->inEnd, bytes, count);
    q->inEnd += count;
    return 1;
}

/* The ciphertext written so far, moved out of OpenSSL's way: valid until the next call that takes bytes, which
 * reuses its memory. */
static inline size_t COpenSSL_TLSQueues_take(COpenSSL_TLSQueues *q, const unsigned char **bytes) {
    size_t count = q->outCount;
    if (count == 0) {
        *bytes = q->out;
        return 0;
    }
    unsigned char *taken = q->out;
    size_t takenCapacity = q->outCapacity;
    q->out = q->spare;
    q->outCapacity = q->spareCapacity;
    q->outCount = 0;
    q->spare = taken;
    q->spareCapacity = takenCapacity;
    *bytes = taken;
    return count;
}

static inline int COpenSSL_ERR_GET_LIB(unsigned long error) { return ERR_GET_LIB(error); }
static inline int COpenSSL_ERR_GET_REASON(unsigned long error) { return ERR_GET_REASON(error); }

#endif
