/* pacing_floor.c — the physical floor of open-loop pacing on this machine: the smallest DNS client that sends
 * each query as close to its intended time as one thread can.
 *
 *   pacing_floor [--allow ADDR] SERVER:PORT NAME RATE SECONDS
 *
 * One thread, timer slack 1 µs (PR_SET_TIMERSLACK), one connected UDP socket. Event i is intended at
 * origin + i * 10^9 / RATE ns, computed from i (no drift). The loop sleeps with
 * clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) until the next event's intended time, sends every event then
 * due with one sendmmsg (a fixed query "NAME A IN", RD set, ID = i & 0xffff), takes the send time as the call
 * is made (as loadgen does) and records lag = send time - intended for each of them, then reads the answers waiting
 * (recvmmsg, MSG_DONTWAIT) before it sleeps again. After the last send it waits up to 1 s for the rest.
 *
 * Prints one JSON object on stdout: rate, seconds, sent, received, send_errors, lag_us {p50, p90, p99, max}
 * (exact nearest-rank percentiles of the sorted per-event lags), cpu_ms (getrusage user+sys), cpu_ms_per_1k
 * (per 1000 sent), wall_s (first intended send to the end of the wait for answers), timer_slack_ns.
 *
 * SERVER is an IPv4 literal in 127.0.0.0/8, or the address also given with --allow: the program is meant for
 * the benchmark's own network namespace. RATE is 1 to 1,000,000 per second, SECONDS more than 0 and at most 600,
 * and RATE * SECONDS at most 100,000,000 events: their lags (4 bytes each, ns, saturating at 4.29 s) are
 * allocated and touched before the first send. Build: cc -O2 -Wall -Wextra -Werror -o pacing_floor pacing_floor.c
 * (pacing_floor_common.h, next to it, holds what it shares with pacing_floor_http.c).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pacing_floor_common.h"

#define FLOOR_SEND_BATCH 1024 /* UIO_MAXIOV: the most messages one sendmmsg takes */
#define FLOOR_RECV_BATCH 64
#define FLOOR_QUERY_MAX 288 /* header 12 + name 255 + type and class 4, rounded up */
#define FLOOR_ANSWER_MAX 512
#define FLOOR_ANSWER_WAIT_NS 1000000000ULL

/* Everything one run needs, allocated once before the first send. */
struct floor_run {
    int fd;
    uint64_t rate;
    uint64_t events;
    uint64_t origin_nanos;
    uint8_t query[FLOOR_QUERY_MAX];
    size_t query_len;
    uint32_t *lag_nanos; /* per event, saturating at UINT32_MAX */
    uint64_t max_lag_nanos;
    uint64_t sent, received, send_errors;
    uint8_t out[FLOOR_SEND_BATCH][FLOOR_QUERY_MAX];
    struct iovec out_iov[FLOOR_SEND_BATCH];
    struct mmsghdr out_msgs[FLOOR_SEND_BATCH];
    uint8_t in[FLOOR_RECV_BATCH][FLOOR_ANSWER_MAX];
    struct iovec in_iov[FLOOR_RECV_BATCH];
    struct mmsghdr in_msgs[FLOOR_RECV_BATCH];
};

static struct floor_run floor_state;

static const char floor_dns_usage[] =
    "usage: pacing_floor [--allow ADDR] SERVER:PORT NAME RATE SECONDS\n"
    "  SERVER: IPv4 literal in 127.0.0.0/8 (or the ADDR of --allow); RATE 1..1000000/s;\n"
    "  SECONDS > 0 and <= 600; RATE * SECONDS <= 100000000\n";

static uint64_t floor_intended_nanos(const struct floor_run *r, uint64_t i) {
    return r->origin_nanos + i * FLOOR_NANOS / r->rate;
}

static void floor_sleep_until(uint64_t nanos) {
    struct timespec ts = {.tv_sec = (time_t)(nanos / FLOOR_NANOS), .tv_nsec = (long)(nanos % FLOOR_NANOS)};
    int rc;
    while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) == EINTR) {
    }
    if (rc != 0) {
        errno = rc;
        floor_fail("clock_nanosleep");
    }
}

