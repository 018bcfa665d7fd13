/* tls_floor_common.h — what the TLS floors (tls_floor.c for HTTP/1.1, h2_tls_floor.c for HTTP/2) share: the
 * loopback target, TCP connections with a TLS session over memory BIOs (as loadgen's TLSEngine: one read(2) per
 * readable event fed to OpenSSL, one write(2) of what OpenSSL wrote) or over the socket itself (as wrk), the
 * non-blocking handshake, the epoll loop and the CPU the process used. Anything unexpected ends the run: a floor
 * does only the work of the steady path.
 */
#ifndef TLS_FLOOR_COMMON_H
#define TLS_FLOOR_COMMON_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TF_READ_MAX 65536

/* One TCP connection and its TLS session; `owner` is what epoll hands back (the floor's connection). */
struct tf_tls {
    int fd;
    int handshaken;
    int socket_bio;
    SSL *ssl;
    BIO *rbio, *wbio; /* memory BIOs; NULL over the socket */
};

static void tf_fail(const char *what) {
    fprintf(stderr, "tls floor: %s: %s\n", what, errno ? strerror(errno) : "unexpected");
    ERR_print_errors_fp(stderr);
    exit(1);
}

static uint64_t tf_now_nanos(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static double tf_cpu_ms(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

/* A client context that verifies nothing (as wrk and h2load), offering ALPN `alpn` (wire format) unless NULL. */
static SSL_CTX *tf_client_ctx(const char *alpn, unsigned alpn_len) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL || (alpn != NULL && SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)alpn, alpn_len) != 0))
        tf_fail("SSL_CTX");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    return ctx;
}

/* The process's CPU and the wall clock from `start` on, per 1000 responses too. */
struct tf_totals {
    double cpu0, cpu_ms, cpu_ms_per_1k, wall_s;
    uint64_t wall0;
};

static struct tf_totals tf_start(void) {
    struct tf_totals t = {.cpu0 = tf_cpu_ms(), .wall0 = tf_now_nanos()};
    return t;
}

static void tf_stop(struct tf_totals *t, uint64_t responses) {
    t->cpu_ms = tf_cpu_ms() - t->cpu0;
    t->wall_s = (double)(tf_now_nanos() - t->wall0) / 1e9;
    t->cpu_ms_per_1k = responses ? t->cpu_ms * 1000.0 / (double)responses : 0.0;
}

/* SERVER:PORT, an IPv4 literal in 127.0.0.0/8 or the --allow address; 0 when it is not usable. */
static int tf_parse_target(const char *arg, const char *allow, struct sockaddr_in *to) {
    char host[64];
    const char *colon = strrchr(arg, ':');
    if (colon == NULL || (size_t)(colon - arg) >= sizeof host) return 0;
    memcpy(host, arg, (size_t)(colon - arg));
    host[colon - arg] = '\0';
    long port = strtol(colon + 1, NULL, 10);
    memset(to, 0, sizeof *to);
    to->sin_family = AF_INET;
    to->sin_port = htons((uint16_t)port);
    if (port < 1 || port > 65535 || inet_pton(AF_INET, host, &to->sin_addr) != 1) return 0;
    if ((ntohl(to->sin_addr.s_addr) >> 24) != 127 && (allow == NULL || strcmp(allow, host) != 0)) {
        fprintf(stderr, "tls floor: %s is not loopback; pass it with --allow too to use it\n", host);
        exit(2);
    }
    return 1;
}

/* Send what OpenSSL wrote into the memory BIO, in one write(2); nothing to do over the socket. */
static void tf_flush(struct tf_tls *t) {
    if (t->socket_bio) return;
    BUF_MEM *mem;
    BIO_get_mem_ptr(t->wbio, &mem);
    if (mem->length == 0) return;
    ssize_t n = write(t->fd, mem->data, mem->length);
    if (n != (ssize_t)mem->length) tf_fail("write (short or would block)");
    (void)BIO_reset(t->wbio);
}

static void tf_write(struct tf_tls *t, const void *data, int length) {
    if (SSL_write(t->ssl, data, length) != length) tf_fail("SSL_write");
    tf_flush(t);
}

static void tf_open(struct tf_tls *t, int epoll_fd, SSL_CTX *ctx, const struct sockaddr_in *to, void *owner) {
    t->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (t->fd < 0) tf_fail("socket");
    int one = 1;
    if (setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) tf_fail("TCP_NODELAY");
    if (connect(t->fd, (const struct sockaddr *)to, sizeof *to) != 0 && errno != EINPROGRESS) tf_fail("connect");
    t->ssl = SSL_new(ctx);
    if (t->ssl == NULL) tf_fail("SSL_new");
    if (t->socket_bio) {
        if (SSL_set_fd(t->ssl, t->fd) != 1) tf_fail("SSL_set_fd");
    } else {
        t->rbio = BIO_new(BIO_s_mem());
        t->wbio = BIO_new(BIO_s_mem());
        if (t->rbio == NULL || t->wbio == NULL) tf_fail("BIO_new");
        BIO_set_mem_eof_return(t->rbio, -1);
        SSL_set_bio(t->ssl, t->rbio, t->wbio);
    }
    SSL_set_connect_state(t->ssl);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = owner};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, t->fd, &ev) != 0) tf_fail("epoll_ctl");
}

/* On a readable (or, while connecting, writable) event: over memory BIOs, one read(2) fed to OpenSSL. Then
 * the handshake while it lasts. 1 when the session is ready for SSL_read (just now or long since). */
static int tf_on_event(struct tf_tls *t, int epoll_fd, void *owner, char *buf) {
    if (!t->socket_bio) {
        ssize_t n = read(t->fd, buf, TF_READ_MAX);
        if (n < 0 && errno == EAGAIN) {
            if (t->handshaken) return 0;
        } else if (n <= 0) {
            tf_fail("read (the server closed)");
        } else if (BIO_write(t->rbio, buf, (int)n) != n) {
            tf_fail("BIO_write");
        }
    }
    if (t->handshaken) return 1;
    int rc = SSL_do_handshake(t->ssl);
    tf_flush(t);
    if (rc != 1) {
        int e = SSL_get_error(t->ssl, rc);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) tf_fail("TLS handshake");
        return 0;
    }
    t->handshaken = 1;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = owner};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, t->fd, &ev) != 0) tf_fail("epoll_ctl");
    return 1;
}

/* SSL_read into buf: the plaintext length, or 0 when OpenSSL wants more bytes from the network. */
static int tf_read(struct tf_tls *t, char *buf, int cap) {
    int n = SSL_read(t->ssl, buf, cap);
    if (n > 0) return n;
    int e = SSL_get_error(t->ssl, n);
    if (e == SSL_ERROR_WANT_READ) return 0;
    errno = 0;
    tf_fail(e == SSL_ERROR_ZERO_RETURN ? "the server closed the session" : "SSL_read");
    return 0;
}

/* Until SECONDS have passed: wait for events and hand each to `on_event` with its owner. */
static void tf_run_loop(int epoll_fd, double seconds, void (*on_event)(void *run, void *owner), void *run) {
    uint64_t end = tf_now_nanos() + (uint64_t)(seconds * 1e9);
    struct epoll_event events[256];
    while (tf_now_nanos() < end) {
        int n = epoll_wait(epoll_fd, events, 256, 100);
        if (n < 0 && errno != EINTR) tf_fail("epoll_wait");
        for (int i = 0; i < n; i++) on_event(run, events[i].data.ptr);
    }
}

#endif
