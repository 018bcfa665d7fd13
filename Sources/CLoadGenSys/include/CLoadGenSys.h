#ifndef CLOADGENSYS_H
#define CLOADGENSYS_H
#include <stdint.h>
#include <sys/types.h>

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

#endif
