/* Growing arrays for normal-context code (the writer, reader, reports). */

#ifndef PYSIG_ARRAY_H
#define PYSIG_ARRAY_H

#include <stddef.h>

/*
 * Grow the array *p (*size elements of each bytes) to hold at least need,
 * doubling.  0, or -1 if memory ran out or the size would overflow (then
 * *p and *size are unchanged).
 */
int	array_grow(void *p, size_t *size, size_t need, size_t each);

#endif