/* The query "NAME A IN" with ID 0 and RD set, in wire format. */
static size_t floor_build_query(const char *name, uint8_t *out) {
    static const uint8_t header[12] = {0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    memcpy(out, header, sizeof header);
    size_t at = sizeof header;
    const char *label = name;
    while (*label != '\0') {
        size_t len = strcspn(label, ".");
        if (len == 0 || len > 63 || at + 1 + len + 1 > sizeof header + 255) {
            fprintf(stderr, "pacing_floor: '%s' is not a DNS name (labels of 1 to 63 bytes, 255 in all)\n", name);
            exit(2);
        }
        out[at++] = (uint8_t)len;
        memcpy(out + at, label, len);
        at += len;
        label += len;
        if (*label == '.') label++;
    }
    if (at == sizeof header) {
        fprintf(stderr, "pacing_floor: empty name\n");
        exit(2);
    }
    static const uint8_t tail[5] = {0, 0, 1, 0, 1}; /* root label, type A, class IN */
    memcpy(out + at, tail, sizeof tail);
    return at + sizeof tail;
}

static void floor_setup(struct floor_run *r, const struct sockaddr_in *server, double seconds) {
    if (prctl(PR_SET_TIMERSLACK, FLOOR_TIMER_SLACK_NS, 0, 0, 0) != 0) floor_fail("prctl(PR_SET_TIMERSLACK)");
    r->events = floor_event_count(seconds, r->rate);
    r->lag_nanos = malloc(r->events * sizeof *r->lag_nanos);
    if (r->lag_nanos == NULL) floor_fail("malloc (lags)");
    memset(r->lag_nanos, 0, r->events * sizeof *r->lag_nanos); /* no page faults while pacing */
    r->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (r->fd < 0) floor_fail("socket");
    if (connect(r->fd, (const struct sockaddr *)server, sizeof *server) != 0) floor_fail("connect");
    for (int k = 0; k < FLOOR_SEND_BATCH; k++) {
        memcpy(r->out[k], r->query, r->query_len);
        r->out_iov[k] = (struct iovec){.iov_base = r->out[k], .iov_len = r->query_len};
        r->out_msgs[k].msg_hdr = (struct msghdr){.msg_iov = &r->out_iov[k], .msg_iovlen = 1};
    }
    for (int k = 0; k < FLOOR_RECV_BATCH; k++) {
        r->in_iov[k] = (struct iovec){.iov_base = r->in[k], .iov_len = FLOOR_ANSWER_MAX};
        r->in_msgs[k].msg_hdr = (struct msghdr){.msg_iov = &r->in_iov[k], .msg_iovlen = 1};
    }
}

/* Reads every answer waiting on the socket; counts the datagrams that are DNS responses (QR set). */
static void floor_drain(struct floor_run *r) {
    for (;;) {
        int n = recvmmsg(r->fd, r->in_msgs, FLOOR_RECV_BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EINTR || errno == ECONNREFUSED) continue; /* ECONNREFUSED: an earlier ICMP error */
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            floor_fail("recvmmsg");
        }
        for (int k = 0; k < n; k++) {
            if (r->in_msgs[k].msg_len >= 12 && (r->in[k][2] & 0x80) != 0) r->received++;
        }
        if (n < FLOOR_RECV_BATCH) return;
    }
}

static void floor_record(struct floor_run *r, uint64_t event, uint64_t sent_nanos) {
    floor_record_lag(r->lag_nanos, &r->max_lag_nanos, event, floor_intended_nanos(r, event), sent_nanos);
}

/* Sends the events [first, end) (at most FLOOR_SEND_BATCH) with as few sendmmsg calls as the kernel allows. */
static void floor_send(struct floor_run *r, uint64_t first, uint64_t end) {
    unsigned count = (unsigned)(end - first);
    for (unsigned k = 0; k < count; k++) {
        uint64_t id = (first + k) & 0xffff;
        r->out[k][0] = (uint8_t)(id >> 8);
        r->out[k][1] = (uint8_t)id;
    }
    unsigned done = 0;
    while (done < count) {
        /* Stamped as the send starts, as loadgen stamps its sendmmsg: both measure when the send was made. */
        uint64_t sent_nanos = floor_now_nanos();
        int n = sendmmsg(r->fd, r->out_msgs + done, count - done, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != ECONNREFUSED) floor_fail("sendmmsg");
            /* An earlier query's ICMP error, reported here instead of this send: count it and send again. */
            if (++r->send_errors > r->events) floor_fail("sendmmsg (the server keeps refusing)");
            continue;
        }
        for (int k = 0; k < n; k++) floor_record(r, first + done + (unsigned)k, sent_nanos);
        done += (unsigned)n;
    }
    r->sent += count;
}

/* The open loop: sleep to the next event's intended time, send all that are due, read the answers. */
static void floor_pace(struct floor_run *r) {
    uint64_t next = 0;
    while (next < r->events) {
        uint64_t due = floor_intended_nanos(r, next);
        if (floor_now_nanos() < due) floor_sleep_until(due);
        uint64_t now = floor_now_nanos();
        uint64_t end = next + 1;
        while (end < r->events && end - next < FLOOR_SEND_BATCH && floor_intended_nanos(r, end) <= now) end++;
        floor_send(r, next, end);
        next = end;
        floor_drain(r);
    }
}

static void floor_wait_answers(struct floor_run *r) {
    uint64_t deadline = floor_now_nanos() + FLOOR_ANSWER_WAIT_NS;
    while (r->received < r->sent) {
        uint64_t now = floor_now_nanos();
        if (now >= deadline) return;
        struct pollfd p = {.fd = r->fd, .events = POLLIN};
        int timeout_ms = (int)((deadline - now + 999999) / 1000000);
        if (poll(&p, 1, timeout_ms) < 0 && errno != EINTR) floor_fail("poll");
        floor_drain(r);
    }
}

static void floor_report(struct floor_run *r, double seconds, uint64_t wall_nanos) {
    printf("{\"rate\": %" PRIu64 ", \"seconds\": %g, \"sent\": %" PRIu64 ", \"received\": %" PRIu64
           ", \"send_errors\": %" PRIu64 ", ",
           r->rate, seconds, r->sent, r->received, r->send_errors);
    floor_print_tail(r->lag_nanos, r->events, r->max_lag_nanos, r->sent, wall_nanos);
}

int main(int argc, char **argv) {
    const char *allowed;
    int at = floor_args(argc, argv, "pacing_floor", floor_dns_usage, 4, &allowed);
    struct floor_run *r = &floor_state;
    struct sockaddr_in server;
    floor_parse_server(argv[at], allowed, &server);
    r->query_len = floor_build_query(argv[at + 1], r->query);
    r->rate = floor_parse_u64(argv[at + 2], 1, FLOOR_MAX_RATE);
    double seconds = floor_parse_seconds(argv[at + 3]);
    floor_setup(r, &server, seconds);

    r->origin_nanos = floor_now_nanos();
    floor_pace(r);
    floor_wait_answers(r);
    uint64_t wall_nanos = floor_now_nanos() - r->origin_nanos;
    floor_report(r, seconds, wall_nanos);
    return 0;
}
