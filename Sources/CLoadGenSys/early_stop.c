#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include "early_stop.h"

static volatile sig_atomic_t early_stop = 0;

static void on_early_stop(int sig) {
    if (early_stop != 0) {
        /* The second one while still setting up: do what the default action would have done. */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    early_stop = sig;
}

void CLoadGenSys_catch_early_stop(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_early_stop;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
}

int CLoadGenSys_early_stop_signal(void) { return early_stop; }

void CLoadGenSys_hold_stop_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (early_stop != 0) raise(early_stop);
}

void CLoadGenSys_default_stop_signals(void) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (early_stop != 0) raise(early_stop);
}

/* Installed before any Swift code runs (the executable's constructors run once the shared libraries are loaded and
 * initialized), which leaves only the dynamic loader's time without it. */
__attribute__((constructor)) static void catch_early_stop_at_load(void) { CLoadGenSys_catch_early_stop(); }
