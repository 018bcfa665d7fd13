/* pacing_floor_http.c — the floor of open-loop pacing for HTTP/1.1 on this machine: the smallest keep-alive
 * client that sends each request as close to its intended time as one thread can, with the responses to read.
 *
 *   pacing_floor_http [--allow ADDR] SERVER:PORT PATH RATE SECONDS CONNECTIONS
 *
 * As pacing_floor.c (one thread, timer slack 1 µs, event i intended at origin + i * 10^9 / RATE ns), but over
 * CONNECTIONS keep-alive TCP connections (TCP_NODELAY), one request in flight on each, "GET PATH HTTP/1.1" with
 * a Host header. The thread sleeps in epoll_pwait2 until the next intended time or a response, whichever comes
 * first; it sends every due event before it reads (one write each, on a free connection; an event finding none
 * waits for the next response, its lag growing), then reads the responses that woke it, sending what fell due
 * before each read (as loadgen sends what is due after each response). A response is complete
 * after its head and Content-Length bytes of body; anything else ends the run with an error. After the last
 * send it waits up to 1 s for the rest.
 *
 * Prints one JSON object on stdout: rate, seconds, connections, sent, received, lag_us {p50, p90, p99, max},
 * cpu_ms, cpu_ms_per_1k, wall_s, timer_slack_ns — the keys pacing_floor.c prints (send_errors is always 0).
 * SERVER is an IPv4 literal in 127.0.0.0/8, or the address also given with --allow. RATE 1 to 1,000,000,
 * SECONDS more than 0 and at most 600, RATE * SECONDS at most 100,000,000, CONNECTIONS 1 to 1,000.
 * Build: cc -O2 -Wall -Wextra -Werror -o pacing_floor_http pacing_floor_http.c (with pacing_floor_common.h).
 */
#define _GNU_SOURCE
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pacing_floor_common.h"

#define HF_MAX_CONNECTIONS 1000
#define HF_HEAD_MAX 8192
#define HF_READ_MAX 65536
#define HF_REQUEST_MAX 1024
#define HF_WAIT_NS 1000000000ULL

/* One keep-alive connection: its response in progress (head bytes so far, then body bytes still to come). */
struct hf_conn {
    int fd;
    int busy;
    size_t head_len;
    int in_body;
    uint64_t body_left;
    char head[HF_HEAD_MAX];
};

struct hf_run {
    int epoll_fd;
    uint64_t rate, events, origin_nanos;
    int connections;
    struct hf_conn *conns;
    int *free_conns; /* a stack of idle connections */
    int free_count;
    char request[HF_REQUEST_MAX];
    size_t request_len;
    uint32_t *lag_nanos;
    uint64_t next; /* the next event to send */
    uint64_t max_lag_nanos, sent, received;
    char buf[HF_READ_MAX];
};

static struct hf_run hf_state;

static const char hf_usage_text[] =
    "usage: pacing_floor_http [--allow ADDR] SERVER:PORT PATH RATE SECONDS CONNECTIONS\n"
    "  SERVER: IPv4 literal in 127.0.0.0/8 (or the ADDR of --allow); RATE 1..1000000/s;\n"
    "  SECONDS > 0 and <= 600; RATE * SECONDS <= 100000000; CONNECTIONS 1..1000\n";

static uint64_t hf_intended(const struct hf_run *r, uint64_t i) { return r->origin_nanos + i * FLOOR_NANOS / r->rate; }

static void hf_setup(struct hf_run *r, const struct sockaddr_in *server, double seconds) {
    if (prctl(PR_SET_TIMERSLACK, FLOOR_TIMER_SLACK_NS, 0, 0, 0) != 0) floor_fail("prctl(PR_SET_TIMERSLACK)");
    r->events = floor_event_count(seconds, r->rate);
    r->lag_nanos = calloc(r->events, sizeof *r->lag_nanos);
    r->conns = calloc((size_t)r->connections, sizeof *r->conns);
    r->free_conns = calloc((size_t)r->connections, sizeof *r->free_conns);
    if (!r->lag_nanos || !r->conns || !r->free_conns) floor_fail("calloc");
    memset(r->lag_nanos, 0, r->events * sizeof *r->lag_nanos); /* no page faults while pacing */
    r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (r->epoll_fd < 0) floor_fail("epoll_create1");
    for (int k = 0; k < r->connections; k++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        if (fd < 0) floor_fail("socket");
        if (connect(fd, (const struct sockaddr *)server, sizeof *server) != 0) floor_fail("connect");
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) floor_fail("TCP_NODELAY");
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)k};
        if (epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) floor_fail("epoll_ctl");
        r->conns[k].fd = fd;
        r->free_conns[r->free_count++] = k;
    }
}

/* Sends event `event` on a free connection (the caller checked there is one): one write, stamped as it starts. */
static void hf_send(struct hf_run *r, uint64_t event) {
    int k = r->free_conns[--r->free_count];
    struct hf_conn *c = &r->conns[k];
    uint64_t now = floor_now_nanos();
    ssize_t n;
    while ((n = write(c->fd, r->request, r->request_len)) < 0 && errno == EINTR) {
    }
    if (n != (ssize_t)r->request_len) floor_fail("write (a short write of a small request)");
    c->busy = 1;
    c->head_len = 0;
    c->in_body = 0;
    floor_record_lag(r->lag_nanos, &r->max_lag_nanos, event, hf_intended(r, event), now);
    r->sent++;
}

