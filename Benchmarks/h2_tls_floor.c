/* h2_tls_floor.c — the floor of client CPU for HTTP/2 over TLS on this machine: the smallest closed-loop client
 * of loadgen's design, to hold loadgen and h2load against.
 *
 *   h2_tls_floor [--allow ADDR] SERVER:PORT PATH SECONDS CONNECTIONS STREAMS
 *
 * One thread, one epoll set, CONNECTIONS non-blocking TCP connections (TCP_NODELAY), each a TLS session (OpenSSL,
 * ALPN h2, no certificate verification, as h2load) over memory BIOs (tls_floor_common.h) with an nghttp2 client
 * session that keeps STREAMS GET requests in flight (the windows of the connection and of every stream 2^30, as
 * loadgen sets them). Each readable event: one read(2) fed to OpenSSL, all the plaintext to
 * nghttp2_session_mem_recv, a new request for every stream that closed, then everything nghttp2 has to send in
 * one SSL_write and one write(2). A stream that ends with an error, a status other than 200 or a session error
 * ends the run.
 *
 * Prints one JSON object on stdout: connections, streams, seconds, responses, cpu_ms, cpu_ms_per_1k (user + system
 * CPU of the process, handshakes included), wall_s. SERVER is an IPv4 literal in 127.0.0.0/8, or the address also
 * given with --allow. SECONDS more than 0 and at most 600, CONNECTIONS 1 to 1,000, STREAMS 1 to 1,000.
 * Build: cc -O2 -Wall -Wextra -Werror -o h2_tls_floor h2_tls_floor.c -lnghttp2 -lssl -lcrypto
 */
#include <nghttp2/nghttp2.h>

#include "tls_floor_common.h"

#define HF_MAX 1000
#define HF_WINDOW (1 << 30)
#define HF_OUT_MAX 65536

struct hf_conn {
    struct tf_tls tls;
    nghttp2_session *session;
    struct hf_run *run;
    int to_submit;
};

struct hf_run {
    int epoll_fd, streams;
    nghttp2_nv request[4];
    uint64_t responses;
    char buf[TF_READ_MAX];
    uint8_t out[HF_OUT_MAX];
};

static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags, void *user) {
    (void)s, (void)frame, (void)flags, (void)user;
    if (namelen == 7 && memcmp(name, ":status", 7) == 0 && (valuelen != 3 || memcmp(value, "200", 3) != 0)) {
        errno = 0;
        tf_fail("a status other than 200");
    }
    return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t stream_id, uint32_t error_code, void *user) {
    (void)s, (void)stream_id;
    struct hf_conn *c = user;
    if (error_code != 0) {
        errno = 0;
        tf_fail("a stream closed with an error");
    }
    c->run->responses++;
    c->to_submit++;
    return 0;
}

/* A request for every stream that closed, then all nghttp2 has to send: one SSL_write, one write(2). */
static void submit_and_send(struct hf_run *r, struct hf_conn *c) {
    for (; c->to_submit > 0; c->to_submit--) {
        if (nghttp2_submit_request(c->session, NULL, r->request, 4, NULL, NULL) < 0) tf_fail("submit_request");
    }
    size_t out = 0;
    for (;;) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(c->session, &data);
        if (n < 0) tf_fail("nghttp2_session_mem_send");
        if (n == 0) break;
        if (out + (size_t)n > HF_OUT_MAX) {
            tf_write(&c->tls, r->out, (int)out);
            out = 0;
        }
        if ((size_t)n > HF_OUT_MAX) {
            tf_write(&c->tls, data, (int)n);
            continue;
        }
        memcpy(r->out + out, data, (size_t)n);
        out += (size_t)n;
    }
    if (out > 0) tf_write(&c->tls, r->out, (int)out);
}

