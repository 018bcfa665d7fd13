#ifndef CLOADGENSYS_H
#define CLOADGENSYS_H
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* setns(fd, CLONE_NEWNET) for the calling thread; returns 0 or -errno. */
int CLoadGenSys_enter_netns(int fd);
/* 1 if fd refers to a network namespace, 0 if to something else, -errno if that cannot be told. */
int CLoadGenSys_is_netns(int fd);
/* The kernel thread id of the caller. */
pid_t CLoadGenSys_gettid(void);
/* The inode of the network namespace a socket belongs to (SIOCGSKNS), or -errno. */
int64_t CLoadGenSys_socket_netns_inode(int socket_fd);
/* The inode of the network namespace of the calling thread (/proc/thread-self/ns/net), or -errno. */
int64_t CLoadGenSys_thread_netns_inode(void);
/* user+system CPU of the calling thread in nanoseconds (RUSAGE_THREAD), or -1. */
int64_t CLoadGenSys_thread_cpu_nanos(void);
/* user+system CPU of the whole process in nanoseconds (RUSAGE_SELF), or -1. */
int64_t CLoadGenSys_process_cpu_nanos(void);
/* Blocks SIGINT and SIGTERM in the calling thread (threads created later inherit the mask). */
void CLoadGenSys_block_stop_signals(void);
/* Waits up to timeout_ms for SIGINT or SIGTERM; returns the signal number, or 0 on timeout. */
int CLoadGenSys_wait_stop_signal(int timeout_ms);
/* Raises the soft RLIMIT_NOFILE to at least `wanted` when the hard limit allows (or can be raised).
   Returns the soft limit in force afterwards. */
int64_t CLoadGenSys_raise_nofile(int64_t wanted);

/* A non-blocking CLOCK_MONOTONIC timerfd, or -errno. */
int CLoadGenSys_timerfd_create(void);
/* Arms the timerfd to fire once at the absolute CLOCK_MONOTONIC time `nanos`; 0 or -errno. */
int CLoadGenSys_timerfd_arm_at(int fd, uint64_t nanos);
/* Reads (and so clears) the expiration count; 0 when there was none. */
uint64_t CLoadGenSys_timerfd_drain(int fd);

/* Waits until `fd` is readable (fd < 0: only sleeps) or `timeout_nanos` have passed (< 0: no limit), with the
   thread's timer slack (ppoll(2)); 1 when readable, 0 on timeout, or -errno (-EINTR included). */
int CLoadGenSys_wait_readable(int fd, int64_t timeout_nanos);

/* Batched UDP I/O on connected datagram sockets: sends are queued and leave in one sendmmsg; receives are read
   in one recvmmsg and handed out one by one, each with the kernel's receive time. One batch serves one socket at
   a time (a c-ares channel talking to one server has one UDP socket). */
typedef struct CLoadGenSys_udp_batch CLoadGenSys_udp_batch;

CLoadGenSys_udp_batch *CLoadGenSys_udp_batch_create(int capacity);
/* A batch whose datagrams (sent and received) may be up to `datagram_max` bytes (create: 4096). */
CLoadGenSys_udp_batch *CLoadGenSys_udp_batch_create_sized(int capacity, int datagram_max);
void CLoadGenSys_udp_batch_destroy(CLoadGenSys_udp_batch *batch);
/* Queues one datagram for fd, gathered from iov. Flushes first when the queue is full or holds another fd's
   datagrams. Returns the bytes queued, or -errno when that flush failed. */
ssize_t CLoadGenSys_udp_batch_queue(CLoadGenSys_udp_batch *batch, int fd, const struct iovec *iov, int iovcnt);
/* Sends the queued datagrams. Returns how many were sent; when the kernel refused one, the rest are dropped,
   *failed_fd and the return value's negative errno say which socket failed. An error an earlier datagram's ICMP
   left on the socket (ECONNREFUSED, EHOSTUNREACH, ENETUNREACH) does not drop them: they are sent, and then that
   error is returned the same way. */
