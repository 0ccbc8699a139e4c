/*
 * SIGNAL CONTEXT: runs inside the SIGPROF handler. No malloc, stdio, locks,
 * dlsym or logging. New external calls need an entry in tests/sigsafe.allow.
 *
 * Open addressing with a short probe.  A slot's address and value are two
 * separate atomic words, so a reader may see the address of one entry with
 * the value of another while a slot is being replaced.  The fingerprint
 * stored in the value covers the address (the caller mixes it in), so such
 * a torn pair fails the fingerprint check and reads as "unknown": the worst
 * case is one function defined twice, never a wrong name.
 */

#include "config.h"

#include <errno.h>

#include "codereg.h"

#define CODEREG_PROBE	8

/* Hash an address to a home slot. */
static inline size_t
codereg_home(const struct codereg *r, uintptr_t addr)
{
	uint64_t	h = (uint64_t)addr * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 32) & r->mask;
}

/* Use the caller's zeroed memory for nslots slots (a power of two). */
int
codereg_init(struct codereg *r, void *mem, size_t nslots)
{
	if (nslots < CODEREG_PROBE || (nslots & (nslots - 1)) != 0)
		return -EINVAL;
	r->slots = mem;
	r->mask = nslots - 1;
	atomic_init(&r->next_id, 1);
	atomic_init(&r->evicted, 0);
	atomic_init(&r->epoch, 0);
	return 0;
}

/* The id of addr with fingerprint fp, or 0 if not known. */
uint32_t
codereg_lookup(struct codereg *r, uintptr_t addr, uint32_t fp)
{
	size_t		i, h = codereg_home(r, addr);
	uint64_t	a, v;

	for (i = 0; i < CODEREG_PROBE; i++) {
		struct codereg_slot *s = &r->slots[(h + i) & r->mask];

		a = atomic_load_explicit(&s->addr, memory_order_acquire);
		if (a == 0)
			return 0;
		if (a != addr)
			continue;
		v = atomic_load_explicit(&s->value, memory_order_acquire);
		if ((uint32_t)(v >> 32) == fp)
			return (uint32_t)v;
		return 0;
	}
	return 0;
}

/* A fresh id (never 0). */
uint32_t
codereg_new_id(struct codereg *r)
{
	uint32_t id;

	do {
		id = atomic_fetch_add_explicit(&r->next_id, 1,
		    memory_order_relaxed);
	} while (id == 0);
	return id;
}

/* Remember addr → id, replacing a stale entry for addr or evicting one. */
void
codereg_publish(struct codereg *r, uintptr_t addr, uint32_t fp, uint32_t id)
{
	size_t		 i, h = codereg_home(r, addr);
	uint64_t	 a, value = ((uint64_t)fp << 32) | id;
	struct codereg_slot *s;

	for (i = 0; i < CODEREG_PROBE; i++) {
		s = &r->slots[(h + i) & r->mask];
		a = atomic_load_explicit(&s->addr, memory_order_acquire);
		if (a == addr)
			goto store;
		if (a == 0) {
			uint64_t expected = 0;

			if (atomic_compare_exchange_strong_explicit(&s->addr,
			    &expected, addr, memory_order_acq_rel,
			    memory_order_acquire) || expected == addr)
				goto store;
		}
	}
	/* Every slot of the probe is taken: replace one, chosen by id. */
	s = &r->slots[(h + (id % CODEREG_PROBE)) & r->mask];
	atomic_fetch_add_explicit(&r->evicted, 1, memory_order_relaxed);
	atomic_store_explicit(&s->value, 0, memory_order_release);
	atomic_store_explicit(&s->addr, addr, memory_order_release);
store:
	atomic_store_explicit(&s->value, value, memory_order_release);
}

/*
 * Forget addr: the object there was freed.  The epoch tells the sampler's
 * per-thread memos that some code object died, so they check again.
 */
void
codereg_forget(struct codereg *r, uintptr_t addr)
{
	size_t		i, h = codereg_home(r, addr);

	atomic_fetch_add_explicit(&r->epoch, 1, memory_order_release);

	for (i = 0; i < CODEREG_PROBE; i++) {
		struct codereg_slot *s = &r->slots[(h + i) & r->mask];
		uint64_t a;

		a = atomic_load_explicit(&s->addr, memory_order_acquire);
		if (a == 0)
			return;
		if (a == addr) {
			/* Keep the address so probes for others go on. */
			atomic_store_explicit(&s->value, 0,
			    memory_order_release);
		}
	}
}
