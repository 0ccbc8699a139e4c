/*
 * SIGNAL CONTEXT: runs inside the SIGPROF handler. No malloc, stdio, locks,
 * dlsym or logging. New external calls need an entry in tests/sigsafe.allow.
 *
 * CPython strings are stored as 1, 2 or 4 bytes per code point (PEP 393).
 * Compact ASCII data follows the PyASCIIObject header, other compact data
 * follows PyCompactUnicodeObject, and legacy (non-compact) strings point to
 * their data.  Names are converted to UTF-8 here, once per function.
 */

#include "config.h"

#include <string.h>

#include "guard.h"
#include "pystr.h"

/* Read a word of the given type at an address. */
#define PEEK(type, addr)	(*(const volatile type *)(uintptr_t)(addr))

/* Where a str's characters are, their kind and count; -1 if implausible. */
GUARD_NO_ASAN static int
pystr_data(const struct pylayout *py, uintptr_t obj, uintptr_t *data,
    unsigned int *kind, long *length)
{
	uint32_t	state;
	long		len;
	uintptr_t	p;

	if (!pystr_ptr_ok(obj))
		return -1;
	state = PEEK(uint32_t, obj + py->uni_state);
	len = PEEK(long, obj + py->uni_length);
	*kind = (state >> py->uni_kind_shift) & 7;
	if (len < 0 || len > (1L << 30))
		return -1;
	if (*kind != 1 && *kind != 2 && *kind != 4)
		return -1;	/* 0: a legacy string not ready (< 3.12) */
	if ((state >> py->uni_compact_shift) & 1) {
		if ((state >> py->uni_ascii_shift) & 1)
			p = obj + py->uni_ascii_size;
		else
			p = obj + py->uni_compact_size;
	} else {
		p = PEEK(uintptr_t, obj + py->uni_data_any);
		if (p < 4096 || p >= (1ULL << 47))
			return -1;
	}
	*data = p;
	*length = len;
	return 0;
}

/* Encode one code point as UTF-8; return its length (0 if invalid). */
static size_t
pystr_encode(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		/* Lone surrogates (from surrogateescape) become U+FFFD. */
		if (c >= 0xd800 && c <= 0xdfff)
			c = 0xfffd;
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	if (c < 0x110000) {
		out[0] = (char)(0xf0 | (c >> 18));
		out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[3] = (char)(0x80 | (c & 0x3f));
		return 4;
	}
	return 0;
}

/* Convert the str at obj to UTF-8 in buf; bytes written or -1. */
GUARD_NO_ASAN long
pystr_utf8(const struct pylayout *py, uintptr_t obj, char *buf, size_t cap,
    int *cut)
{
	uintptr_t	data;
	unsigned int	kind;
	long		len, i;
	size_t		n = 0, w;
	char		enc[4];
	uint32_t	c;

	*cut = 0;
	if (pystr_data(py, obj, &data, &kind, &len) != 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (kind == 1)
			c = PEEK(uint8_t, data + (uintptr_t)i);
		else if (kind == 2)
			c = PEEK(uint16_t, data + 2 * (uintptr_t)i);
		else
			c = PEEK(uint32_t, data + 4 * (uintptr_t)i);
		w = pystr_encode(c, enc);
		if (w == 0)
			w = pystr_encode(0xfffd, enc);
		if (n + w > cap) {
			*cut = 1;
			break;
		}
		memcpy(buf + n, enc, w);
		n += w;
	}
	return (long)n;
}

/* The data and size of a bytes object, or -1 if implausible. */
GUARD_NO_ASAN long
pystr_bytes(const struct pylayout *py, uintptr_t obj, const uint8_t **data)
{
	long	size;

	if (!pystr_ptr_ok(obj))
		return -1;
	size = PEEK(long, obj + py->var_size);
	if (size < 0 || size > (1L << 30))
		return -1;
	*data = (const uint8_t *)(obj + py->bytes_data);
	return size;
}