static void start_session(struct hf_run *r, struct hf_conn *c) {
    const unsigned char *alpn = NULL;
    unsigned int alpn_len = 0;
    SSL_get0_alpn_selected(c->tls.ssl, &alpn, &alpn_len);
    if (alpn_len != 2 || memcmp(alpn, "h2", 2) != 0) {
        errno = 0;
        tf_fail("the server did not select h2");
    }
    nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                         {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, HF_WINDOW}};
    if (nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, settings, 2) != 0) tf_fail("submit_settings");
    if (nghttp2_session_set_local_window_size(c->session, NGHTTP2_FLAG_NONE, 0, HF_WINDOW) != 0) tf_fail("window");
    c->to_submit = r->streams;
    submit_and_send(r, c);
}

static void on_event(void *run, void *owner) {
    struct hf_run *r = run;
    struct hf_conn *c = owner;
    int was_handshaken = c->tls.handshaken;
    if (!tf_on_event(&c->tls, r->epoll_fd, c, r->buf)) return;
    if (!was_handshaken) start_session(r, c);
    int n;
    while ((n = tf_read(&c->tls, r->buf, TF_READ_MAX)) > 0) {
        if (nghttp2_session_mem_recv(c->session, (const uint8_t *)r->buf, (size_t)n) != n) tf_fail("mem_recv");
    }
    submit_and_send(r, c);
}

static nghttp2_nv header(const char *name, const char *value) {
    nghttp2_nv nv = {(uint8_t *)name, (uint8_t *)value, strlen(name), strlen(value),
                     NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE};
    return nv;
}

static void usage(void) {
    fprintf(stderr, "usage: h2_tls_floor [--allow ADDR] SERVER:PORT PATH SECONDS CONNECTIONS STREAMS\n"
                    "  SERVER an IPv4 literal in 127.0.0.0/8 (or the --allow address); SECONDS (0, 600];"
                    " CONNECTIONS and STREAMS 1 to 1000\n");
    exit(2);
}

static nghttp2_session *new_session(struct hf_conn *c) {
    static nghttp2_session_callbacks *callbacks;
    if (callbacks == NULL) {
        if (nghttp2_session_callbacks_new(&callbacks) != 0) tf_fail("callbacks");
        nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_close);
    }
    nghttp2_session *session;
    if (nghttp2_session_client_new(&session, callbacks, c) != 0) tf_fail("nghttp2_session_client_new");
    return session;
}

int main(int argc, char **argv) {
    const char *allow = NULL;
    static struct hf_run run;
    int i = 1;
    if (argc > 2 && strcmp(argv[1], "--allow") == 0) allow = argv[2], i = 3;
    struct sockaddr_in to;
    if (argc - i != 5 || !tf_parse_target(argv[i], allow, &to)) usage();
    double seconds = strtod(argv[i + 2], NULL);
    int connections = atoi(argv[i + 3]);
    run.streams = atoi(argv[i + 4]);
    if (!(seconds > 0 && seconds <= 600) || connections < 1 || connections > HF_MAX || run.streams < 1 ||
        run.streams > HF_MAX)
        usage();
    run.request[0] = header(":method", "GET");
    run.request[1] = header(":scheme", "https");
    run.request[2] = header(":authority", argv[i]);
    run.request[3] = header(":path", argv[i + 1]);
    SSL_CTX *ctx = tf_client_ctx("\x02h2", 3);
    run.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct hf_conn *conns = calloc((size_t)connections, sizeof *conns);
    if (run.epoll_fd < 0 || conns == NULL) tf_fail("setup");
    struct tf_totals t = tf_start();
    for (int k = 0; k < connections; k++) {
        conns[k].run = &run;
        conns[k].session = new_session(&conns[k]);
        tf_open(&conns[k].tls, run.epoll_fd, ctx, &to, &conns[k]);
    }
    tf_run_loop(run.epoll_fd, seconds, on_event, &run);
    tf_stop(&t, run.responses);
    printf("{\"connections\": %d, \"streams\": %d, \"seconds\": %g, \"responses\": %llu, \"cpu_ms\": %.1f, "
           "\"cpu_ms_per_1k\": %.3f, \"wall_s\": %.3f}\n",
           connections, run.streams, seconds, (unsigned long long)run.responses, t.cpu_ms, t.cpu_ms_per_1k, t.wall_s);
    return 0;
}
