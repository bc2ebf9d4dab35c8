/*
 * metrics.h — GET /metrics: the daemon's MSG_METRICS answer (proto.h) written
 * in the Prometheus text exposition format, version 0.0.4 (README "Metrics").
 */
#ifndef TV_METRICS_H
#define TV_METRICS_H

#include <jansson.h>
#include <stddef.h>

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The page of body (MSG_METRICS's OK, borrowed); http_conns: connections the HTTP module holds.
 * malloc'd, NUL-terminated, its length in *len; NULL when out of memory. */
char *metrics_text(json_t *body, unsigned http_conns, size_t *len);

#endif
