#include "CLoadGenSys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>

#define CLOADGENSYS_DATAGRAM_MAX 4096
#define CLOADGENSYS_CONTROL_MAX 64

struct CLoadGenSys_udp_batch {
    int capacity;
    /* the largest datagram a slot holds, sent or received */
    size_t datagram_max;
    /* send side */
    int send_fd;
    int queued;
    struct mmsghdr *send_msgs;
    struct iovec *send_iov;
    unsigned char *send_data;
    /* receive side */
    int recv_fd;
    int received;
    int next;
    /* receive headers from 0 the kernel may have written since they were last set (msg_namelen, msg_controllen, msg_flags) */
    int dirty;
    int short_read;
    struct mmsghdr *recv_msgs;
    struct iovec *recv_iov;
    unsigned char *recv_data;
    struct sockaddr_storage *recv_addr;
    unsigned char *recv_control;
    /* a send error to report on the next receive */
    int error_fd;
    int error;
};

/* Points receive headers 0..<count at their buffers with the full lengths. */
static void set_recv_headers(CLoadGenSys_udp_batch *b, int count) {
    for (int i = 0; i < count; i++) {
        b->recv_iov[i].iov_base = b->recv_data + (size_t)i * b->datagram_max;
        b->recv_iov[i].iov_len = b->datagram_max;
        struct msghdr *h = &b->recv_msgs[i].msg_hdr;
        h->msg_name = &b->recv_addr[i];
        h->msg_namelen = sizeof b->recv_addr[i];
        h->msg_iov = &b->recv_iov[i];
        h->msg_iovlen = 1;
        h->msg_control = b->recv_control + (size_t)i * CLOADGENSYS_CONTROL_MAX;
        h->msg_controllen = CLOADGENSYS_CONTROL_MAX;
        h->msg_flags = 0;
    }
}

CLoadGenSys_udp_batch *CLoadGenSys_udp_batch_create(int capacity) {
    return CLoadGenSys_udp_batch_create_sized(capacity, CLOADGENSYS_DATAGRAM_MAX);
}

