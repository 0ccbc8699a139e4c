/* Unit tests for the lock-free ring (src/ring.c). */

#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

#define SIZE	8192

static uint64_t	mem[SIZE / 8];
static struct ring r;

static void
setup(void)
{
	memset(mem, 0, sizeof mem);
	ck_assert_int_eq(ring_init(&r, mem, SIZE), 0);
}

/* Write a record of len bytes filled with a pattern from seed. */
static int
put(size_t len, unsigned int type, uint8_t seed)
{
	struct ring_slot	 slot;
	uint8_t			*p;
	size_t			 i;

	p = ring_reserve(&r, len, type, &slot);
	if (p == NULL)
		return -1;
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i);
	ring_commit(&r, &slot);
	return 0;
}

/* Read one record and check its pattern. */
static void
get(size_t len, unsigned int type, uint8_t seed)
{
	const uint8_t	*p;
	unsigned int	 t;
	size_t		 n, i;

	p = ring_peek(&r, &t, &n);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(t, type);
	ck_assert_uint_ge(n, len);
	ck_assert_uint_lt(n, len + 8);
	for (i = 0; i < len; i++)
		ck_assert_uint_eq(p[i], (uint8_t)(seed + i));
	ring_release(&r);
}

START_TEST(test_init_rejects)
{
	ck_assert_int_lt(ring_init(&r, mem, 1000), 0);
	ck_assert_int_lt(ring_init(&r, mem, 6000), 0);
	ck_assert_int_lt(ring_init(&r, (char *)mem + 4, 4096), 0);
}
END_TEST

START_TEST(test_round_trip_wraps)
{
	unsigned int	i;

	/* Odd sizes force padding records at the end of the buffer. */
	for (i = 0; i < 2000; i++) {
		size_t len = 1 + (i * 37) % 700;

		ck_assert_int_eq(put(len, 1 + i % 3, (uint8_t)i), 0);
		get(len, 1 + i % 3, (uint8_t)i);
	}
	ck_assert_ptr_null(ring_peek(&r, &(unsigned int){0}, &(size_t){0}));
	ck_assert_uint_eq(ring_used(&r), 0);
	ck_assert_uint_eq(atomic_load(&r.dropped), 0);
}
END_TEST

START_TEST(test_full_drops)
{
	unsigned int	i, ok = 0;

	for (i = 0; i < 100; i++) {
		if (put(100, 2, (uint8_t)i) == 0)
			ok++;
		else
			break;
	}
	/* 8192 bytes hold 75 records of 8 + 104 bytes. */
	ck_assert_uint_eq(ok, SIZE / 112);
	ck_assert_int_eq(put(100, 2, 0), -1);
	ck_assert_uint_eq(atomic_load(&r.dropped), 2);
	for (i = 0; i < ok; i++)
		get(100, 2, (uint8_t)i);
	/* Room again after release. */
	ck_assert_int_eq(put(100, 2, 7), 0);
	get(100, 2, 7);
}
END_TEST

START_TEST(test_too_big)
{
	ck_assert_int_eq(put(ring_max_payload(&r) + 1, 1, 0), -1);
	ck_assert_int_eq(put(ring_max_payload(&r), 1, 0), 0);
	get(ring_max_payload(&r), 1, 0);
	ck_assert_int_eq(put(10, 0, 0), -1);	/* type 0 is padding */
}
END_TEST

START_TEST(test_uncommitted_blocks)
{
	struct ring_slot	slot;
	unsigned int		t;
	size_t			n;
	uint8_t			*p;

	p = ring_reserve(&r, 16, 1, &slot);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(put(16, 2, 9), 0);
	/* The later record is committed but the first is not. */
	ck_assert_ptr_null(ring_peek(&r, &t, &n));
	memset(p, 0xab, 16);
	ring_commit(&r, &slot);
	ck_assert_ptr_nonnull(ring_peek(&r, &t, &n));
	ck_assert_uint_eq(t, 1);
	ring_release(&r);
	get(16, 2, 9);
}
END_TEST

#define PRODUCERS	4
#define PER_PRODUCER	200000

struct rec {
	uint32_t	producer;
	uint32_t	seq;
	uint32_t	len;
	uint32_t	check;
};

static _Atomic int	producers_done;

static void *
producer(void *arg)
{
	uint32_t		 id = (uint32_t)(uintptr_t)arg, seq;
	struct ring_slot	 slot;
	struct rec		*p;

	for (seq = 0; seq < PER_PRODUCER; seq++) {
		uint32_t len = sizeof *p + (seq * 8) % 200;

		p = ring_reserve(&r, len, 1, &slot);
		if (p == NULL)
			continue;
		p->producer = id;
		p->seq = seq;
		p->len = len;
		p->check = id * 2654435761u ^ seq;
		ring_commit(&r, &slot);
	}
	atomic_fetch_add(&producers_done, 1);
	return NULL;
}

START_TEST(test_concurrent_producers)
{
	pthread_t	 th[PRODUCERS];
	int64_t		 last[PRODUCERS];
	uint64_t	 got = 0;
	unsigned int	 i, t;
	size_t		 n;
	const struct rec *p;

	atomic_store(&producers_done, 0);
	for (i = 0; i < PRODUCERS; i++) {
		last[i] = -1;
		pthread_create(&th[i], NULL, producer, (void *)(uintptr_t)i);
	}
	for (;;) {
		int done = atomic_load(&producers_done) == PRODUCERS;

		while ((p = ring_peek(&r, &t, &n)) != NULL) {
			ck_assert_uint_lt(p->producer, PRODUCERS);
			ck_assert_uint_eq(p->check,
			    p->producer * 2654435761u ^ p->seq);
			ck_assert_uint_ge(n, p->len);
			/* Each producer's records arrive in order, once. */
			ck_assert_int_gt((int64_t)p->seq, last[p->producer]);
			last[p->producer] = p->seq;
			got++;
			ring_release(&r);
		}
		if (done && ring_used(&r) == 0)
			break;
	}
	for (i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	ck_assert_uint_eq(got + atomic_load(&r.dropped),
	    (uint64_t)PRODUCERS * PER_PRODUCER);
	ck_assert_uint_gt(got, 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("ring");
	TCase	*tc = tcase_create("ring");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_init_rejects);
	tcase_add_test(tc, test_round_trip_wraps);
	tcase_add_test(tc, test_full_drops);
	tcase_add_test(tc, test_too_big);
	tcase_add_test(tc, test_uncommitted_blocks);
	tcase_add_test(tc, test_concurrent_producers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
