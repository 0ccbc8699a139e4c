/* Unit tests for reading CPython strings from memory (src/pystr.c). */

#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "pylayout.h"
#include "pystr.h"

static const int minors[] = { 8, 9, 10, 11, 12, 13 };
#define NMINORS	(int)(sizeof minors / sizeof minors[0])

/* Decode UTF-8 into code points; return the count. */
static size_t
decode(const char *s, uint32_t *out)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = 0;

	while (*p) {
		uint32_t c;

		if (*p < 0x80)
			c = *p++;
		else if (*p < 0xe0) {
			c = (uint32_t)(*p & 0x1f) << 6 | (p[1] & 0x3f);
			p += 2;
		} else if (*p < 0xf0) {
			c = (uint32_t)(*p & 0x0f) << 12 |
			    (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
			p += 3;
		} else {
			c = (uint32_t)(*p & 0x07) << 18 |
			    (uint32_t)(p[1] & 0x3f) << 12 |
			    (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
			p += 4;
		}
		out[n++] = c;
	}
	return n;
}

/*
 * Build a str object the way CPython lays it out for layout l.  compact = 0
 * makes a legacy string whose data lives elsewhere.
 */
static uintptr_t
make_str(const struct pylayout *l, const uint32_t *cp, size_t n, int compact,
    long hash)
{
	unsigned int	 kind = 1, ascii = 1, state;
	size_t		 i, head;
	uint8_t		*obj, *data;

	for (i = 0; i < n; i++) {
		if (cp[i] > 0x7f)
			ascii = 0;
		if (cp[i] > 0xff && kind < 2)
			kind = 2;
		if (cp[i] > 0xffff)
			kind = 4;
	}
	if (!compact)
		ascii = 0;
	head = !compact ? (size_t)l->uni_data_any + 8 :
	    ascii ? (size_t)l->uni_ascii_size : (size_t)l->uni_compact_size;
	obj = aligned_alloc(16, (head + (n + 1) * kind + 15) & ~(size_t)15);
	memset(obj, 0, head);
	data = compact ? obj + head : aligned_alloc(16, (n + 1) * 4 + 16);
	if (!compact)
		memcpy(obj + l->uni_data_any, &data, sizeof data);
	for (i = 0; i < n; i++) {
		if (kind == 1)
			data[i] = (uint8_t)cp[i];
		else if (kind == 2)
			((uint16_t *)(void *)data)[i] = (uint16_t)cp[i];
		else
			((uint32_t *)(void *)data)[i] = cp[i];
	}
	memcpy(obj + l->uni_length, &(long){ (long)n }, sizeof(long));
	memcpy(obj + l->uni_hash, &hash, sizeof hash);
	state = kind << l->uni_kind_shift | (unsigned)compact <<
	    l->uni_compact_shift | ascii << l->uni_ascii_shift;
	memcpy(obj + l->uni_state, &state, sizeof state);
	return (uintptr_t)obj;
}

/* Convert through pystr_utf8 and compare. */
static void
check_round_trip(const struct pylayout *l, const char *s, int compact)
{
	uint32_t	cp[256];
	size_t		n = decode(s, cp);
	char		buf[1024];
	int		cut;
	long		len;

	len = pystr_utf8(l, make_str(l, cp, n, compact, -1), buf, sizeof buf,
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
	size_t		n = decode("ab関数", cp);
	char		buf[16];
	int		cut;
	long		len;

	/* "ab" + 3 bytes of 関 fit in 6, 数 does not; never half of it. */
	len = pystr_utf8(l, make_str(l, cp, n, 1, -1), buf, 7, &cut);
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

	ck_assert_int_eq(pystr_utf8(l, make_str(l, cp, 3, 1, -1), buf,
	    sizeof buf, &cut), 5);
	ck_assert_mem_eq(buf, "a\xef\xbf\xbd" "b", 5);
}
END_TEST

START_TEST(test_rejects)
{
	const struct pylayout *l = pylayout_find(3, minors[_i]);
	uint32_t	 cp[] = { 'x' };
	uint8_t		*obj = (uint8_t *)make_str(l, cp, 1, 1, -1);
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
	obj = (uint8_t *)make_str(l, cp, 1, 1, -1);
	memcpy(obj + l->uni_length, &(long){ -3 }, sizeof(long));
	ck_assert_int_eq(pystr_utf8(l, (uintptr_t)obj, buf, sizeof buf, &cut),
	    -1);
}
END_TEST

START_TEST(test_fingerprint)
{
	const struct pylayout *l = pylayout_find(3, minors[_i]);
	uint32_t	a[64], b[64];
	size_t		na = decode("generated_function_00001", a);
	size_t		nb = decode("generated_function_00002", b);

	/* Unhashed strings differing only in the middle or the end. */
	ck_assert_uint_ne(pystr_fingerprint(l, make_str(l, a, na, 1, -1)),
	    pystr_fingerprint(l, make_str(l, b, nb, 1, -1)));
	ck_assert_uint_eq(pystr_fingerprint(l, make_str(l, a, na, 1, -1)),
	    pystr_fingerprint(l, make_str(l, a, na, 1, -1)));
	/* With a hash, the hash decides. */
	ck_assert_uint_ne(pystr_fingerprint(l, make_str(l, a, na, 1, 1234)),
	    pystr_fingerprint(l, make_str(l, a, na, 1, 1235)));
	/* Short strings too. */
	na = decode("f1", a);
	nb = decode("f2", b);
	ck_assert_uint_ne(pystr_fingerprint(l, make_str(l, a, na, 1, -1)),
	    pystr_fingerprint(l, make_str(l, b, nb, 1, -1)));
}
END_TEST

START_TEST(test_bytes)
{
	const struct pylayout *l = pylayout_find(3, minors[_i]);
	uint8_t		*obj = aligned_alloc(16, 64);
	const uint8_t	*data;

	memset(obj, 0, 64);
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

	tcase_add_loop_test(tc, test_kinds, 0, NMINORS);
	tcase_add_loop_test(tc, test_cut_whole_chars, 0, NMINORS);
	tcase_add_loop_test(tc, test_surrogate_replaced, 0, NMINORS);
	tcase_add_loop_test(tc, test_rejects, 0, NMINORS);
	tcase_add_loop_test(tc, test_fingerprint, 0, NMINORS);
	tcase_add_loop_test(tc, test_bytes, 0, NMINORS);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
