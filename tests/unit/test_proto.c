/*
 * test_proto.c — the framing in lib/proto.c: blocking send/recv, the
 * incremental read buffer (frames split across reads, several frames in one
 * read, bad version, oversize) and the write buffer (partial flushes).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto.h"

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

/* Raw bytes of one frame with any header values. */
static size_t frame(char *buf, uint32_t version, uint32_t type, const char *payload)
{
	struct proto_hdr h = {version, type, (uint32_t)strlen(payload)};
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, strlen(payload));
	return sizeof(h) + strlen(payload);
}

static void test_send_recv(void **state)
{
	struct proto_hdr h;
	char *p;
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(proto_send(sv[0], MSG_STATUS, "{\"names\":[]}", 12), 0);
	assert_int_equal(proto_send(sv[0], MSG_PING, "", 0), 0);
	assert_int_equal(proto_recv(sv[1], &h, &p), 0);
	assert_int_equal(h.version, PROTO_VERSION);
	assert_int_equal(h.type, MSG_STATUS);
	assert_int_equal(h.len, 12);
	assert_string_equal(p, "{\"names\":[]}");
	free(p);
	assert_int_equal(proto_recv(sv[1], &h, &p), 0);
	assert_int_equal(h.type, MSG_PING);
	assert_int_equal(h.len, 0);
	assert_string_equal(p, "");
	free(p);
	close(sv[0]);
	assert_int_equal(proto_recv(sv[1], &h, &p), -1);
	assert_int_equal(errno, ECONNRESET);
	close(sv[1]);
}

static void test_recv_bad_version(void **state)
{
	char buf[64];
	struct proto_hdr h;
	char *p;
	size_t n;
	int sv[2];

	(void)state;
	pair(sv);
	n = frame(buf, PROTO_VERSION + 1, MSG_OK, "{}");
	assert_int_equal(write(sv[0], buf, n), (ssize_t)n);
	assert_int_equal(proto_recv(sv[1], &h, &p), -1);
	assert_int_equal(errno, EPROTO);
	assert_null(p);
	/* A version-mismatch reply is read whatever its version says. */
	n = frame(buf, PROTO_VERSION + 1, MSG_VERSION_MISMATCH, "{\"daemon\":2}");
	close(sv[0]);
	close(sv[1]);
	pair(sv);
	assert_int_equal(write(sv[0], buf, n), (ssize_t)n);
	assert_int_equal(proto_recv(sv[1], &h, &p), 0);
	assert_int_equal(h.type, MSG_VERSION_MISMATCH);
	assert_string_equal(p, "{\"daemon\":2}");
	free(p);
	close(sv[0]);
	close(sv[1]);
}

/* A frame fed one byte at a time comes out whole, once. */
static void test_rbuf_split(void **state)
{
	struct proto_rbuf rb;
	struct proto_hdr h;
	char buf[128], *p;
	size_t n;
	int sv[2];

	(void)state;
	pair(sv);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	proto_rbuf_init(&rb);
	n = frame(buf, PROTO_VERSION, MSG_START, "{\"names\":[\"web\"]}");
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(proto_rbuf_next(&rb, &h, &p), 0);
		assert_int_equal(write(sv[0], buf + i, 1), 1);
		assert_int_equal(proto_rbuf_fill(&rb, sv[1]), 1);
	}
	assert_int_equal(proto_rbuf_next(&rb, &h, &p), 1);
	assert_int_equal(h.type, MSG_START);
	assert_string_equal(p, "{\"names\":[\"web\"]}");
	assert_int_equal(proto_rbuf_next(&rb, &h, &p), 0);
	assert_int_equal(proto_rbuf_fill(&rb, sv[1]), -1);
	assert_int_equal(errno, EAGAIN);
	proto_rbuf_free(&rb);
	close(sv[0]);
	close(sv[1]);
}

/* Three frames in one read, the last cut short: two now, the third after the rest arrives.
 * The NUL put after each payload must not damage the next frame's header. */
