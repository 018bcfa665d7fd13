#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ppoll, setns */
#endif
#include "CLoadGenSys.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <linux/sockios.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <poll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int CLoadGenSys_enter_netns(int fd) {
    return setns(fd, CLONE_NEWNET) == 0 ? 0 : -errno;
}

int CLoadGenSys_is_netns(int fd) {
    int type = ioctl(fd, NS_GET_NSTYPE);
    if (type < 0) return errno == ENOTTY ? 0 : -errno;
    return type == CLONE_NEWNET ? 1 : 0;
}

pid_t CLoadGenSys_gettid(void) {
    return gettid();
}

int64_t CLoadGenSys_socket_netns_inode(int socket_fd) {
    int nsfd = ioctl(socket_fd, SIOCGSKNS);
    if (nsfd < 0) return -errno;
    struct stat st;
    int rc = fstat(nsfd, &st);
    int saved = errno;
    close(nsfd);
    if (rc != 0) return -saved;
    return (int64_t)st.st_ino;
}

int64_t CLoadGenSys_thread_netns_inode(void) {
    struct stat st;
    if (stat("/proc/thread-self/ns/net", &st) != 0) return -errno;
    return (int64_t)st.st_ino;
}

static int64_t rusage_nanos(int who) {
    struct rusage ru;
    if (getrusage(who, &ru) != 0) return -1;
    return ((int64_t)ru.ru_utime.tv_sec + (int64_t)ru.ru_stime.tv_sec) * 1000000000LL +
           ((int64_t)ru.ru_utime.tv_usec + (int64_t)ru.ru_stime.tv_usec) * 1000LL;
}

int64_t CLoadGenSys_thread_cpu_nanos(void) { return rusage_nanos(RUSAGE_THREAD); }
int64_t CLoadGenSys_process_cpu_nanos(void) { return rusage_nanos(RUSAGE_SELF); }

static void stop_signal_set(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
}

void CLoadGenSys_block_stop_signals(void) {
    sigset_t set;
    stop_signal_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int CLoadGenSys_wait_stop_signal(int timeout_ms) {
    sigset_t set;
    stop_signal_set(&set);
    struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
    int sig = sigtimedwait(&set, NULL, &ts);
    return sig > 0 ? sig : 0;
}

int64_t CLoadGenSys_raise_nofile(int64_t wanted) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
    if ((int64_t)rl.rlim_cur >= wanted) return (int64_t)rl.rlim_cur;
    struct rlimit next = rl;
    next.rlim_cur = (rlim_t)wanted;
    if ((int64_t)next.rlim_max < wanted) next.rlim_max = (rlim_t)wanted; /* needs CAP_SYS_RESOURCE */
    if (setrlimit(RLIMIT_NOFILE, &next) != 0) {
        next.rlim_max = rl.rlim_max;
        next.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &next);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
    return (int64_t)rl.rlim_cur;
}

int CLoadGenSys_timerfd_create(void) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int CLoadGenSys_timerfd_arm_at(int fd, uint64_t nanos) {
    struct itimerspec spec = {{0, 0}, {(time_t)(nanos / 1000000000ULL), (long)(nanos % 1000000000ULL)}};
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1; /* 0 would disarm */
    return timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, NULL) == 0 ? 0 : -errno;
}

uint64_t CLoadGenSys_timerfd_drain(int fd) {
    uint64_t expirations = 0;
    if (read(fd, &expirations, sizeof expirations) != (ssize_t)sizeof expirations) return 0;
    return expirations;
}

int CLoadGenSys_wait_readable(int fd, int64_t timeout_nanos) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN, .revents = 0};
    struct timespec ts = {(time_t)(timeout_nanos / 1000000000LL), (long)(timeout_nanos % 1000000000LL)};
    int rc = ppoll(&pfd, 1, timeout_nanos < 0 ? NULL : &ts, NULL);
    return rc < 0 ? -errno : rc;
}

int CLoadGenSys_set_timer_slack(unsigned long nanos) {
    return prctl(PR_SET_TIMERSLACK, nanos, 0, 0, 0) == 0 ? 0 : -errno;
}
