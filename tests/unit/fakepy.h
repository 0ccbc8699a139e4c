/*
 * Fake CPython objects for unit tests: strings laid out in memory the way a
 * given CPython version lays them out.
 */

#ifndef PYSIG_FAKEPY_H
#define PYSIG_FAKEPY_H

#include <stddef.h>
#include <stdint.h>

#include "pylayout.h"

/* Decode UTF-8 into code points; return the count. */
size_t		fakepy_decode(const char *utf8, uint32_t *out, size_t max);
/*
 * A str object with the given code points, of type type.  compact = 0
 * makes a legacy string whose characters live in a separate block.
 */
uintptr_t	fakepy_str_cp(const struct pylayout *, const void *type,
		    const uint32_t *cp, size_t n, int compact, long hash);
/* A compact str object from UTF-8, hash not computed. */
uintptr_t	fakepy_str(const struct pylayout *, const void *type,
		    const char *utf8);
/* Zeroed, 16-aligned memory, kept until fakepy_free_all(). */
uint8_t		*fakepy_alloc(size_t n);
/* Free everything fakepy_alloc() returned (a test's teardown). */
void		 fakepy_free_all(void);

#endif
