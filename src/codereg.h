/*
 * The registry of functions already defined in the profile: a fixed-size,
 * lock-free table from code object address to the id given to it.  The
 * address is forgotten when the code object is freed, so a new code object
 * at a freed one's address gets a new id and its own definition.  Signal
 * safe.
 */

#ifndef PYSIG_CODEREG_H
#define PYSIG_CODEREG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct codereg_slot {
	_Atomic uint64_t	addr;
	_Atomic uint64_t	value;	/* fingerprint << 32 | id */
};

struct codereg {
	struct codereg_slot	*slots;
	size_t			 mask;
	_Atomic uint32_t	 next_id;
	_Atomic uint64_t	 evicted;
	_Atomic uint32_t	 epoch;		/* bumped by every forget */
};

/* Use the caller's zeroed memory for nslots slots (a power of two). */
int		codereg_init(struct codereg *, void *mem, size_t nslots);
/* The id of the object at addr with fingerprint fp, or 0 if not known. */
uint32_t	codereg_lookup(struct codereg *, uintptr_t addr, uint32_t fp);
/* A fresh id (never 0). */
uint32_t	codereg_new_id(struct codereg *);
/* Remember addr → id; may evict an older entry. */
void		codereg_publish(struct codereg *, uintptr_t addr, uint32_t fp,
		    uint32_t id);
/* Forget addr: the object there was freed.  Bumps the epoch. */
void		codereg_forget(struct codereg *, uintptr_t addr);

#endif
