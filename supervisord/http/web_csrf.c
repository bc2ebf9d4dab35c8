/*
 * web_csrf.c — the web page's CSRF tokens: HMAC-SHA256 (RFC 2104, FIPS 180-4)
 * of the session's binding (the Unix peer's uid, or the Authorization header
 * over TCP) under a per-daemon random secret. A token proves that the form was
 * read by someone holding those credentials, from this daemon since it started;
 * it never leaves the page it is in. No state is kept per session.
 */
#include <stdio.h>
#include <string.h>

#include "web_int.h"

static const uint32_t web_csrf_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t web_csrf_ror(uint32_t v, int n)
{
	return (v >> n) | (v << (32 - n));
}

static void web_csrf_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], v[8];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
		       (uint32_t)p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = web_csrf_ror(w[i - 15], 7) ^ web_csrf_ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = web_csrf_ror(w[i - 2], 17) ^ web_csrf_ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(v, h, sizeof(v));
	for (int i = 0; i < 64; i++) {
		uint32_t s1 = web_csrf_ror(v[4], 6) ^ web_csrf_ror(v[4], 11) ^ web_csrf_ror(v[4], 25);
		uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
		uint32_t t1 = v[7] + s1 + ch + web_csrf_k[i] + w[i];
		uint32_t s0 = web_csrf_ror(v[0], 2) ^ web_csrf_ror(v[0], 13) ^ web_csrf_ror(v[0], 22);
		uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
		uint32_t t2 = s0 + maj;
		v[7] = v[6];
		v[6] = v[5];
		v[5] = v[4];
		v[4] = v[3] + t1;
		v[3] = v[2];
		v[2] = v[1];
		v[1] = v[0];
		v[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		h[i] += v[i];
}

/* SHA-256 of the concatenation of two pieces (HMAC hashes key-pad || message). */
static void web_csrf_sha256_2(const void *a, size_t alen, const void *b, size_t blen, unsigned char out[32])
{
	uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	unsigned char block[64];
	size_t fill = 0, total = alen + blen;
	uint64_t bits = (uint64_t)total * 8;
	const unsigned char *parts[2] = {a, b};
	size_t lens[2] = {alen, blen};

	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < lens[k]; i++) {
			block[fill++] = parts[k][i];
			if (fill == 64) {
				web_csrf_block(h, block);
				fill = 0;
			}
		}
	block[fill++] = 0x80;
	if (fill > 56) {
		memset(block + fill, 0, 64 - fill);
		web_csrf_block(h, block);
		fill = 0;
	}
	memset(block + fill, 0, 56 - fill);
	for (int k = 0; k < 8; k++)
		block[63 - k] = (unsigned char)(bits >> (8 * k));
	web_csrf_block(h, block);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(h[i] >> 8);
		out[4 * i + 3] = (unsigned char)h[i];
	}
}

void web_csrf_sha256(const void *data, size_t len, unsigned char out[32])
{
	web_csrf_sha256_2(data, len, "", 0, out);
}

void web_csrf_token(const unsigned char secret[32], const char *binding, char out[65])
{
	unsigned char ipad[64], opad[64], inner[32], mac[32];

	memset(ipad, 0x36, sizeof(ipad));
	memset(opad, 0x5c, sizeof(opad));
	for (int i = 0; i < 32; i++) {
		ipad[i] ^= secret[i];
		opad[i] ^= secret[i];
	}
	web_csrf_sha256_2(ipad, sizeof(ipad), binding, strlen(binding), inner);
	web_csrf_sha256_2(opad, sizeof(opad), inner, sizeof(inner), mac);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

bool web_csrf_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}
