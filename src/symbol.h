/*
 * Offline symbolization of native addresses recorded in a profile, with
 * elfutils' libdwfl: function names from .symtab or .dynsym (static
 * functions included), file:line and inlined functions from DWARF (any
 * version libdw reads, DWARF 5 included), separate debug files found by
 * build-id or .gnu_debuglink, C++ names demangled.  A module whose file on
 * disk no longer has the build-id recorded with it is reported as changed
 * and its addresses are left unnamed rather than named wrongly.
 * Normal context; used by pysig-report and the tests.
 */

#ifndef PYSIG_SYMBOL_H
#define PYSIG_SYMBOL_H

#include <stddef.h>
#include <stdint.h>

/* An object file mapped into the profiled process (a MAPPING record). */
struct symbol_mapping {
	uint64_t	 start;		/* lowest address of its code */
	uint64_t	 end;		/* end of its code (exclusive) */
	uint64_t	 bias;		/* load bias: address - bias = ELF vaddr */
	const uint8_t	*build_id;	/* NULL or empty if unknown */
	size_t		 build_id_len;
	const char	*path;		/* as the process saw it */
};

/*
 * What one address stands for.  The frames of one address (inlined
 * functions, then the function holding them) share module, offset and
 * changed.  file is the name DWARF gives, which may be relative to the
 * unit's compilation directory.
 */
struct symbol_frame {
	const char	*name;		/* function, demangled; NULL unknown */
	const char	*file;		/* source file (DWARF); NULL unknown */
	int		 line;		/* source line; 0 unknown */
	const char	*module;	/* the mapping's path; NULL if none */
	uint64_t	 offset;	/* address - bias (address if no module) */
	int		 changed;	/* module's file changed since recording */
};

struct symbolizer;

/*
 * Create a symbolizer for one process's mappings (copied).  debug_dirs is
 * NULL for the default (/usr/lib/debug) or a colon-separated list of
 * directories searched for separate debug files.  Return NULL with *cause
 * set to an allocated message if out of memory.  Files are opened lazily:
 * a missing or unreadable file is not an error here.
 */
struct symbolizer	*symbolizer_create(const struct symbol_mapping *,
			     size_t n, const char *debug_dirs, char **cause);
/* Free a symbolizer and every string it returned. */
void			 symbolizer_free(struct symbolizer *);
/*
 * Resolve addr: is_pc is 1 for the interrupted instruction (the leaf frame)
 * and 0 for a return address (looked up at addr - 1, inside the call).
 * Write up to max frames into out, innermost first: the functions inlined
 * at that address, then the function that contains it; return how many (at
 * least 1 when max >= 1: an unknown address gives one frame with name NULL).
 * Returned strings live until symbolizer_free().  Results are cached.
 */
size_t			 symbolizer_lookup(struct symbolizer *, uint64_t addr,
			     int is_pc, struct symbol_frame *out, size_t max);
/*
 * The i-th problem found so far (a module's file missing, unreadable or
 * changed since recording), as a line of text, or NULL past the last.
 */
const char		*symbolizer_problem(const struct symbolizer *,
			     size_t i);

#endif
