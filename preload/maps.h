/*
 * The object files mapped into the profiled process, so that the native
 * addresses in the profile can be symbolized afterwards.  The preload lists
 * what is loaded at start-up with dl_iterate_phdr() (build-ids read from
 * memory); the spool reads /proc/PID/maps again when a sample holds an
 * address outside every known mapping (an extension module imported later,
 * ctypes.CDLL, dlopen).  Normal context only.
 */

#ifndef PYSIG_MAPS_H
#define PYSIG_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "writer.h"

#define MAPS_BUILD_ID_MAX	64

struct maps_entry {
	uint64_t	start;		/* lowest address of its code */
	uint64_t	end;		/* exclusive */
	uint64_t	bias;		/* address - bias = ELF address */
	unsigned int	flags;		/* MAPPING_* (format.h) */
	uint8_t		build_id[MAPS_BUILD_ID_MAX];
	size_t		build_id_len;
	char		*path;
};

struct maps {
	struct maps_entry	*v;	/* sorted by start */
	size_t			 n;
	size_t			 size;
	uint64_t		 last_scan_ns;	/* of /proc/PID/maps */
};

/*
 * List the objects loaded in this process; the one whose code holds
 * interp (an address in the eval loop, or 0) is marked MAPPING_INTERPRETER.
 * Return 0 or -ENOMEM.
 */
int	maps_load(struct maps *, uintptr_t interp);
/* Append a MAPPING record for every entry. */
void	maps_write(const struct maps *, struct writer *);
/* The entry holding addr, or NULL. */
const struct maps_entry *maps_find(const struct maps *, uint64_t addr);
/*
 * Read /proc/PID/maps for executable mappings not known yet, add them and
 * append their MAPPING records.  Return how many were added, or -errno.
 */
int	maps_rescan(struct maps *, pid_t pid, struct writer *);
/* Free the entries. */
void	maps_free(struct maps *);

#endif
