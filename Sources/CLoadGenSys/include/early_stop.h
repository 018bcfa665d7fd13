#ifndef CLOADGENSYS_EARLY_STOP_H
#define CLOADGENSYS_EARLY_STOP_H

/* Ctrl-C (SIGINT) and SIGTERM from the first instruction of main until the run takes them with sigtimedwait.
 * A handler (not a blocked mask, which children such as kubectl would inherit) remembers the first signal; a
 * second one while loadgen is still setting up ends the process as the default action would. */
void CLoadGenSys_catch_early_stop(void);

/* The first stop signal caught so far, or 0. */
int CLoadGenSys_early_stop_signal(void);

/* Blocks SIGINT/SIGTERM (threads created afterwards inherit the mask) and, when one was caught before, makes it
 * pending again so that the run's sigtimedwait sees it as a stop request. */
void CLoadGenSys_hold_stop_signals(void);

/* Back to the default action (for commands that run no load, such as verify); a signal caught before ends the
 * process now, as it would have then. */
void CLoadGenSys_default_stop_signals(void);

#endif
