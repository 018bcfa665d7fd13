/* pacing_floor_common.h — what the two floors share: pacing_floor.c (DNS over UDP) and pacing_floor_http.c
 * (HTTP/1.1 keep-alive). Argument parsing with the same limits and messages, the clock, and the report's lag,
 * CPU and timing keys. Each program sets floor_program and floor_usage_text before it parses anything. */
#ifndef PACING_FLOOR_COMMON_H
#define PACING_FLOOR_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

#define FLOOR_MAX_RATE 1000000ULL
#define FLOOR_MAX_SECONDS 600.0
#define FLOOR_MAX_EVENTS 100000000ULL
#define FLOOR_TIMER_SLACK_NS 1000UL
#define FLOOR_NANOS 1000000000ULL

static const char *floor_program = "pacing_floor";
static const char *floor_usage_text = "";

static inline void floor_usage(void) {
    fprintf(stderr, "%s", floor_usage_text);
    exit(2);
}

static inline void floor_fail(const char *what) {
    fprintf(stderr, "%s: %s: %s\n", floor_program, what, strerror(errno));
    exit(1);
}

static inline void floor_die(const char *what) {
    fprintf(stderr, "%s: %s\n", floor_program, what);
    exit(1);
}

static inline uint64_t floor_now_nanos(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * FLOOR_NANOS + (uint64_t)ts.tv_nsec;
}

/* Sets the program's name and usage, takes a leading `--allow ADDR` (else *allowed = NULL) and exits with the
 * usage unless `count` arguments follow; returns the index of the first. */
static inline int floor_args(int argc, char **argv, const char *program, const char *usage, int count,
                             const char **allowed) {
    floor_program = program;
    floor_usage_text = usage;
    int at = 1;
    *allowed = NULL;
    if (argc > 2 && strcmp(argv[1], "--allow") == 0) {
        *allowed = argv[2];
        at = 3;
    }
    if (argc - at != count) floor_usage();
    return at;
}

/* A decimal in [lo, hi], else the usage. */
static inline uint64_t floor_parse_u64(const char *arg, uint64_t lo, uint64_t hi) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno != 0 || *end != '\0' || arg[0] == '-' || v < lo || v > hi) floor_usage();
    return v;
}

static inline double floor_parse_seconds(const char *arg) {
    char *end;
    errno = 0;
    double seconds = strtod(arg, &end);
    if (errno != 0 || *end != '\0' || !(seconds > 0.0 && seconds <= FLOOR_MAX_SECONDS)) floor_usage();
    return seconds;
}

/* Events i with i / RATE < SECONDS: ceil(SECONDS * RATE), 1 to FLOOR_MAX_EVENTS. */
static inline uint64_t floor_event_count(double seconds, uint64_t rate) {
    double want = seconds * (double)rate;
    uint64_t events = (uint64_t)want;
    if ((double)events < want) events++;
    if (events == 0 || events > FLOOR_MAX_EVENTS) {
        fprintf(stderr, "%s: RATE * SECONDS must be 1 to %llu events\n", floor_program, FLOOR_MAX_EVENTS);
        exit(2);
    }
    return events;
}

/* SERVER:PORT, refusing anything but 127.0.0.0/8 unless `allowed` names the same address. */
static inline void floor_parse_server(const char *arg, const char *allowed, struct sockaddr_in *out) {
    char host[INET_ADDRSTRLEN];
    const char *colon = strrchr(arg, ':');
    if (colon == NULL || (size_t)(colon - arg) >= sizeof host) floor_usage();
    memcpy(host, arg, (size_t)(colon - arg));
    host[colon - arg] = '\0';
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    memset(out, 0, sizeof *out);
    out->sin_family = AF_INET;
    if (errno != 0 || *end != '\0' || port == 0 || port > 65535 || inet_pton(AF_INET, host, &out->sin_addr) != 1) {
        fprintf(stderr, "%s: '%s' is not IPV4:PORT\n", floor_program, arg);
        exit(2);
    }
    out->sin_port = htons((uint16_t)port);
    struct in_addr allow;
    int loopback = (ntohl(out->sin_addr.s_addr) >> 24) == 127;
    int explicit = allowed != NULL && inet_pton(AF_INET, allowed, &allow) == 1 && allow.s_addr == out->sin_addr.s_addr;
    if (!loopback && !explicit) {
        fprintf(stderr, "%s: %s is not in 127.0.0.0/8; pass --allow %s to send to it anyway\n", floor_program, host, host);
        exit(2);
    }
}

/* The lag of an event sent at sent_nanos, saturating at UINT32_MAX ns, into lags[event]; keeps the maximum. */
static inline void floor_record_lag(uint32_t *lags, uint64_t *max_lag, uint64_t event, uint64_t intended,
                                    uint64_t sent_nanos) {
    uint64_t lag = sent_nanos - intended;
    lags[event] = lag > UINT32_MAX ? UINT32_MAX : (uint32_t)lag;
    if (lag > *max_lag) *max_lag = lag;
}

static inline int floor_compare_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest lag with at least per_mille/1000 of the events at or below it, in µs. */
static inline double floor_percentile_us(const uint32_t *sorted, uint64_t n, uint64_t per_mille) {
    uint64_t rank = (per_mille * n + 999) / 1000;
    return sorted[rank == 0 ? 0 : rank - 1] / 1000.0;
}

/* The report's last keys, after the caller's own: lag_us (the lags sorted here), cpu_ms (getrusage user+sys),
 * cpu_ms_per_1k (per 1000 sent), wall_s and timer_slack_ns, and the closing brace. */
static inline void floor_print_tail(uint32_t *lags, uint64_t events, uint64_t max_lag, uint64_t sent, uint64_t wall_nanos) {
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0) floor_fail("getrusage");
    double cpu_ms = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
                    (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
    qsort(lags, events, sizeof *lags, floor_compare_u32);
    printf("\"lag_us\": {\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"max\": %.3f}, ",
           floor_percentile_us(lags, events, 500), floor_percentile_us(lags, events, 900),
           floor_percentile_us(lags, events, 990), max_lag / 1000.0);
    printf("\"cpu_ms\": %.3f, \"cpu_ms_per_1k\": %.4f, \"wall_s\": %.6f, \"timer_slack_ns\": %d}\n", cpu_ms,
           cpu_ms * 1000.0 / (double)sent, wall_nanos / 1e9, prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
}

#endif
