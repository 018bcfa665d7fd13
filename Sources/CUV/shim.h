#ifndef CUV_SHIM_H
#define CUV_SHIM_H
#include <uv.h>

/* libuv's handle "inheritance" is struct-prefix based; Swift cannot spell the upcasts. */
static inline uv_handle_t *CUV_timer_as_handle(uv_timer_t *t) { return (uv_handle_t *)t; }
static inline uv_handle_t *CUV_poll_as_handle(uv_poll_t *p) { return (uv_handle_t *)p; }
static inline uv_handle_t *CUV_async_as_handle(uv_async_t *a) { return (uv_handle_t *)a; }
static inline uv_handle_t *CUV_tcp_as_handle(uv_tcp_t *t) { return (uv_handle_t *)t; }
static inline uv_stream_t *CUV_tcp_as_stream(uv_tcp_t *t) { return (uv_stream_t *)t; }
static inline uv_tcp_t *CUV_stream_as_tcp(uv_stream_t *s) { return (uv_tcp_t *)s; }
static inline uv_tcp_t *CUV_handle_as_tcp(uv_handle_t *h) { return (uv_tcp_t *)h; }

#endif