static void test_rbuf_many(void **state)
{
	struct proto_rbuf rb;
	struct proto_hdr h;
	char buf[256], *p;
	size_t n = 0, third;
	int sv[2];

	(void)state;
	pair(sv);
	proto_rbuf_init(&rb);
	n += frame(buf + n, PROTO_VERSION, MSG_STOP, "{\"a\":1}");
	n += frame(buf + n, PROTO_VERSION, MSG_PID, "");
	third = n;
	n += frame(buf + n, PROTO_VERSION, MSG_TAIL, "{\"name\":\"x\"}");
	assert_int_equal(write(sv[0], buf, third + 5), (ssize_t)(third + 5));
	assert_true(proto_rbuf_fill(&rb, sv[1]) > 0);
	assert_int_equal(proto_rbuf_next(&rb, &h, &p), 1);
	assert_int_equal(h.type, MSG_STOP);
	assert_string_equal(p, "{\"a\":1}");
	assert_int_equal(proto_rbuf_next(&rb, &h, &p), 1);
	assert_int_equal(h.type, MSG_PID);
	assert_int_equal(h.len, 0);
	assert_string_equal(p, "");
	assert_int_equal(proto_rbuf_next(&rb, &h, &p), 0);
	assert_int_equal(write(sv[0], buf + third + 5, n - third - 5), (ssize_t)(n - third - 5));
	assert_true(proto_rbuf_fill(&rb, sv[1]) > 0);
	assert_int_equal(proto_rbuf_next(&rb, &h, &p), 1);
	assert_int_equal(h.type, MSG_TAIL);
	assert_string_equal(p, "{\"name\":\"x\"}");
	close(sv[0]);
	assert_int_equal(proto_rbuf_fill(&rb, sv[1]), 0); /* EOF */
	proto_rbuf_free(&rb);
	close(sv[1]);
}

static void test_rbuf_bad(void **state)
{
	struct proto_rbuf rb;
	struct proto_hdr h;
	char buf[64], *p;
	size_t n;
	int sv[2];

	(void)state;
	pair(sv);
	proto_rbuf_init(&rb);
	n = frame(buf, 99, MSG_STATUS, "{}");
	assert_int_equal(write(sv[0], buf, n), (ssize_t)n);
	assert_true(proto_rbuf_fill(&rb, sv[1]) > 0);
	assert_int_equal(proto_rbuf_next(&rb, &h, &p), -1);
	assert_int_equal(h.version, 99); /* filled, so the daemon can answer MSG_VERSION_MISMATCH */
	proto_rbuf_free(&rb);

	/* A header announcing more than PROTO_MAX_PAYLOAD is refused before any payload arrives. */
	proto_rbuf_init(&rb);
	{
		struct proto_hdr big = {PROTO_VERSION, MSG_STATUS, PROTO_MAX_PAYLOAD + 1};
		assert_int_equal(write(sv[0], &big, sizeof(big)), (ssize_t)sizeof(big));
	}
	assert_true(proto_rbuf_fill(&rb, sv[1]) > 0);
	assert_int_equal(proto_rbuf_next(&rb, &h, &p), -1);
	assert_int_equal(h.version, PROTO_VERSION);
	assert_int_equal(h.len, PROTO_MAX_PAYLOAD + 1);
	proto_rbuf_free(&rb);
	close(sv[0]);
	close(sv[1]);
}

/* A write buffer larger than the socket can take flushes in parts: 0 (more to do), then 1. */
static void test_wbuf_partial(void **state)
{
	struct proto_wbuf wb;
	struct proto_hdr h;
	size_t big = 1u << 20;
	char *payload = malloc(big + 1), *p;
	int sv[2], r, sndbuf = 4096;

	(void)state;
	assert_non_null(payload);
	memset(payload, 'x', big);
	payload[big] = '\0';
	pair(sv);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	proto_wbuf_init(&wb);
	assert_int_equal(proto_wbuf_add(&wb, MSG_DATA, "{\"text\":\"a\"}", 12), 0);
	assert_int_equal(proto_wbuf_add(&wb, MSG_DATA, payload, big), 0);
	r = proto_wbuf_flush(&wb, sv[0]);
	assert_int_equal(r, 0);
	assert_true(wb.off < wb.len);

	/* Read the first frame; drain the rest while flushing. */
	assert_int_equal(proto_recv(sv[1], &h, &p), 0);
	assert_string_equal(p, "{\"text\":\"a\"}");
	free(p);
	{
		struct proto_rbuf rb;
		char *q;
		int got = 0;
		proto_rbuf_init(&rb);
		fcntl(sv[1], F_SETFL, O_NONBLOCK);
		while (!got) {
			r = proto_wbuf_flush(&wb, sv[0]);
			assert_true(r >= 0);
			proto_rbuf_fill(&rb, sv[1]);
			got = proto_rbuf_next(&rb, &h, &q);
			assert_true(got >= 0);
		}
		assert_int_equal(h.len, big);
		assert_int_equal(strlen(q), big);
		assert_int_equal(proto_wbuf_flush(&wb, sv[0]), 1);
		proto_rbuf_free(&rb);
	}
	assert_int_equal(proto_wbuf_add(&wb, MSG_OK, NULL, 0), 0);
	assert_int_equal(proto_wbuf_flush(&wb, sv[0]), 1);
	proto_wbuf_free(&wb);
	free(payload);
	close(sv[0]);
	close(sv[1]);
}

