/*
 * SIGNAL CONTEXT: runs inside the SIGPROF handler. No malloc, stdio, locks,
 * dlsym or logging. New external calls need an entry in tests/sigsafe.allow.
 *
 * Lock-free MPSC byte ring.  Every record starts with a 64-bit header word
 * that is zero until the producer commits it; the consumer zeroes what it
 * releases, so any 8-aligned word past the tail reads zero until written.
 * A record never wraps: a producer that would cross the end first fills the
 * rest with a padding record.
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include "ring.h"

#define RING_PAD	0	/* padding record type, never returned */

/* Round up to the record alignment. */
static inline size_t
ring_align(size_t n)
{
	return (n + RING_ALIGN - 1) & ~(size_t)(RING_ALIGN - 1);
}

/* The header word at position pos. */
static inline _Atomic uint64_t *
ring_word(struct ring *r, uint64_t pos)
{
	return (_Atomic uint64_t *)(void *)(r->data + (pos & (r->size - 1)));
}

/* Pack a committed header. */
static inline uint64_t
ring_header(size_t len, unsigned int type)
{
	return ((uint64_t)len << 32) | ((uint64_t)(type & 0xff) << 8) | 1;
}

/* Use the caller's memory (size a power of two, zeroed, >= 4096). */
int
ring_init(struct ring *r, void *mem, size_t size)
{
	if (size < 4096 || (size & (size - 1)) != 0 ||
	    ((uintptr_t)mem & (RING_ALIGN - 1)) != 0)
		return -EINVAL;
	r->data = mem;
	r->size = size;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->dropped, 0);
	return 0;
}

/* Largest payload one record can hold. */
size_t
ring_max_payload(const struct ring *r)
{
	return r->size / 2 - RING_HDR;
}

/* Reserve room for a record; NULL (and a counted drop) if full. */
void *
ring_reserve(struct ring *r, size_t len, unsigned int type,
    struct ring_slot *slot)
{
	size_t		 plen = ring_align(len);
	size_t		 total = RING_HDR + plen;
	uint64_t	 h, t, pad, need;

	if (plen > ring_max_payload(r) || type == RING_PAD || type > 0xff) {
		atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
		return NULL;
	}
	h = atomic_load_explicit(&r->head, memory_order_relaxed);
	for (;;) {
		/* Acquire pairs with the consumer's release of the tail. */
		t = atomic_load_explicit(&r->tail, memory_order_acquire);
		pad = 0;
		if ((h & (r->size - 1)) + total > r->size)
			pad = r->size - (h & (r->size - 1));
		need = pad + total;
		if (h + need - t > r->size) {
			atomic_fetch_add_explicit(&r->dropped, 1,
			    memory_order_relaxed);
			return NULL;
		}
		if (atomic_compare_exchange_weak_explicit(&r->head, &h,
		    h + need, memory_order_relaxed, memory_order_relaxed))
			break;
	}
	if (pad != 0) {
		atomic_store_explicit(ring_word(r, h),
		    ring_header(pad - RING_HDR, RING_PAD), memory_order_release);
		h += pad;
	}
	slot->pos = h;
	slot->len = (uint32_t)plen;
	slot->type = type;
	return r->data + ((h + RING_HDR) & (r->size - 1));
}

/* Publish a reserved record: release pairs with the consumer's acquire. */
void
ring_commit(struct ring *r, const struct ring_slot *slot)
{
	atomic_store_explicit(ring_word(r, slot->pos),
	    ring_header(slot->len, slot->type), memory_order_release);
}

/* Consumer: the next committed record, or NULL if none is ready. */
const void *
ring_peek(struct ring *r, unsigned int *type, size_t *len)
{
	uint64_t	t, hdr;

	for (;;) {
		t = atomic_load_explicit(&r->tail, memory_order_relaxed);
		if (t == atomic_load_explicit(&r->head, memory_order_relaxed))
			return NULL;
		hdr = atomic_load_explicit(ring_word(r, t),
		    memory_order_acquire);
		if ((hdr & 1) == 0)
			return NULL;	/* reserved, not yet committed */
		if (((hdr >> 8) & 0xff) != RING_PAD)
			break;
		ring_release(r);
	}
	*type = (unsigned int)((hdr >> 8) & 0xff);
	*len = (size_t)(hdr >> 32);
	return r->data + ((t + RING_HDR) & (r->size - 1));
}

/* Consumer: zero and free the record at the tail. */
void
ring_release(struct ring *r)
{
	uint64_t	t, hdr;
	size_t		total;

	t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	hdr = atomic_load_explicit(ring_word(r, t), memory_order_relaxed);
	total = RING_HDR + (size_t)(hdr >> 32);
	memset(r->data + (t & (r->size - 1)), 0, total);
	atomic_store_explicit(&r->tail, t + total, memory_order_release);
}

/* Bytes reserved and not yet released. */
size_t
ring_used(struct ring *r)
{
	return (size_t)(atomic_load_explicit(&r->head, memory_order_relaxed) -
	    atomic_load_explicit(&r->tail, memory_order_relaxed));
}