CLoadGenSys_udp_batch *CLoadGenSys_udp_batch_create_sized(int capacity, int datagram_max) {
    if (capacity < 1 || datagram_max < 1) return NULL;
    CLoadGenSys_udp_batch *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->capacity = capacity;
    b->datagram_max = (size_t)datagram_max;
    b->send_fd = -1;
    b->recv_fd = -1;
    b->error_fd = -1;
    b->send_msgs = calloc((size_t)capacity, sizeof *b->send_msgs);
    b->send_iov = calloc((size_t)capacity, sizeof *b->send_iov);
    b->send_data = malloc((size_t)capacity * b->datagram_max);
    b->recv_msgs = calloc((size_t)capacity, sizeof *b->recv_msgs);
    b->recv_iov = calloc((size_t)capacity, sizeof *b->recv_iov);
    b->recv_data = malloc((size_t)capacity * b->datagram_max);
    b->recv_addr = calloc((size_t)capacity, sizeof *b->recv_addr);
    b->recv_control = calloc((size_t)capacity, CLOADGENSYS_CONTROL_MAX);
    if (!b->send_msgs || !b->send_iov || !b->send_data || !b->recv_msgs || !b->recv_iov || !b->recv_data ||
        !b->recv_addr || !b->recv_control) {
        CLoadGenSys_udp_batch_destroy(b);
        return NULL;
    }
    for (int i = 0; i < capacity; i++) {
        b->send_iov[i].iov_base = b->send_data + (size_t)i * b->datagram_max;
        b->send_msgs[i].msg_hdr.msg_iov = &b->send_iov[i];
        b->send_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    set_recv_headers(b, capacity);
    return b;
}

void CLoadGenSys_udp_batch_destroy(CLoadGenSys_udp_batch *b) {
    if (!b) return;
    free(b->send_msgs);
    free(b->send_iov);
    free(b->send_data);
    free(b->recv_msgs);
    free(b->recv_iov);
    free(b->recv_data);
    free(b->recv_addr);
    free(b->recv_control);
    free(b);
}

int CLoadGenSys_udp_batch_queued(const CLoadGenSys_udp_batch *b) { return b->queued; }

/* An error an ICMP message left on the socket for an earlier datagram: the kernel reports it once, on the next
   call, whatever that call sends. */
static int is_deferred_error(int err) { return err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH; }

int CLoadGenSys_udp_batch_send(CLoadGenSys_udp_batch *b, int *sent_out) {
    int sent = 0, deferred = 0, failed = 0;
    while (sent < b->queued) {
        int n = sendmmsg(b->send_fd, b->send_msgs + sent, (unsigned)(b->queued - sent), 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            if (!deferred && is_deferred_error(err)) {
                /* Not about these datagrams: send them still, then report the error. */
                deferred = err;
                continue;
            }
            failed = err;
            break;
        }
        sent += n;
    }
    b->queued = 0;
    if (sent_out) *sent_out = sent;
    if (failed) return -failed;
    return deferred ? -deferred : 0;
}

int CLoadGenSys_udp_batch_flush(CLoadGenSys_udp_batch *b, int *failed_fd) {
    int fd = b->send_fd, sent = 0;
    int rc = CLoadGenSys_udp_batch_send(b, &sent);
    if (rc < 0) {
        if (failed_fd) *failed_fd = fd;
        return rc;
    }
    return sent;
}

ssize_t CLoadGenSys_udp_batch_queue(CLoadGenSys_udp_batch *b, int fd, const struct iovec *iov, int iovcnt) {
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) total += iov[i].iov_len;
    if (total > b->datagram_max) return -EMSGSIZE;
    if (b->queued > 0 && (b->queued == b->capacity || b->send_fd != fd)) {
        int failed = -1;
        int rc = CLoadGenSys_udp_batch_flush(b, &failed);
        if (rc < 0) {
            /* The failure belongs to the datagrams already queued; report it on that socket's next read. */
            CLoadGenSys_udp_batch_set_error(b, failed, -rc);
        }
    }
    b->send_fd = fd;
    unsigned char *dst = b->send_iov[b->queued].iov_base;
    size_t off = 0;
    for (int i = 0; i < iovcnt; i++) {
        memcpy(dst + off, iov[i].iov_base, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    b->send_iov[b->queued].iov_len = total;
    b->queued++;
    return (ssize_t)total;
}

void CLoadGenSys_udp_batch_new_round(CLoadGenSys_udp_batch *b) { b->short_read = 0; }

void CLoadGenSys_udp_batch_set_error(CLoadGenSys_udp_batch *b, int fd, int err) {
    b->error_fd = fd;
    b->error = err;
}

ssize_t CLoadGenSys_udp_batch_recv(CLoadGenSys_udp_batch *b, int fd, void *buf, size_t len,
                                   struct sockaddr *from, socklen_t *fromlen, uint64_t *rx_nanos) {
    *rx_nanos = 0;
    if (b->error_fd == fd && b->error != 0) {
        errno = b->error;
        b->error = 0;
        b->error_fd = -1;
        return -1;
    }
    if (b->recv_fd != fd || b->next >= b->received) {
        b->recv_fd = fd;
        b->received = 0;
        b->next = 0;
        if (b->short_read) {
            /* The last read drained the socket this round; epoll will report anything newer. */
            errno = EAGAIN;
            return -1;
        }
        /* Only the headers the last recvmmsg filled need setting again: not all `capacity` per call. */
        set_recv_headers(b, b->dirty);
        b->dirty = 0;
        int n;
        do {
            n = recvmmsg(fd, b->recv_msgs, (unsigned)b->capacity, MSG_DONTWAIT, NULL);
        } while (n < 0 && errno == EINTR);
        if (n <= 0) {
            if (n == 0) errno = EAGAIN;
            return -1;
        }
        b->received = n;
        b->dirty = n;
        b->short_read = n < b->capacity;
    }
    struct mmsghdr *m = &b->recv_msgs[b->next++];
    size_t n = m->msg_len < len ? m->msg_len : len;
    memcpy(buf, b->recv_iov[m - b->recv_msgs].iov_base, n);
    if (from && fromlen) {
        socklen_t alen = m->msg_hdr.msg_namelen < *fromlen ? m->msg_hdr.msg_namelen : *fromlen;
        memcpy(from, m->msg_hdr.msg_name, alen);
        *fromlen = m->msg_hdr.msg_namelen;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m->msg_hdr); c; c = CMSG_NXTHDR(&m->msg_hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            *rx_nanos = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
        }
    }
    return (ssize_t)n;
}

void CLoadGenSys_udp_batch_forget(CLoadGenSys_udp_batch *b, int fd) {
    if (b->send_fd == fd) b->queued = 0;
    if (b->recv_fd == fd) {
        b->received = 0;
        b->next = 0;
        b->recv_fd = -1;
    }
    if (b->error_fd == fd) {
        b->error = 0;
        b->error_fd = -1;
    }
}

int CLoadGenSys_enable_rx_timestamps(int fd) {
    int on = 1;
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0 ? 0 : -errno;
}

static int64_t ts_nanos(const struct timespec *t) { return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec; }

/* The realtime clock read between two monotonic reads, the midpoint taken; of three tries the one with the
 * narrowest bracket, so that a thread preempted between two reads (a loaded machine, a sanitizer build) does not
 * shift every kernel timestamp mapped with it by half the preemption (answers stamped before their query). */
int64_t CLoadGenSys_realtime_minus_monotonic(void) {
    int64_t best = 0, bestWidth = INT64_MAX;
    for (int i = 0; i < 3; i++) {
        struct timespec m1, r, m2;
        clock_gettime(CLOCK_MONOTONIC, &m1);
        clock_gettime(CLOCK_REALTIME, &r);
        clock_gettime(CLOCK_MONOTONIC, &m2);
        int64_t width = ts_nanos(&m2) - ts_nanos(&m1);
        if (width < bestWidth) {
            bestWidth = width;
            best = ts_nanos(&r) - (ts_nanos(&m1) + ts_nanos(&m2)) / 2;
        }
        if (width < 1000) break;
    }
    return best;
}

void CLoadGenSys_set_socket_buffers(int fd, int bytes) {
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
}

int64_t CLoadGenSys_boottime_minus_monotonic(void) {
    /* Bracket the boot-time read with two monotonic reads and use their midpoint. */
    struct timespec m1, b, m2;
    clock_gettime(CLOCK_MONOTONIC, &m1);
    clock_gettime(CLOCK_BOOTTIME, &b);
    clock_gettime(CLOCK_MONOTONIC, &m2);
    return ts_nanos(&b) - (ts_nanos(&m1) + ts_nanos(&m2)) / 2;
}

int CLoadGenSys_socket_local_address(int fd, char *buf, int len) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) return -errno;
    char ip[INET6_ADDRSTRLEN];
    int n;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        n = snprintf(buf, (size_t)len, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        n = snprintf(buf, (size_t)len, "[%s]:%u", ip, (unsigned)ntohs(a->sin6_port));
    } else {
        return -EAFNOSUPPORT;
    }
    return n < len ? n : len - 1;
}