int CLoadGenSys_udp_batch_flush(CLoadGenSys_udp_batch *batch, int *failed_fd);
/* Sends the queued datagrams as flush does, but always says how many went out (*sent): 0, or the negative errno
   that stopped the sending (the rest are dropped), or the deferred ICMP error after sending them all. */
int CLoadGenSys_udp_batch_send(CLoadGenSys_udp_batch *batch, int *sent);
int CLoadGenSys_udp_batch_queued(const CLoadGenSys_udp_batch *batch);
/* Starts a new round of reads: the next receive on an empty buffer asks the kernel again. */
void CLoadGenSys_udp_batch_new_round(CLoadGenSys_udp_batch *batch);
/* The next datagram received on fd. Returns its length, or -1 with errno set (EAGAIN when none is waiting).
   *rx_realtime_nanos is the kernel receive time on CLOCK_REALTIME (0 when the kernel gave none). */
ssize_t CLoadGenSys_udp_batch_recv(CLoadGenSys_udp_batch *batch, int fd, void *buf, size_t len,
                                   struct sockaddr *from, socklen_t *fromlen, uint64_t *rx_realtime_nanos);
/* Records an error to report on fd's next receive (a send the kernel refused). */
void CLoadGenSys_udp_batch_set_error(CLoadGenSys_udp_batch *batch, int fd, int err);
/* Drops everything queued or buffered for fd (it is being closed). */
void CLoadGenSys_udp_batch_forget(CLoadGenSys_udp_batch *batch, int fd);
/* Sets SO_SNDBUF and SO_RCVBUF to `bytes`, past the sysctl limits when privileged (the *BUFFORCE options). */
void CLoadGenSys_set_socket_buffers(int fd, int bytes);
/* Turns Nagle's algorithm off on a TCP socket (TCP_NODELAY); 0 or -errno. */
int CLoadGenSys_set_tcp_nodelay(int fd);
/* Acknowledges what arrived on a TCP socket at once instead of delaying the ACK (TCP_QUICKACK; the kernel
   clears it again, so set it after each read); 0 or -errno. */
int CLoadGenSys_set_tcp_quickack(int fd);
/* 1 when a connected socket's local address is its peer's (a UDP or TCP socket connected to itself on loopback,
   when the kernel picked the destination port as its ephemeral port), 0 if not (or not connected), or -errno. */
int CLoadGenSys_socket_is_self_connected(int fd);
/* The calling thread's timer slack (PR_SET_TIMERSLACK): how late the kernel may fire its sleeps' timers; 0 or -errno. */
int CLoadGenSys_set_timer_slack(unsigned long nanos);
/* Replaces the socket behind fd with a new unbound, unconnected one of the same domain, type and protocol and the
   same file status flags (O_NONBLOCK); socket options are not copied. 0 or -errno. */
int CLoadGenSys_socket_renew(int fd);
/* Asks the kernel to timestamp received datagrams (SO_TIMESTAMPNS); 0 or -errno. */
int CLoadGenSys_enable_rx_timestamps(int fd);
/* Keeps each ICMP error about a datagram fd sent in its error queue, with the start of that datagram (IP_RECVERR,
   or IPV6_RECVERR when family is AF_INET6); 0 or -errno. */
int CLoadGenSys_enable_error_queue(int fd, int family);
/* Takes the oldest entry of fd's error queue without blocking: copies the quoted datagram (up to cap bytes) into buf,
   sets *error to the errno the entry reports (ECONNREFUSED for an ICMP port unreachable; 0 if it carried none)
   and returns the quoted length; -EAGAIN when the queue is empty, or -errno. */
