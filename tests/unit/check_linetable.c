/*
 * Unit tests for line tables (src/linetable.c): the line tables of real
 * code objects compiled by CPython 3.8 to 3.13, with the lines each
 * interpreter's own PyCode_Addr2Line() gave (tests/data/linetables.h, made
 * by tests/data/gen_linetables.py), then malformed tables.
 */

#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format.h"
#include "linetable.h"

#include "../data/linetables.h"

#define NCASES	(sizeof linetable_cases / sizeof linetable_cases[0])

static uint8_t	*guard_page;	/* the page before an inaccessible one */
static size_t	 page_size;

/* Map two pages, the second one inaccessible. */
static void
guard_setup(void)
{
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	guard_page = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(guard_page, MAP_FAILED);
	ck_assert_int_eq(mprotect(guard_page + page_size, page_size,
	    PROT_NONE), 0);
}

static void
guard_teardown(void)
{
	munmap(guard_page, 2 * page_size);
}

/* Copy len bytes so they end right before the inaccessible page. */
static const uint8_t *
at_page_end(const uint8_t *p, size_t len)
{
	uint8_t	*dst = guard_page + page_size - len;

	ck_assert_uint_le(len, page_size);
	memcpy(dst, p, len);
	return dst;
}

START_TEST(test_real_tables)
{
	const struct linetable_case	*c = &linetable_cases[_i];
	const uint8_t			*table;
	size_t				 j;
	int				 line;

	/* At the end of a page: a read past the table faults. */
	table = at_page_end(c->table, c->table_len);
	for (j = 0; j < c->nexpect; j++) {
		line = linetable_line(c->kind, table, c->table_len,
		    c->firstlineno, c->expect[j].offset);
		if (line != c->expect[j].line)
			ck_abort_msg("Python %s, %s (line %d): offset %d is "
			    "line %d, not %d", c->python, c->name,
			    c->firstlineno, c->expect[j].offset,
			    c->expect[j].line, line);
	}
}
END_TEST

START_TEST(test_coverage_of_data)
{
	size_t	i, j, kinds[4] = { 0 }, noline = 0, negative = 0;
	int	prev;

	/* The data holds what the tests need to mean something. */
	for (i = 0; i < NCASES; i++) {
		const struct linetable_case *c = &linetable_cases[i];

		ck_assert_int_ge(c->kind, 1);
		ck_assert_int_le(c->kind, 3);
		kinds[c->kind]++;
		prev = c->firstlineno;
		for (j = 1; j + 2 < c->nexpect; j++) {
			if (c->expect[j].line == -1)
				noline++;
			else if (c->expect[j].line < prev)
				negative++;
			if (c->expect[j].line != -1)
				prev = c->expect[j].line;
		}
	}
	ck_assert_uint_ge(kinds[1], 20);	/* 3.8, 3.9 */
	ck_assert_uint_ge(kinds[2], 10);	/* 3.10 */
	ck_assert_uint_ge(kinds[3], 30);	/* 3.11, 3.12, 3.13 */
	ck_assert_uint_gt(noline, 0);		/* instructions without line */
	ck_assert_uint_gt(negative, 0);		/* lines going backwards */
}
END_TEST

START_TEST(test_negative_offset)
{
	static const uint8_t	t[] = { 0x80, 0x81, 0x82 };
	int			kind;

	for (kind = 0; kind <= 4; kind++) {
		ck_assert_int_eq(linetable_line(kind, t, sizeof t, 42, -1), 42);
		ck_assert_int_eq(linetable_line(kind, t, sizeof t, 42, -1000),
		    42);
	}
}
END_TEST

START_TEST(test_no_table)
{
	/* co_lnotab empty: every offset is on the first line. */
	ck_assert_int_eq(linetable_line(LINETABLE_LNOTAB, NULL, 0, 7, 0), 7);
	ck_assert_int_eq(linetable_line(LINETABLE_LNOTAB, NULL, 0, 7, 100), 7);
	/* 3.10+: no range covers the offset. */
	ck_assert_int_eq(linetable_line(LINETABLE_310, NULL, 0, 7, 0), -1);
	ck_assert_int_eq(linetable_line(LINETABLE_LOCATIONS, NULL, 0, 7, 0), -1);
	ck_assert_int_eq(linetable_line(LINETABLE_NONE, NULL, 0, 7, 0), -1);
	ck_assert_int_eq(linetable_line(99, NULL, 0, 7, 0), -1);
}
END_TEST

