/* Growing arrays for normal-context code. */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "array.h"

/* Grow *p (elements of size each, *size of them) to hold need. */
int
array_grow(void *p, size_t *size, size_t need, size_t each)
{
	void	*q;
	size_t	 n = *size == 0 ? 16 : *size;

	if (need <= *size)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2 / each)
			return -1;
		n *= 2;
	}
	q = realloc(*(void **)p, n * each);
	if (q == NULL)
		return -1;
	*(void **)p = q;
	*size = n;
	return 0;
}
