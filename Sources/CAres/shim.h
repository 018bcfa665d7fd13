#ifndef CARES_SHIM_H
#define CARES_SHIM_H
#include <ares.h>
#include <arpa/nameser.h>

/* ARES_SOCKET_BAD is a macro Swift may not import as a constant. */
static inline ares_socket_t CAres_socket_bad(void) { return ARES_SOCKET_BAD; }

#endif