START_TEST(test_hand_made)
{
	/* lnotab: +0 bytes +1 line, +6 bytes +2 lines, +4 bytes -3 lines. */
	static const uint8_t	lnotab[] = { 0, 1, 6, 2, 4, 0xfd };
	/* 3.10: 4 bytes +1, 2 bytes no line, 0 bytes +5, 4 bytes +1. */
	static const uint8_t	t310[] = { 4, 1, 2, 0x80, 0, 5, 4, 1 };
	/*
	 * Location table: short form (code 0) 1 unit, same line; ONE_LINE2
	 * 2 units; NONE 1 unit; NO_COLUMNS 1 unit with line delta -4 (signed
	 * varint 9); LONG 2 units with delta +200 (varint 400: 0x50 0x06)
	 * and columns.
	 */
	static const uint8_t	loc[] = {
		0x80, 0x00,
		0xe1, 0x05, 0x06,
		0xf8,
		0xe8, 0x09,
		0xf1, 0x50, 0x06, 0x00, 0x01, 0x02,
	};

	ck_assert_int_eq(linetable_line(1, lnotab, 6, 10, 0), 11);
	ck_assert_int_eq(linetable_line(1, lnotab, 6, 10, 5), 11);
	ck_assert_int_eq(linetable_line(1, lnotab, 6, 10, 6), 13);
	ck_assert_int_eq(linetable_line(1, lnotab, 6, 10, 10), 10);
	ck_assert_int_eq(linetable_line(1, lnotab, 6, 10, 500), 10);

	ck_assert_int_eq(linetable_line(2, t310, 8, 10, 0), 11);
	ck_assert_int_eq(linetable_line(2, t310, 8, 10, 3), 11);
	ck_assert_int_eq(linetable_line(2, t310, 8, 10, 4), -1);
	ck_assert_int_eq(linetable_line(2, t310, 8, 10, 5), -1);
	ck_assert_int_eq(linetable_line(2, t310, 8, 10, 6), 17);
	ck_assert_int_eq(linetable_line(2, t310, 8, 10, 9), 17);
	ck_assert_int_eq(linetable_line(2, t310, 8, 10, 10), -1);

	ck_assert_int_eq(linetable_line(3, loc, sizeof loc, 10, 0), 10);
	ck_assert_int_eq(linetable_line(3, loc, sizeof loc, 10, 2), 12);
	ck_assert_int_eq(linetable_line(3, loc, sizeof loc, 10, 4), 12);
	ck_assert_int_eq(linetable_line(3, loc, sizeof loc, 10, 6), -1);
	ck_assert_int_eq(linetable_line(3, loc, sizeof loc, 10, 8), 8);
	ck_assert_int_eq(linetable_line(3, loc, sizeof loc, 10, 10), 208);
	ck_assert_int_eq(linetable_line(3, loc, sizeof loc, 10, 12), 208);
	ck_assert_int_eq(linetable_line(3, loc, sizeof loc, 10, 14), -1);
}
END_TEST

START_TEST(test_every_prefix)
{
	const struct linetable_case	*c;
	const uint8_t			*t;
	size_t				 i, len, j, step;
	int				 line;

	/* Tables cut anywhere: answers, never a read past the end. */
	for (i = 0; i < NCASES; i++) {
		c = &linetable_cases[i];
		step = c->nexpect / 24 + 1;
		for (len = 0; len <= c->table_len; len++) {
			t = at_page_end(c->table, len);
			for (j = 0; j < c->nexpect; j += step) {
				line = linetable_line(c->kind, t, len,
				    c->firstlineno, c->expect[j].offset);
				ck_assert_int_ge(line, -1);
			}
			/* The last byte of a 3.11+ entry's varint, cut. */
			line = linetable_line(c->kind, t, len, c->firstlineno,
			    1 << 20);
			ck_assert_int_ge(line, -1);
		}
	}
}
END_TEST

START_TEST(test_malformed)
{
	uint8_t		 buf[1024];
	const uint8_t	*t;
	unsigned int	 seed = 777;
	size_t		 i, len, j;
	int		 kind, line;

	/* A varint that never ends, at the end of the table. */
	memset(buf, 0x7f, 512);
	buf[0] = 0xf0;	/* LONG, line delta varint follows */
	t = at_page_end(buf, 512);
	ck_assert_int_ge(linetable_line(3, t, 512, 1, 0), -1);
	/* Zero-length 3.10 ranges up to the end. */
	memset(buf, 0, 512);
	for (i = 1; i < 512; i += 2)
		buf[i] = 1;
	t = at_page_end(buf, 512);
	ck_assert_int_eq(linetable_line(2, t, 512, 1, 0), -1);
	/* An odd length: the trailing byte is not half a pair. */
	buf[0] = 2;
	buf[1] = 3;
	buf[2] = 0;
	t = at_page_end(buf, 3);
	ck_assert_int_eq(linetable_line(1, t, 3, 1, 2), 4);
	ck_assert_int_eq(linetable_line(2, t, 3, 1, 2), -1);
	/* Huge line deltas do not overflow. */
	memset(buf, 0, sizeof buf);
	for (i = 0; i < 100; i++) {
		buf[i * 6] = 0xf0;		/* LONG, 1 unit */
		buf[i * 6 + 1] = 0x7e;		/* varint: 62 | more */
		buf[i * 6 + 2] = 0x7f;
		buf[i * 6 + 3] = 0x7f;
		buf[i * 6 + 4] = 0x7f;
		buf[i * 6 + 5] = 0x3f;
	}
	t = at_page_end(buf, 600);
	line = linetable_line(3, t, 600, 1, 198);
	ck_assert_int_ge(line, -1);

	/* Random tables, random offsets. */
	for (i = 0; i < 20000; i++) {
		len = (size_t)rand_r(&seed) % 512;
		for (j = 0; j < len; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		t = at_page_end(buf, len);
		kind = 1 + (int)(i % 3);
		line = linetable_line(kind, t, len, rand_r(&seed) % 1000,
		    rand_r(&seed) % 4096);
		ck_assert_int_ge(line, -1);
	}
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("linetable");
	TCase	*tc = tcase_create("linetable");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, guard_setup, guard_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_real_tables, 0, (int)NCASES);
	tcase_add_test(tc, test_coverage_of_data);
	tcase_add_test(tc, test_negative_offset);
	tcase_add_test(tc, test_no_table);
	tcase_add_test(tc, test_hand_made);
	tcase_add_test(tc, test_every_prefix);
	tcase_add_test(tc, test_malformed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
