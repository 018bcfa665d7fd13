/* tls_floor.c — the floor of client CPU for HTTPS/1.1 keep-alive load on this machine: the smallest closed-loop
 * client of loadgen's design, to hold loadgen and wrk against.
 *
 *   tls_floor [--allow ADDR] [--socket-bio] SERVER:PORT PATH SECONDS CONNECTIONS
 *
 * One thread, one epoll set, CONNECTIONS non-blocking TCP connections (TCP_NODELAY), each with a TLS session
 * (OpenSSL, no certificate verification, as wrk) and one request in flight ("GET PATH HTTP/1.1" with a Host
 * header, in one SSL_write); as soon as a response is complete (its head and Content-Length bytes of body) the
 * next request goes out on the same connection. By default each session works over memory BIOs, as loadgen's
 * TLSEngine does; --socket-bio gives OpenSSL the socket itself, as wrk does (tls_floor_common.h). A response
 * without Content-Length, bytes past a response or anything else unexpected ends the run with an error.
 *
 * Prints one JSON object on stdout: connections, seconds, responses, cpu_ms, cpu_ms_per_1k (user + system CPU of
 * the process, handshakes included), wall_s, bio. SERVER is an IPv4 literal in 127.0.0.0/8, or the address also
 * given with --allow. SECONDS more than 0 and at most 600, CONNECTIONS 1 to 1,000.
 * Build: cc -O2 -Wall -Wextra -Werror -o tls_floor tls_floor.c -lssl -lcrypto (with tls_floor_common.h).
 */
#include "tls_floor_common.h"

#define TF_MAX_CONNECTIONS 1000
#define TF_HEAD_MAX 8192

struct tf_conn {
    struct tf_tls tls;
    size_t head_len;
    int in_body;
    uint64_t body_left;
    char head[TF_HEAD_MAX];
};

struct tf_run {
    int epoll_fd;
    char request[1024];
    int request_len;
    uint64_t responses;
    char buf[TF_READ_MAX];
};

/* Parse the head once "\r\n\r\n" is in: 1 when the head is complete (body_left set), 0 for more, exit on error. */
static int parse_head(struct tf_conn *c) {
    char *end = memmem(c->head, c->head_len, "\r\n\r\n", 4);
    if (end == NULL) {
        if (c->head_len == TF_HEAD_MAX) tf_fail("response head too long");
        return 0;
    }
    size_t head_bytes = (size_t)(end - c->head) + 4;
    const char *p = c->head;
    const char *cl = NULL;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        p++;
        if (strncasecmp(p, "content-length:", 15) == 0) {
            cl = p + 15;
            break;
        }
    }
    if (cl == NULL) tf_fail("response without Content-Length");
    uint64_t length = strtoull(cl, NULL, 10);
    uint64_t extra = c->head_len - head_bytes;
    if (extra > length) tf_fail("more bytes than the response");
    c->body_left = length - extra;
    c->in_body = 1;
    return 1;
}

/* Take n plaintext bytes; 1 when they complete the response (no pipelining: nothing may follow). */
static int take_plaintext(struct tf_conn *c, const char *data, size_t n) {
    if (c->in_body) {
        if (n > c->body_left) tf_fail("more bytes than the response");
        c->body_left -= n;
    } else {
        size_t room = TF_HEAD_MAX - c->head_len;
        size_t take = n < room ? n : room;
        memcpy(c->head + c->head_len, data, take);
        c->head_len += take;
        if (!parse_head(c)) {
            if (take < n) tf_fail("response head too long");
            return 0;
        }
        if (n - take > c->body_left) tf_fail("more bytes than the response");
        c->body_left -= n - take;
    }
    if (c->body_left > 0) return 0;
    c->in_body = 0;
    c->head_len = 0;
    return 1;
}

static void on_event(void *run, void *owner) {
    struct tf_run *r = run;
    struct tf_conn *c = owner;
    int was_handshaken = c->tls.handshaken;
    if (!tf_on_event(&c->tls, r->epoll_fd, c, r->buf)) return;
    if (!was_handshaken) tf_write(&c->tls, r->request, r->request_len);
    int n;
    while ((n = tf_read(&c->tls, r->buf, TF_READ_MAX)) > 0) {
        if (take_plaintext(c, r->buf, (size_t)n)) {
            r->responses++;
            tf_write(&c->tls, r->request, r->request_len);
        }
    }
}

static void usage(void) {
    fprintf(stderr, "usage: tls_floor [--allow ADDR] [--socket-bio] SERVER:PORT PATH SECONDS CONNECTIONS\n"
                    "  SERVER an IPv4 literal in 127.0.0.0/8 (or the --allow address); SECONDS (0, 600];"
                    " CONNECTIONS 1 to 1000\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *allow = NULL;
    static struct tf_run run;
    int socket_bio = 0, i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--allow") == 0 && i + 1 < argc) allow = argv[++i];
        else if (strcmp(argv[i], "--socket-bio") == 0) socket_bio = 1;
        else usage();
    }
    struct sockaddr_in to;
    if (argc - i != 4 || !tf_parse_target(argv[i], allow, &to)) usage();
    double seconds = strtod(argv[i + 2], NULL);
    int connections = atoi(argv[i + 3]);
    if (!(seconds > 0 && seconds <= 600) || connections < 1 || connections > TF_MAX_CONNECTIONS) usage();
    run.request_len = snprintf(run.request, sizeof run.request, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", argv[i + 1],
                               argv[i]);
    if (run.request_len <= 0 || (size_t)run.request_len >= sizeof run.request) usage();
    SSL_CTX *ctx = tf_client_ctx(NULL, 0);
    run.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct tf_conn *conns = calloc((size_t)connections, sizeof *conns);
    if (run.epoll_fd < 0 || conns == NULL) tf_fail("setup");
    struct tf_totals t = tf_start();
    for (int k = 0; k < connections; k++) {
        conns[k].tls.socket_bio = socket_bio;
        tf_open(&conns[k].tls, run.epoll_fd, ctx, &to, &conns[k]);
    }
    tf_run_loop(run.epoll_fd, seconds, on_event, &run);
    tf_stop(&t, run.responses);
    printf("{\"connections\": %d, \"seconds\": %g, \"responses\": %llu, \"cpu_ms\": %.1f, \"cpu_ms_per_1k\": %.3f, "
           "\"wall_s\": %.3f, \"bio\": \"%s\"}\n",
           connections, seconds, (unsigned long long)run.responses, t.cpu_ms, t.cpu_ms_per_1k, t.wall_s,
           socket_bio ? "socket" : "memory");
    return 0;
}
