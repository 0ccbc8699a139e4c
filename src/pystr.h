/*
 * Reading CPython str and bytes objects from memory, without calling into
 * Python.  Signal safe.
 */

#ifndef PYSIG_PYSTR_H
#define PYSIG_PYSTR_H

#include <stddef.h>
#include <stdint.h>

#include "pylayout.h"

/* A plausible object address: non-null, 8-aligned, in user space. */
static inline int
pystr_ptr_ok(uintptr_t p)
{
	return p >= 4096 && (p & 7) == 0 && p < (1ULL << 47);
}

/*
 * Convert the str object at obj to UTF-8 in buf (at most cap bytes, never a
 * partial character).  Return the bytes written, or -1 if obj does not look
 * like a ready str.  *cut is set when the string did not fit.
 */
long		pystr_utf8(const struct pylayout *, uintptr_t obj, char *buf,
		    size_t cap, int *cut);
/* The data and size of the bytes object at obj, or -1 if implausible. */
long		pystr_bytes(const struct pylayout *, uintptr_t obj,
		    const uint8_t **data);

#endif