long CLoadGenSys_read_error_queue(int fd, void *buf, size_t cap, int *error);
/* CLOCK_BOOTTIME minus CLOCK_MONOTONIC, in nanoseconds (what eBPF's bpf_ktime_get_boot_ns reports, from ours). */
int64_t CLoadGenSys_boottime_minus_monotonic(void);
/* The local address of a socket as "ip:port" ("[v6]:port") into buf; the length, or -errno. */
int CLoadGenSys_socket_local_address(int fd, char *buf, int len);
/* CLOCK_REALTIME minus CLOCK_MONOTONIC, in nanoseconds, to map kernel receive times onto the monotonic clock. */
int64_t CLoadGenSys_realtime_minus_monotonic(void);

/* A per-thread small-block allocator with nghttp2_mem's signatures (see block_pool.c). Blocks may be freed on
   any thread; each thread caches what it frees, up to 8 MiB. */
void *CLoadGenSys_block_pool_malloc(size_t size, void *user_data);
void CLoadGenSys_block_pool_free(void *ptr, void *user_data);
void *CLoadGenSys_block_pool_calloc(size_t count, size_t size, void *user_data);
void *CLoadGenSys_block_pool_realloc(void *ptr, size_t size, void *user_data);
/* Returns the calling thread's cached blocks to malloc. */
void CLoadGenSys_block_pool_drain(void);
/* 1 when freed blocks are cached; 0 under AddressSanitizer, where every block goes back to malloc. */
int CLoadGenSys_block_pool_caches(void);
/* The same pool with c-ares' allocator signatures (ares_library_init_mem). */
void *CLoadGenSys_ares_malloc(size_t size);
void CLoadGenSys_ares_free(void *ptr);
void *CLoadGenSys_ares_realloc(void *ptr, size_t size);

/* Least privilege (privileges.c). Capability sets, the bounding set and no_new_privs belong to each thread. */
/* Calling thread: sets PR_SET_NO_NEW_PRIVS and drops what it can from the bounding set (needs CAP_SETPCAP, so
   call it before the identity switch). 0 or -errno. */
int CLoadGenSys_thread_restrict(void);
/* Calling thread: clears the ambient set and empties the effective, permitted and inheritable sets. 0 or -errno. */
int CLoadGenSys_thread_clear_capabilities(void);
/* Whole process (glibc applies it to every thread): setgroups, then setresgid, then setresuid. 0 or -errno. */
int CLoadGenSys_switch_identity(uid_t uid, gid_t gid, const gid_t *groups, int ngroups);
/* The same for the calling thread only (raw system calls: credentials are per thread in the kernel), leaving the
   process's other threads as they are. Returns 0 or -errno. */
int CLoadGenSys_thread_switch_identity(uid_t uid, gid_t gid, const gid_t *groups, int ngroups);
/* What the calling thread holds. */
typedef struct CLoadGenSys_privileges {
    uint64_t effective, permitted, inheritable, bounding, ambient;
    int no_new_privs;
    uid_t uid;
    gid_t gid;
    /* real, effective and saved ids are equal (for uid and for gid) */
    int same_ids;
} CLoadGenSys_privileges;
int CLoadGenSys_thread_privileges(CLoadGenSys_privileges *out);
/* The netns cookie of a socket (getsockopt SO_NETNS_COOKIE, Linux >= 5.14; no capability needed). 0 or -errno. */
int CLoadGenSys_socket_netns_cookie(int fd, uint64_t *cookie);
/* Creates a UDP socket on the calling thread, reads its netns inode (SIOCGSKNS + fstat, -errno when that is not
   allowed) and its netns cookie, and closes it. Returns 0 or the cookie's -errno. */
int CLoadGenSys_netns_probe(int64_t *inode, uint64_t *cookie);
/* The calling thread's own netns cookie, kept in thread-local storage (0: none installed). */
void CLoadGenSys_set_thread_netns_cookie(uint64_t cookie);
uint64_t CLoadGenSys_thread_netns_cookie(void);

#include "early_stop.h"

#endif
