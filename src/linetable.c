/*
 * Line numbers from CPython line tables, following PyCode_Addr2Line() of
 * each version: Objects/codeobject.c (3.8, 3.9: co_lnotab; 3.10: the
 * address ranges of Objects/lnotab_notes.txt; 3.11+: the location table of
 * Objects/locations.md).  The interpreter trusts its tables; these come from
 * a file, so every read is checked against the table's length and a
 * malformed table ends the walk instead of reading past it.  Line and offset
 * arithmetic is done in 64 bits so a hostile table cannot overflow it.
 */

#include "config.h"

#include <limits.h>

#include "format.h"
#include "linetable.h"

/* Location table entry codes (3.11+, Include/cpython/code.h). */
#define LOC_ONE_LINE0	10
#define LOC_ONE_LINE1	11
#define LOC_ONE_LINE2	12
#define LOC_NO_COLUMNS	13
#define LOC_LONG	14
#define LOC_NONE	15

/* A computed line as the int the caller sees; out of range is no line. */
static int
linetable_result(int64_t line)
{
	if (line < 0 || line > INT_MAX)
		return -1;
	return (int)line;
}

/*
 * 3.8 and 3.9: co_lnotab is pairs of (unsigned byte-offset increment,
 * signed line increment).  The line is that of the last pair whose offset
 * is not past the one asked for; a trailing odd byte is ignored, as the
 * interpreter does (it uses the size divided by two).
 */
static int
linetable_lnotab(const uint8_t *t, size_t len, int firstlineno, int64_t off)
{
	int64_t	line = firstlineno, addr = 0;
	size_t	i;

	for (i = 0; i + 1 < len; i += 2) {
		addr += t[i];
		if (addr > off)
			break;
		line += (int8_t)t[i + 1];
	}
	return linetable_result(line);
}

/*
 * 3.10: co_linetable is pairs of (unsigned byte length of a range, signed
 * line increment, -128 meaning the range has no line).  Ranges of length
 * zero only move the line; the walk skips them like
 * PyLineTable_NextAddressRange() does.
 */
static int
linetable_310(const uint8_t *t, size_t len, int firstlineno, int64_t off)
{
	int64_t	computed = firstlineno, start = -1, end = 0;
	int	line = -1;
	size_t	p = 0;

	while (end <= off) {
		do {
			if (p + 1 >= len)
				return -1;	/* past the last range */
			start = end;
			end += t[p];
			if ((int8_t)t[p + 1] == -128)
				line = -1;
			else {
				computed += (int8_t)t[p + 1];
				line = linetable_result(computed);
			}
			p += 2;
		} while (start == end);
	}
	return line;
}

/*
 * Read a location table varint (6-bit groups, low first, bit 6 set on all
 * but the last) from t[*p..len).  Bits beyond 32 are dropped, as the
 * interpreter's unsigned int would.
 */
static uint32_t
linetable_varint(const uint8_t *t, size_t len, size_t *p)
{
	uint32_t	val = 0;
	unsigned int	shift = 0;
	uint8_t		b;

	do {
		if (*p >= len)
			break;
		b = t[(*p)++];
		if (shift < 32)
			val |= (uint32_t)(b & 63) << shift;
		shift += 6;
	} while (b & 64);
	return val;
}

/* The line increment of the location table entry starting at t[p]. */
static int64_t
linetable_loc_delta(const uint8_t *t, size_t len, size_t p)
{
	uint32_t	u;

	switch ((t[p] >> 3) & 15) {
	case LOC_NO_COLUMNS:
	case LOC_LONG:
		p++;
		u = linetable_varint(t, len, &p);
		if (u & 1)
			return -(int64_t)(u >> 1);
		return (int64_t)(u >> 1);
	case LOC_ONE_LINE1:
		return 1;
	case LOC_ONE_LINE2:
		return 2;
	case LOC_ONE_LINE0:
	case LOC_NONE:
	default:
		return 0;
	}
}

/*
 * 3.11+: the location table.  Each entry starts with a byte with bit 7 set:
 * bits 3-6 are the entry's code, bits 0-2 its length in code units minus
 * one; the entry's other bytes (line delta, columns) have bit 7 clear.
 * Only the line matters here.
 */
static int
linetable_locations(const uint8_t *t, size_t len, int firstlineno,
    int64_t off)
{
	int64_t	computed = firstlineno, end = 0;
	int	line = -1;
	size_t	p = 0;

	while (end <= off) {
		if (p >= len)
			return -1;	/* past the last entry */
		computed += linetable_loc_delta(t, len, p);
		if ((t[p] >> 3) == 0x1f)
			line = -1;	/* LOC_NONE with bit 7: no line */
		else
			line = linetable_result(computed);
		end += ((t[p] & 7) + 1) * 2;
		do
			p++;
		while (p < len && (t[p] & 128) == 0);
	}
	return line;
}

/* The line executing at byte_offset, or -1; see linetable.h. */
int
linetable_line(int kind, const uint8_t *table, size_t len, int firstlineno,
    int64_t byte_offset)
{
	if (byte_offset < 0)
		return firstlineno;
	if (table == NULL)
		len = 0;
	switch (kind) {
	case LINETABLE_LNOTAB:
		return linetable_lnotab(table, len, firstlineno, byte_offset);
	case LINETABLE_310:
		return linetable_310(table, len, firstlineno, byte_offset);
	case LINETABLE_LOCATIONS:
		return linetable_locations(table, len, firstlineno,
		    byte_offset);
	default:
		return -1;
	}
}