static void test_wbuf_oversize(void **state)
{
	struct proto_wbuf wb;

	(void)state;
	proto_wbuf_init(&wb);
	assert_int_equal(proto_wbuf_add(&wb, MSG_OK, "x", (size_t)PROTO_MAX_PAYLOAD + 1), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(proto_send(-1, MSG_OK, "x", (size_t)PROTO_MAX_PAYLOAD + 1), -1);
	assert_int_equal(errno, EMSGSIZE);
	proto_wbuf_free(&wb);
}

/* No answer within the timeout: ETIMEDOUT, also mid-frame; an answer in time is read whole. */
static void test_recv_timeout(void **state)
{
	struct proto_hdr h = {PROTO_VERSION, MSG_OK, 10};
	char *p;
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(proto_recv_timeout(sv[1], &h, &p, 50), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_null(p);
	assert_int_equal(write(sv[0], &h, sizeof(h)), (ssize_t)sizeof(h)); /* a header, no payload */
	assert_int_equal(proto_recv_timeout(sv[1], &h, &p, 50), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(proto_send(sv[0], MSG_OK, "{}", 2), 0);
	assert_int_equal(proto_recv_timeout(sv[1], &h, &p, 1000), 0);
	assert_string_equal(p, "{}");
	free(p);
	close(sv[0]);
	close(sv[1]);
}

/* A buffer that held a large frame is given back once it is empty; a small one is kept. */
static void test_buffers_shrink(void **state)
{
	struct proto_rbuf rb;
	struct proto_wbuf wb;
	struct proto_hdr h;
	size_t big = 3u * 1024u * 1024u;
	char *payload = malloc(big), *got;
	int sv[2];

	(void)state;
	memset(payload, 'x', big);
	pair(sv);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	proto_rbuf_init(&rb);
	proto_wbuf_init(&wb);
	assert_int_equal(proto_wbuf_add(&wb, MSG_DATA, payload, big), 0);
	assert_true(wb.cap >= big);
	int got_frame = 0;
	while (!got_frame) {
		int r = proto_wbuf_flush(&wb, sv[0]);
		assert_true(r >= 0);
		if (proto_rbuf_fill(&rb, sv[1]) < 0)
			assert_true(errno == EAGAIN);
		got_frame = proto_rbuf_next(&rb, &h, &got);
	}
	assert_int_equal(h.len, big);
	assert_int_equal(proto_wbuf_flush(&wb, sv[0]), 1);
	assert_int_equal(wb.cap, 0); /* freed once sent */
	assert_int_equal(proto_rbuf_next(&rb, &h, &got), 0);
	assert_int_equal(rb.cap, 0); /* freed once consumed */
	assert_int_equal(proto_wbuf_add(&wb, MSG_OK, "{}", 2), 0);
	assert_int_equal(proto_wbuf_flush(&wb, sv[0]), 1);
	assert_true(wb.cap > 0); /* small: kept for the next message */
	proto_rbuf_free(&rb);
	proto_wbuf_free(&wb);
	free(payload);
	close(sv[0]);
	close(sv[1]);
}

static void test_waits(void **state)
{
	(void)state;
	assert_true(proto_msg_waits(MSG_START));
	assert_true(proto_msg_waits(MSG_TASK_WAIT));
	assert_false(proto_msg_waits(MSG_STATUS));
	assert_false(proto_msg_waits(MSG_TASK_LIST));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(proto_msg_name(MSG_STATUS), "MSG_STATUS");
	assert_string_equal(proto_msg_name(MSG_VERSION_MISMATCH), "MSG_VERSION_MISMATCH");
	assert_string_equal(proto_msg_name(MSG_WORKER_CANCEL), "MSG_WORKER_CANCEL");
	assert_string_equal(proto_msg_name(12345), "MSG_?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_send_recv),	  cmocka_unit_test(test_recv_bad_version),
	    cmocka_unit_test(test_rbuf_split),	  cmocka_unit_test(test_rbuf_many),
	    cmocka_unit_test(test_rbuf_bad),	  cmocka_unit_test(test_wbuf_partial),
	    cmocka_unit_test(test_wbuf_oversize), cmocka_unit_test(test_names),
	    cmocka_unit_test(test_recv_timeout),  cmocka_unit_test(test_buffers_shrink),
	    cmocka_unit_test(test_waits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
