/* Byte-level encoding shared by the profile writer and reader. */

#include "config.h"

#include <string.h>

#include "format.h"

/* Encode v as LEB128 into p (at least 10 bytes); return the bytes used. */
size_t
format_put_varint(uint8_t *p, uint64_t v)
{
	size_t	n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Decode a varint from [*p, end); -1 on truncation or overflow. */
int
format_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t	*q = *p;
	uint64_t	 r = 0;
	unsigned int	 shift = 0;

	while (q < end) {
		uint8_t b = *q++;

		if (shift == 63 && (b & 0x7e) != 0)
			return -1;
		r |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*p = q;
			*v = r;
			return 0;
		}
		shift += 7;
		if (shift > 63)
			return -1;
	}
	return -1;
}

/* Fill the 16-byte file header. */
void
format_file_header(uint8_t *out)
{
	memcpy(out, FORMAT_MAGIC, FORMAT_MAGIC_LEN);
	out[8] = FORMAT_MAJOR & 0xff;
	out[9] = FORMAT_MAJOR >> 8;
	out[10] = FORMAT_MINOR & 0xff;
	out[11] = FORMAT_MINOR >> 8;
	memset(out + 12, 0, 4);
}