/* The Content-Length of a complete head (NUL-terminated), or ends the run when it has none. */
static uint64_t hf_content_length(const char *head) {
    if (strncmp(head, "HTTP/1.1 ", 9) != 0) floor_die("a response that is not HTTP/1.1");
    for (const char *line = strstr(head, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "content-length:", 15) == 0) return strtoull(line + 17, NULL, 10);
    }
    floor_die("a response without Content-Length");
    return 0;
}

/* Takes `len` bytes of connection k's response; frees the connection when the response is complete. */
static void hf_take(struct hf_run *r, int k, const char *bytes, size_t len) {
    struct hf_conn *c = &r->conns[k];
    if (!c->busy) floor_die("bytes on a connection with no request");
    if (!c->in_body) {
        size_t room = HF_HEAD_MAX - 1 - c->head_len;
        size_t take = len < room ? len : room;
        memcpy(c->head + c->head_len, bytes, take);
        c->head_len += take;
        c->head[c->head_len] = '\0';
        char *end = strstr(c->head, "\r\n\r\n");
        if (end == NULL) {
            if (c->head_len == HF_HEAD_MAX - 1) floor_die("a response head over 8 KiB");
            return;
        }
        size_t head_bytes = (size_t)(end + 4 - c->head);
        size_t already = c->head_len - head_bytes; /* of this read's bytes, those past the head are body */
        *end = '\0';
        c->body_left = hf_content_length(c->head);
        c->in_body = 1;
        bytes += take - already;
        len = already + (len - take);
    }
    if (len > c->body_left) floor_die("more bytes than the response's Content-Length (nothing was pipelined)");
    c->body_left -= len;
    if (c->body_left == 0) {
        c->busy = 0;
        r->free_conns[r->free_count++] = k;
        r->received++;
    }
}

static void hf_read(struct hf_run *r, int k) {
    for (;;) {
        ssize_t n = recv(r->conns[k].fd, r->buf, sizeof r->buf, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n < 0) floor_fail("recv");
        if (n == 0) floor_die("the server closed a keep-alive connection");
        hf_take(r, k, r->buf, (size_t)n);
        if ((size_t)n < sizeof r->buf) return;
    }
}

/* Sends every event now due, while a connection is free. */
static void hf_send_due(struct hf_run *r) {
    while (r->next < r->events && r->free_count > 0 && hf_intended(r, r->next) <= floor_now_nanos()) hf_send(r, r->next++);
}

/* Waits until `deadline` for responses and reads those that arrived, sending what fell due before each read. */
static void hf_poll(struct hf_run *r, uint64_t deadline) {
    struct epoll_event events[64];
    uint64_t now = floor_now_nanos();
    uint64_t wait = deadline > now ? deadline - now : 0;
    struct timespec ts = {.tv_sec = (time_t)(wait / FLOOR_NANOS), .tv_nsec = (long)(wait % FLOOR_NANOS)};
    int n = epoll_pwait2(r->epoll_fd, events, 64, &ts, NULL);
    if (n < 0 && errno != EINTR) floor_fail("epoll_pwait2");
    for (int i = 0; i < n; i++) {
        hf_send_due(r);
        hf_read(r, (int)events[i].data.u32);
    }
}

/* The open loop: send what is due (while connections are free), then wait for the next due time or a response. */
static void hf_pace(struct hf_run *r) {
    while (r->next < r->events) {
        hf_send_due(r);
        if (r->next == r->events) return;
        uint64_t now = floor_now_nanos();
        /* No free connection: only a response can help, so wait for one (bounded, then look again). */
        hf_poll(r, r->free_count > 0 ? hf_intended(r, r->next) : now + FLOOR_NANOS / 1000);
    }
}

static void hf_report(struct hf_run *r, double seconds, uint64_t wall_nanos) {
    printf("{\"rate\": %" PRIu64 ", \"seconds\": %g, \"connections\": %d, \"sent\": %" PRIu64 ", \"received\": %" PRIu64
           ", \"send_errors\": 0, ", r->rate, seconds, r->connections, r->sent, r->received);
    floor_print_tail(r->lag_nanos, r->events, r->max_lag_nanos, r->sent, wall_nanos);
}

int main(int argc, char **argv) {
    const char *allowed;
    int at = floor_args(argc, argv, "pacing_floor_http", hf_usage_text, 5, &allowed);
    struct hf_run *r = &hf_state;
    struct sockaddr_in server;
    floor_parse_server(argv[at], allowed, &server);
    const char *path = argv[at + 1];
    if (path[0] != '/' || strpbrk(path, " \r\n") != NULL) floor_usage();
    int len = snprintf(r->request, sizeof r->request, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: pacing_floor_http\r\n\r\n",
                       path, argv[at]);
    if (len < 0 || (size_t)len >= sizeof r->request) floor_usage();
    r->request_len = (size_t)len;
    r->rate = floor_parse_u64(argv[at + 2], 1, FLOOR_MAX_RATE);
    double seconds = floor_parse_seconds(argv[at + 3]);
    r->connections = (int)floor_parse_u64(argv[at + 4], 1, HF_MAX_CONNECTIONS);
    hf_setup(r, &server, seconds);

    r->origin_nanos = floor_now_nanos();
    hf_pace(r);
    uint64_t deadline = floor_now_nanos() + HF_WAIT_NS;
    while (r->received < r->sent && floor_now_nanos() < deadline) hf_poll(r, deadline);
    hf_report(r, seconds, floor_now_nanos() - r->origin_nanos);
    return 0;
}
