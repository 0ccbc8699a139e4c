/*
 * Lock-free multi-producer, single-consumer byte ring.  Producers (signal
 * handlers on any thread) reserve, fill and commit variable-size records;
 * the consumer (the writer thread) reads committed records in order.  A
 * producer that finds no room drops its record and the drop is counted.
 */

#ifndef PYSIG_RING_H
#define PYSIG_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Records are 8-byte aligned; the first word of each is its header. */
#define RING_ALIGN	8
#define RING_HDR	8

struct ring {
	uint8_t			*data;
	size_t			 size;		/* power of two */
	_Atomic uint64_t	 head;		/* next byte to reserve */
	_Atomic uint64_t	 tail;		/* next byte to consume */
	_Atomic uint64_t	 dropped;	/* records that did not fit */
};

/* A reservation, from ring_reserve() to ring_commit(). */
struct ring_slot {
	uint64_t	pos;
	uint32_t	len;
	uint32_t	type;
};

/* Use the caller's memory (size a power of two, zeroed, >= 4096). */
int	 ring_init(struct ring *, void *mem, size_t size);
/*
 * Reserve len bytes of payload for a record of the given type (1-255).
 * Return a pointer to the payload, or NULL (and count a drop) if full.
 * Signal safe.
 */
void	*ring_reserve(struct ring *, size_t len, unsigned int type,
	    struct ring_slot *);
/*
 * Publish a reserved record.  The consumer sees the payload length that was
 * reserved (rounded up to 8); a record whose content is shorter must say so
 * itself.  Signal safe.
 */
void	 ring_commit(struct ring *, const struct ring_slot *);
/*
 * Consumer: return the next committed record's payload, type and length,
 * or NULL if none is ready.  Call ring_release() when done with it.
 */
const void *ring_peek(struct ring *, unsigned int *type, size_t *len);
/* Consumer: free the record returned by ring_peek(). */
void	 ring_release(struct ring *);
/* Bytes reserved and not yet released. */
size_t	 ring_used(struct ring *);
/* Largest payload one record can hold. */
size_t	 ring_max_payload(const struct ring *);

#endif
