/* Least privilege (issue 9 point 8) and the capability-free netns check of sockets.
 *
 * Capabilities, the bounding set, the ambient set and no_new_privs belong to each thread: every function here
 * named "thread" acts on the calling thread only. The identity switch (setgroups, setresgid, setresuid) goes
 * through glibc, which applies it to every thread of the process. */
#include "CLoadGenSys.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

int CLoadGenSys_thread_restrict(void) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
    /* PR_CAPBSET_DROP needs CAP_SETPCAP; without it (an unprivileged run) the bounding set stays as it is. */
    int held;
    for (int cap = 0; (held = prctl(PR_CAPBSET_READ, cap, 0, 0, 0)) >= 0; cap++) {
        if (held == 1) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
    }
    return 0;
}

int CLoadGenSys_thread_clear_capabilities(void) {
    /* Ambient first: lowering the permitted set would clear it anyway, but say so explicitly. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) return -errno;
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {{0, 0, 0}};
    if (syscall(SYS_capset, &header, data) != 0) return -errno;
    return 0;
}

int CLoadGenSys_switch_identity(uid_t uid, gid_t gid, const gid_t *groups, int ngroups) {
    if (setgroups((size_t)ngroups, groups) != 0) return -errno;
    if (setresgid(gid, gid, gid) != 0) return -errno;
    if (setresuid(uid, uid, uid) != 0) return -errno;
    return 0;
}

int CLoadGenSys_thread_switch_identity(uid_t uid, gid_t gid, const gid_t *groups, int ngroups) {
    if (syscall(SYS_setgroups, (size_t)ngroups, groups) != 0) return -errno;
    if (syscall(SYS_setresgid, gid, gid, gid) != 0) return -errno;
    if (syscall(SYS_setresuid, uid, uid, uid) != 0) return -errno;
    return 0;
}

int CLoadGenSys_thread_privileges(CLoadGenSys_privileges *out) {
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    if (syscall(SYS_capget, &header, data) != 0) return -errno;
    out->effective = (uint64_t)data[1].effective << 32 | data[0].effective;
    out->permitted = (uint64_t)data[1].permitted << 32 | data[0].permitted;
    out->inheritable = (uint64_t)data[1].inheritable << 32 | data[0].inheritable;
    out->bounding = 0;
    out->ambient = 0;
    for (int cap = 0; cap < 64; cap++) {
        int in_bounding = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (in_bounding < 0) break;
        if (in_bounding == 1) out->bounding |= (uint64_t)1 << cap;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1) out->ambient |= (uint64_t)1 << cap;
    }
    out->no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;
    getresuid(&ruid, &euid, &suid);
    getresgid(&rgid, &egid, &sgid);
    out->uid = euid;
    out->gid = egid;
    out->same_ids = ruid == euid && euid == suid && rgid == egid && egid == sgid;
    return 0;
}

int CLoadGenSys_socket_netns_cookie(int fd, uint64_t *cookie) {
    socklen_t length = sizeof *cookie;
    if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &length) != 0) return -errno;
    return length == sizeof *cookie ? 0 : -EINVAL;
}

/* The calling loop thread's netns cookie; 0 when none was installed. */
static __thread uint64_t thread_netns_cookie;

int CLoadGenSys_netns_probe(int64_t *inode, uint64_t *cookie) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    *inode = CLoadGenSys_socket_netns_inode(fd);
    int rc = CLoadGenSys_socket_netns_cookie(fd, cookie);
    close(fd);
    return rc;
}

void CLoadGenSys_set_thread_netns_cookie(uint64_t cookie) { thread_netns_cookie = cookie; }
uint64_t CLoadGenSys_thread_netns_cookie(void) { return thread_netns_cookie; }
