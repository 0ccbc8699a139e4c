/* Fake CPython objects for unit tests. */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fakepy.h"

static void	**fakepy_blocks;
static size_t	  fakepy_nblocks;

/* Zeroed, 16-aligned memory, kept until fakepy_free_all(). */
uint8_t *
fakepy_alloc(size_t n)
{
	uint8_t	*p = aligned_alloc(16, (n + 15) & ~(size_t)15);
	void	**b;

	b = realloc(fakepy_blocks, (fakepy_nblocks + 1) * sizeof *b);
	if (p == NULL || b == NULL)
		abort();
	fakepy_blocks = b;
	fakepy_blocks[fakepy_nblocks++] = p;
	memset(p, 0, n);
	return p;
}

/* Free everything fakepy_alloc() returned. */
void
fakepy_free_all(void)
{
	size_t	i;

	for (i = 0; i < fakepy_nblocks; i++)
		free(fakepy_blocks[i]);
	free(fakepy_blocks);
	fakepy_blocks = NULL;
	fakepy_nblocks = 0;
}

/* Decode UTF-8 into code points; return the count. */
size_t
fakepy_decode(const char *utf8, uint32_t *out, size_t max)
{
	const unsigned char	*p = (const unsigned char *)utf8;
	size_t			 n = 0;

	while (*p && n < max) {
		uint32_t c;

		if (*p < 0x80)
			c = *p++;
		else if (*p < 0xe0) {
			c = (uint32_t)(*p & 0x1f) << 6 | (p[1] & 0x3f);
			p += 2;
		} else if (*p < 0xf0) {
			c = (uint32_t)(*p & 0x0f) << 12 |
			    (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
			p += 3;
		} else {
			c = (uint32_t)(*p & 0x07) << 18 |
			    (uint32_t)(p[1] & 0x3f) << 12 |
			    (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
			p += 4;
		}
		out[n++] = c;
	}
	return n;
}

/* A str object with the given code points. */
uintptr_t
fakepy_str_cp(const struct pylayout *l, const void *type, const uint32_t *cp,
    size_t n, int compact, long hash)
{
	unsigned int	 kind = 1, ascii = 1, state;
	size_t		 i, head;
	uint8_t		*obj, *data;
	long		 len = (long)n;

	for (i = 0; i < n; i++) {
		if (cp[i] > 0x7f)
			ascii = 0;
		if (cp[i] > 0xff && kind < 2)
			kind = 2;
		if (cp[i] > 0xffff)
			kind = 4;
	}
	if (!compact)
		ascii = 0;
	head = !compact ? (size_t)l->uni_data_any + 8 :
	    ascii ? (size_t)l->uni_ascii_size : (size_t)l->uni_compact_size;
	obj = fakepy_alloc(head + (n + 1) * kind);
	data = compact ? obj + head : fakepy_alloc((n + 1) * 4);
	if (!compact)
		memcpy(obj + l->uni_data_any, &data, sizeof data);
	for (i = 0; i < n; i++) {
		if (kind == 1)
			data[i] = (uint8_t)cp[i];
		else if (kind == 2)
			((uint16_t *)(void *)data)[i] = (uint16_t)cp[i];
		else
			((uint32_t *)(void *)data)[i] = cp[i];
	}
	memcpy(obj + l->ob_type, &type, sizeof type);
	memcpy(obj + l->uni_length, &len, sizeof len);
	memcpy(obj + l->uni_hash, &hash, sizeof hash);
	state = kind << l->uni_kind_shift | (unsigned int)compact <<
	    l->uni_compact_shift | ascii << l->uni_ascii_shift;
	memcpy(obj + l->uni_state, &state, sizeof state);
	return (uintptr_t)obj;
}

/* A compact str object from UTF-8, hash not computed. */
uintptr_t
fakepy_str(const struct pylayout *l, const void *type, const char *utf8)
{
	uint32_t	cp[512];
	size_t		n = fakepy_decode(utf8, cp, 512);

	return fakepy_str_cp(l, type, cp, n, 1, -1);
}
