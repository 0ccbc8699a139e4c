/*
 * Source lines from CPython line tables: the line executing at a bytecode
 * offset, computed the way the interpreter's PyCode_Addr2Line() does for the
 * table formats of CPython 3.8 to 3.13 (format.h, enum format_linetable).
 */

#ifndef PYSIG_LINETABLE_H
#define PYSIG_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The line executing at byte_offset in a code object whose line table of
 * the given kind (LINETABLE_*) is table[0..len) and whose co_firstlineno is
 * firstlineno.  A negative offset gives firstlineno.  Return -1 where no
 * line applies: an instruction without a line (3.10+), an offset past the
 * end of the table (3.10+), an unknown kind or LINETABLE_NONE.  Never reads
 * outside table[0..len), whatever the table holds.
 */
int	linetable_line(int kind, const uint8_t *table, size_t len,
	    int firstlineno, int64_t byte_offset);

#endif
