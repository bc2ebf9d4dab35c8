/*
 * fuzz_proto.c — libFuzzer target for the protocol reader (lib/proto.c) and
 * the daemon's first look at each payload (supervisord/server/control.c,
 * handlers_worker.c).
 *
 * Input: byte 0 = flags, bytes 1..8 = chunk sizes (cycled; 1..128, or with
 * the high bit set 64..8192), the rest = the byte stream a peer sends (at most
 * 16 KB). The stream goes through a pipe in those chunks; after each chunk proto_rbuf_fill() reads once and
 * proto_rbuf_next() takes out every whole frame, as control_conn_readable()
 * does, until it says "more bytes" or "malformed" (where the daemon closes).
 * Each frame is checked against a plain model of the framing (header,
 * version, size limit, payload bytes, the NUL after them), then parsed as the
 * daemon does: the raw DONE fast path (handlers_done_step_id) and else
 * json_loadb() and "must be an object". With flag bit 0 the whole stream is
 * also read with the blocking proto_recv() (the client side), checked against
 * the same model. Any difference aborts. Built and run by `make fuzz`.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_HEAD 9

static void fuzz_die(const char *what, size_t off)
{
	fprintf(stderr, "fuzz_proto: %s (frame at stream offset %zu)\n", what, off);
	abort();
}

/* What the model says about the frame at off: 1 whole, 0 cut short, -1 malformed. */
static int fuzz_model(const uint8_t *s, size_t n, size_t off, struct proto_hdr *h)
{
	if (n - off < sizeof(*h))
		return 0;
	memcpy(h, s + off, sizeof(*h));
	if (h->version != PROTO_VERSION || h->len > PROTO_MAX_PAYLOAD)
		return -1;
	return n - off - sizeof(*h) >= h->len ? 1 : 0;
}

/* The daemon's parse of one payload (control_dispatch). */
static void fuzz_payload(const char *p, size_t len)
{
	char id[64];
	json_error_t jerr;
	json_t *req;

	if (len > 0 && handlers_done_step_id(p, len, id, sizeof(id))) {
		if (strlen(id) == 0 || strspn(id, "0123456789.") != strlen(id))
			fuzz_die("the DONE fast path let through a bad step id", 0);
		/* the fast path must agree with the JSON one */
		req = json_loadb(p, len, 0, &jerr);
		if (req == NULL || !json_is_object(req) ||
		    strcmp(json_string_value(json_object_get(req, "step_id")), id) != 0)
			fuzz_die("the DONE fast path read what JSON reads differently", 0);
		json_decref(req);
		return;
	}
	req = len == 0 ? json_object() : json_loadb(p, len, 0, &jerr);
	if (req != NULL && json_is_object(req)) {
		/* what the handlers then look at first */
		(void)json_string_value(json_object_get(req, "step_id"));
		(void)json_object_get(req, "output");
	}
	json_decref(req);
}

/* The incremental reader, fed in chunks. */
static void fuzz_rbuf(const uint8_t *s, size_t n, const uint8_t *chunks)
{
	struct proto_rbuf rb;
	struct proto_hdr h, mh;
	char *payload;
	size_t sent = 0, off = 0;
	int sv[2], r, m, k = 0;

	if (pipe(sv) != 0)
		abort();
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	proto_rbuf_init(&rb);
	while (sent < n) {
		uint8_t b = chunks[k++ % 8];
		size_t c = b & 0x80 ? (size_t)(b & 0x7f) * 64 + 64 : (size_t)b + 1;
		if (c > n - sent)
			c = n - sent;
		if (write(sv[1], s + sent, c) != (ssize_t)c)
			abort();
		sent += c;
		if (proto_rbuf_fill(&rb, sv[0]) != (ssize_t)c)
			fuzz_die("proto_rbuf_fill did not read the chunk", off);
		while ((r = proto_rbuf_next(&rb, &h, &payload)) == 1) {
			m = fuzz_model(s, sent, off, &mh);
			if (m != 1 || memcmp(&h, &mh, sizeof(h)) != 0)
				fuzz_die("proto_rbuf_next gave a frame the model does not", off);
			if (memcmp(payload, s + off + sizeof(h), h.len) != 0 || payload[h.len] != '\0')
				fuzz_die("payload bytes differ or are not NUL-terminated", off);
			fuzz_payload(payload, h.len);
			off += sizeof(h) + h.len;
		}
		m = fuzz_model(s, sent, off, &mh);
		if (r != m)
			fuzz_die("proto_rbuf_next and the model disagree on the next frame", off);
		if (r < 0)
			break; /* malformed: the daemon closes the connection */
	}
	proto_rbuf_free(&rb);
	close(sv[0]);
	close(sv[1]);
}

/* The blocking reader over the whole stream, then EOF. */
static void fuzz_recv(const uint8_t *s, size_t n)
{
	struct proto_hdr h, mh;
	char *payload;
	size_t off = 0;
	int sv[2], m;

	if (pipe(sv) != 0)
		abort();
	if (n > 0 && write(sv[1], s, n) != (ssize_t)n)
		abort();
	close(sv[1]);
	for (;;) {
		m = fuzz_model(s, n, off, &mh);
		/* proto_recv also takes a MSG_VERSION_MISMATCH of any version */
		if (m < 0 && mh.type == MSG_VERSION_MISMATCH && mh.len <= PROTO_MAX_PAYLOAD)
			m = n - off - sizeof(mh) >= mh.len ? 1 : 0;
		if (proto_recv(sv[0], &h, &payload) != 0) {
			if (m == 1 || payload != NULL)
				fuzz_die("proto_recv refused a whole frame", off);
			break;
		}
		if (m != 1 || memcmp(&h, &mh, sizeof(h)) != 0)
			fuzz_die("proto_recv gave a frame the model does not", off);
		if (memcmp(payload, s + off + sizeof(h), h.len) != 0 || payload[h.len] != '\0')
			fuzz_die("proto_recv payload differs", off);
		free(payload);
		off += sizeof(h) + h.len;
	}
	close(sv[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < FUZZ_HEAD || size > FUZZ_HEAD + 16384)
		return 0;
	fuzz_rbuf(data + FUZZ_HEAD, size - FUZZ_HEAD, data + 1);
	if (data[0] & 1)
		fuzz_recv(data + FUZZ_HEAD, size - FUZZ_HEAD);
	return 0;
}
