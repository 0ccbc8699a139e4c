/* Unit tests for the code registry (src/codereg.c). */

#include "config.h"

#include <check.h>
#include <pthread.h>
#include <string.h>

#include "codereg.h"

#define SLOTS	64

static struct codereg_slot	slots[SLOTS];
static struct codereg		reg;

static void
setup(void)
{
	memset(slots, 0, sizeof slots);
	ck_assert_int_eq(codereg_init(&reg, slots, SLOTS), 0);
}

START_TEST(test_init_rejects)
{
	ck_assert_int_lt(codereg_init(&reg, slots, 48), 0);
	ck_assert_int_lt(codereg_init(&reg, slots, 4), 0);
}
END_TEST

START_TEST(test_lookup_publish)
{
	uint32_t	id = codereg_new_id(&reg);

	ck_assert_uint_ne(id, 0);
	ck_assert_uint_eq(codereg_lookup(&reg, 0x1000, 77), 0);
	codereg_publish(&reg, 0x1000, 77, id);
	ck_assert_uint_eq(codereg_lookup(&reg, 0x1000, 77), id);
	/* Same address, other fingerprint: a new object, unknown. */
	ck_assert_uint_eq(codereg_lookup(&reg, 0x1000, 78), 0);
	/* Re-publishing the address replaces the old identity. */
	codereg_publish(&reg, 0x1000, 78, id + 1);
	ck_assert_uint_eq(codereg_lookup(&reg, 0x1000, 78), id + 1);
	ck_assert_uint_eq(codereg_lookup(&reg, 0x1000, 77), 0);
}
END_TEST

START_TEST(test_forget)
{
	uint32_t	e = atomic_load(&reg.epoch);

	codereg_publish(&reg, 0x2000, 5, 9);
	codereg_publish(&reg, 0x3000, 6, 10);
	codereg_forget(&reg, 0x2000);
	ck_assert_uint_eq(codereg_lookup(&reg, 0x2000, 5), 0);
	ck_assert_uint_eq(codereg_lookup(&reg, 0x3000, 6), 10);
	ck_assert_uint_eq(atomic_load(&reg.epoch), e + 1);
	/* Forgetting an unknown address is harmless but still counts. */
	codereg_forget(&reg, 0x4000);
	ck_assert_uint_eq(atomic_load(&reg.epoch), e + 2);
	/* A new object at the freed address is published again. */
	codereg_publish(&reg, 0x2000, 5, 11);
	ck_assert_uint_eq(codereg_lookup(&reg, 0x2000, 5), 11);
}
END_TEST

START_TEST(test_ids_unique)
{
	uint32_t	a = codereg_new_id(&reg), b = codereg_new_id(&reg);

	ck_assert_uint_ne(a, b);
	atomic_store(&reg.next_id, UINT32_MAX);
	ck_assert_uint_eq(codereg_new_id(&reg), UINT32_MAX);
	ck_assert_uint_ne(codereg_new_id(&reg), 0);	/* 0 is skipped */
}
END_TEST

START_TEST(test_many_and_eviction)
{
	uintptr_t	a;
	unsigned int	found = 0;

	/* Four times more objects than slots: the newest are findable. */
	for (a = 1; a <= 4 * SLOTS; a++)
		codereg_publish(&reg, a * 4096, (uint32_t)a, (uint32_t)a);
	for (a = 1; a <= 4 * SLOTS; a++) {
		uint32_t id = codereg_lookup(&reg, a * 4096, (uint32_t)a);

		/* Never a wrong id. */
		ck_assert(id == 0 || id == a);
		found += id != 0;
	}
	ck_assert_uint_gt(found, SLOTS / 2);
	ck_assert_uint_le(found, SLOTS);
	ck_assert_uint_gt(atomic_load(&reg.evicted), 0);
}
END_TEST

static void *
publisher(void *arg)
{
	uintptr_t	base = (uintptr_t)arg, i;

	for (i = 0; i < 100000; i++) {
		uintptr_t addr = (base + i % 97) * 64;
		uint32_t fp = (uint32_t)(addr * 31 + 1);
		uint32_t id = codereg_lookup(&reg, addr, fp);

		/* A hit must carry the id published for that address. */
		ck_assert(id == 0 || id == (uint32_t)addr);
		if (id == 0)
			codereg_publish(&reg, addr, fp, (uint32_t)addr);
	}
	return NULL;
}

START_TEST(test_concurrent)
{
	pthread_t	th[4];
	uintptr_t	i;

	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, publisher, (void *)(i * 50 + 1));
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("codereg");
	TCase	*tc = tcase_create("codereg");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_init_rejects);
	tcase_add_test(tc, test_lookup_publish);
	tcase_add_test(tc, test_forget);
	tcase_add_test(tc, test_ids_unique);
	tcase_add_test(tc, test_many_and_eviction);
	tcase_add_test(tc, test_concurrent);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
