/* A UDP socket's error queue (IP_RECVERR / IPV6_RECVERR): each ICMP error about a datagram the socket sent is kept
 * with the start of that datagram, so the owner can tell which datagram it concerns. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "CLoadGenSys.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

int CLoadGenSys_enable_error_queue(int fd, int family) {
    int on = 1;
    int rc = family == AF_INET6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on)
                                : setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof on);
    return rc == 0 ? 0 : -errno;
}

long CLoadGenSys_read_error_queue(int fd, void *buf, size_t cap, int *error) {
    /* Room for the error (with the offender's address) and the receive timestamp SO_TIMESTAMPNS adds to it. */
    union {
        char bytes[CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in6)) +
                   CMSG_SPACE(sizeof(struct timespec)) + 64];
        struct cmsghdr align;
    } control;
    struct iovec iov = {.iov_base = buf, .iov_len = cap};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
                         .msg_controllen = sizeof control.bytes};
    *error = 0;
    ssize_t n = recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
    if (n < 0) return -errno;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        int v4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
        int v6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
        if ((v4 || v6) && c->cmsg_len >= CMSG_LEN(sizeof(struct sock_extended_err))) {
            struct sock_extended_err ee;
            memcpy(&ee, CMSG_DATA(c), sizeof ee);
            *error = (int)ee.ee_errno;
        }
    }
    return (long)n;
}
