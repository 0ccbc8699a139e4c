/* Unit tests for reading CPython strings from memory (src/pystr.c). */

#include "config.h"

#include <check.h>
#include <string.h>

#include "pylayout.h"
#include "pystr.h"
#include "fakepy.h"

static const int minors[] = { 8, 9, 10, 11, 12, 13 };
#define NMINORS	(int)(sizeof minors / sizeof minors[0])

/* Convert through pystr_utf8 and compare. */
static void
check_round_trip(const struct pylayout *l, const char *s, int compact)
{
	uint32_t	cp[256];
	size_t		n = fakepy_decode(s, cp, 256);
	char		buf[1024];
	int		cut;
	long		len;

	len = pystr_utf8(l, fakepy_str_cp(l, NULL, cp, n, compact, -1), buf, sizeof buf,
	    &cut);
	ck_assert_int_eq(len, (long)strlen(s));
	ck_assert_int_eq(cut, 0);
	ck_assert_mem_eq(buf, s, strlen(s));
}

START_TEST(test_kinds)
{
	const struct pylayout *l = pylayout_find(3, minors[_i]);

	ck_assert_ptr_nonnull(l);
	check_round_trip(l, "plain_ascii_name", 1);
	check_round_trip(l, "", 1);
	check_round_trip(l, "función_ñ", 1);		/* 1 byte, latin-1 */
	check_round_trip(l, "関数", 1);			/* 2 bytes */
	check_round_trip(l, "😀.py", 1);		/* 4 bytes */
	check_round_trip(l, "mixé関😀", 1);
	check_round_trip(l, "legacy_関数", 0);		/* non-compact */
}
END_TEST

START_TEST(test_cut_whole_chars)
{
	const struct pylayout *l = pylayout_find(3, minors[_i]);
	uint32_t	cp[16];
	size_t		n = fakepy_decode("ab関数", cp, 16);
	char		buf[16];
	int		cut;
	long		len;

	/* "ab" + 3 bytes of 関 fit in 6, 数 does not; never half of it. */
	len = pystr_utf8(l, fakepy_str_cp(l, NULL, cp, n, 1, -1), buf, 7, &cut);
	ck_assert_int_eq(len, 5);
	ck_assert_int_eq(cut, 1);
	ck_assert_mem_eq(buf, "ab\xe9\x96\xa2", 5);
}
END_TEST

START_TEST(test_surrogate_replaced)
{
	const struct pylayout *l = pylayout_find(3, minors[_i]);
	uint32_t	cp[] = { 'a', 0xdc80, 'b' };
	char		buf[16];
	int		cut;

	ck_assert_int_eq(pystr_utf8(l, fakepy_str_cp(l, NULL, cp, 3, 1, -1), buf,
	    sizeof buf, &cut), 5);
	ck_assert_mem_eq(buf, "a\xef\xbf\xbd" "b", 5);
}
END_TEST

START_TEST(test_rejects)
{
	const struct pylayout *l = pylayout_find(3, minors[_i]);
	uint32_t	 cp[] = { 'x' };
	uint8_t		*obj = (uint8_t *)fakepy_str_cp(l, NULL, cp, 1, 1, -1);
	unsigned int	 state = 0;
	char		 buf[8];
	int		 cut;

	ck_assert_int_eq(pystr_utf8(l, 0, buf, sizeof buf, &cut), -1);
	ck_assert_int_eq(pystr_utf8(l, 12, buf, sizeof buf, &cut), -1);
	/* Kind 0: a legacy string that is not ready. */
	memcpy(obj + l->uni_state, &state, sizeof state);
	ck_assert_int_eq(pystr_utf8(l, (uintptr_t)obj, buf, sizeof buf, &cut),
	    -1);
	/* A negative length. */
	obj = (uint8_t *)fakepy_str_cp(l, NULL, cp, 1, 1, -1);
	memcpy(obj + l->uni_length, &(long){ -3 }, sizeof(long));
	ck_assert_int_eq(pystr_utf8(l, (uintptr_t)obj, buf, sizeof buf, &cut),
	    -1);
}
END_TEST

START_TEST(test_bytes)
{
	const struct pylayout *l = pylayout_find(3, minors[_i]);
	uint8_t		*obj = fakepy_alloc(64);
	const uint8_t	*data;

	memcpy(obj + l->var_size, &(long){ 5 }, sizeof(long));
	memcpy(obj + l->bytes_data, "\x01\x02\x03\x04\x05", 5);
	ck_assert_int_eq(pystr_bytes(l, (uintptr_t)obj, &data), 5);
	ck_assert_mem_eq(data, "\x01\x02\x03\x04\x05", 5);
	memcpy(obj + l->var_size, &(long){ -1 }, sizeof(long));
	ck_assert_int_eq(pystr_bytes(l, (uintptr_t)obj, &data), -1);
	ck_assert_int_eq(pystr_bytes(l, 0, &data), -1);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("pystr");
	TCase	*tc = tcase_create("pystr");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, NULL, fakepy_free_all);
	tcase_add_loop_test(tc, test_kinds, 0, NMINORS);
	tcase_add_loop_test(tc, test_cut_whole_chars, 0, NMINORS);
	tcase_add_loop_test(tc, test_surrogate_replaced, 0, NMINORS);
	tcase_add_loop_test(tc, test_rejects, 0, NMINORS);
	tcase_add_loop_test(tc, test_bytes, 0, NMINORS);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