int CLoadGenSys_set_tcp_nodelay(int fd) {
    int on = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0 ? 0 : -errno;
}

int CLoadGenSys_set_tcp_quickack(int fd) {
    int on = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on) == 0 ? 0 : -errno;
}

int CLoadGenSys_socket_is_self_connected(int fd) {
    struct sockaddr_storage local, peer;
    socklen_t local_len = sizeof local, peer_len = sizeof peer;
    if (getsockname(fd, (struct sockaddr *)&local, &local_len) != 0) return -errno;
    if (getpeername(fd, (struct sockaddr *)&peer, &peer_len) != 0) return errno == ENOTCONN ? 0 : -errno;
    return local_len == peer_len && memcmp(&local, &peer, local_len) == 0;
}

int CLoadGenSys_socket_renew(int fd) {
    int domain, type, protocol;
    socklen_t len = sizeof domain;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) return -errno;
    len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return -errno;
    len = sizeof protocol;
    if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0) return -errno;
    int flags = fcntl(fd, F_GETFL);
    int fresh = socket(domain, type | SOCK_CLOEXEC, protocol);
    if (fresh < 0) return -errno;
    if (flags >= 0) fcntl(fresh, F_SETFL, flags);
    int rc = dup3(fresh, fd, O_CLOEXEC) < 0 ? -errno : 0;
    close(fresh);
    return rc;
}
