/*
 * Unit tests for the exporters to other viewers (tools/viewer.c,
 * tools/report_{flamegraph,speedscope,chrome}.c): profiles written with the
 * writer, read back, aggregated and exported to memory.  The JSON outputs
 * go through a strict JSON checker (RFC 8259, valid UTF-8).
 */

#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aggregate.h"
#include "viewer.h"
#include "format.h"
#include "reader.h"
#include "report.h"
#include "writer.h"

#define START_NS	1000000000ULL

/* A name with every character that needs escaping somewhere. */
#define ODD_NAME	"q\"b\\s<&>'\x01\t\x7f \xc3\xa9\xf0\x9f\x98\x80 \xff!"

/* A profile being written to an unlinked temporary file. */
struct tprof {
	int		 fd;
	struct writer	*w;
};

/* co_lnotab of 3.8: offsets 0-5 line first+1, 6-9 first+3, 10+ first+4. */
static const uint8_t lnotab[] = { 0, 1, 6, 2, 4, 1 };

static void
tprof_open(struct tprof *t, const char *rate)
{
	char	path[] = "/tmp/check_viewer.XXXXXX";

	t->fd = mkstemp(path);
	ck_assert_int_ge(t->fd, 0);
	unlink(path);
	t->w = writer_create(t->fd, START_NS);
	ck_assert_ptr_nonnull(t->w);
	writer_file_header(t->w);
	writer_kv_begin(t->w, REC_HEADER);
	writer_kv(t->w, "pysig", "test");
	writer_kv(t->w, "pid", "100");
	writer_kv(t->w, "executable", "/usr/bin/python3");
	writer_kv(t->w, "arg", "python3");
	writer_kv(t->w, "arg", "app \"<x>\".py");
	if (rate != NULL)
		writer_kv(t->w, "rate", rate);
	writer_kv_end(t->w);
}

static void
tprof_code(struct tprof *t, uint32_t id, const char *name, int first)
{
	writer_code(t->w, id, first, LINETABLE_LNOTAB, 0, name, strlen(name),
	    "app.py", strlen("app.py"), lnotab, sizeof lnotab);
}

/* A sample at ms milliseconds of thread tid: code ids, root first. */
static void
tprof_sample(struct tprof *t, unsigned int ms, uint32_t tid,
    const char *stack)
{
	struct writer_frame	 f[64], r[64];
	unsigned int		 n = 0, i;
	const char		*p = stack;
	char			*end;

	while (*p != '\0') {
		f[n].ref = (uint32_t)strtoul(p, &end, 10) << 1;
		f[n].addr = 0;
		n++;
		p = end;
		while (*p == ' ')
			p++;
	}
	for (i = 0; i < n; i++)
		r[i] = f[n - 1 - i];
	writer_sample(t->w, START_NS + ms * 1000000ULL, tid, 0, r, n);
}

/* tprof_export() options: --icicle, --frame-args. */
#define TPROF_ICICLE		0x1
#define TPROF_FRAME_ARGS	0x2

/* Finish the file, read it back, aggregate it and export it. */
static char *
tprof_export(struct tprof *t, const char *rate, int (*fn)(struct report *),
    int options)
{
	struct reader_profile	*p;
	struct report		 r;
	struct stat		 sb;
	uint8_t			*data;
	char			*cause, *out;
	size_t			 len;

	writer_kv_begin(t->w, REC_TRAILER);
	if (rate != NULL)
		writer_kv(t->w, "effective_rate", rate);
	writer_kv_end(t->w);
	ck_assert_int_eq(writer_flush(t->w), 0);
	writer_free(t->w);
	ck_assert_int_eq(fstat(t->fd, &sb), 0);
	data = malloc((size_t)sb.st_size);
	ck_assert_int_eq(pread(t->fd, data, (size_t)sb.st_size, 0),
	    sb.st_size);
	close(t->fd);
	p = reader_parse("t.prof", data, (size_t)sb.st_size, &cause);
	if (p == NULL)
		ck_abort_msg("%s", cause);
	free(data);

	memset(&r, 0, sizeof r);
	r.profiles = &p;
	r.nprofiles = 1;
	r.icicle = (options & TPROF_ICICLE) != 0;
	r.frame_args = (options & TPROF_FRAME_ARGS) != 0;
	r.agg = aggregate_create();
	ck_assert_ptr_nonnull(r.agg);
	r.agg->view = AGGREGATE_VIEW_PYTHON;
	r.agg->keep_samples = 1;
	ck_assert_int_eq(aggregate_add(r.agg, p), 0);
	ck_assert_int_eq(aggregate_finish(r.agg), 0);
	r.out = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(r.out);
	ck_assert_int_eq(fn(&r), 0);
	ck_assert_int_eq(fclose(r.out), 0);
	aggregate_free(r.agg);
	reader_free(p);
	return out;
}

/* A strict JSON checker: advance *s over one value, 0 if it is bad. */
static int json_value(const char **);

static void
json_space(const char **s)
{
	while (**s == ' ' || **s == '\n' || **s == '\r' || **s == '\t')
		(*s)++;
}

static int
json_string(const char **s)
{
	const unsigned char	*p = (const unsigned char *)*s;
	int			 i, n;

	if (*p++ != '"')
		return 0;
	while (*p != '"') {
		if (*p < 0x20)
			return 0;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (i = 1; i <= 4; i++) {
					if (strchr("0123456789abcdefABCDEF",
					    p[i]) == NULL || p[i] == '\0')
						return 0;
				}
				p += 5;
			} else if (*p != '\0' && strchr("\"\\/bfnrt", *p) != NULL)
				p++;
			else
				return 0;
			continue;
		}
		/* UTF-8: a lead byte and its continuation bytes. */
		n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 :
		    (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0 || (*p & 0xfe) == 0xc0)
			return 0;
		for (p++; n > 0; n--, p++) {
			if ((*p & 0xc0) != 0x80)
				return 0;
		}
	}
	*s = (const char *)p + 1;
	return 1;
}

static int
json_value(const char **s)
{
	char	*end;

	json_space(s);
	switch (**s) {
	case '{':
		(*s)++;
		json_space(s);
		if (**s == '}') {
			(*s)++;
			return 1;
		}
		for (;;) {
			json_space(s);
			if (!json_string(s))
				return 0;
			json_space(s);
			if (*(*s)++ != ':' || !json_value(s))
				return 0;
			json_space(s);
			if (**s == '}') {
				(*s)++;
				return 1;
			}
			if (*(*s)++ != ',')
				return 0;
		}
	case '[':
		(*s)++;
		json_space(s);
		if (**s == ']') {
			(*s)++;
			return 1;
		}
		for (;;) {
			if (!json_value(s))
				return 0;
			json_space(s);
			if (**s == ']') {
				(*s)++;
				return 1;
			}
			if (*(*s)++ != ',')
				return 0;
		}
	case '"':
		return json_string(s);
	default:
		if (strncmp(*s, "true", 4) == 0 || strncmp(*s, "null", 4) == 0) {
			*s += 4;
			return 1;
		}
		if (strncmp(*s, "false", 5) == 0) {
			*s += 5;
			return 1;
		}
		if (**s != '-' && (**s < '0' || **s > '9'))
			return 0;
		strtod(*s, &end);
		if (end == *s)
			return 0;
		*s = end;
		return 1;
	}
}

/* Assert that s is one JSON value and nothing else. */
static void
assert_json(const char *s)
{
	const char	*p = s;

	if (!json_value(&p))
		ck_abort_msg("bad JSON at offset %zu: %.60s", (size_t)(p - s),
		    p);
	json_space(&p);
	ck_assert_msg(*p == '\0', "text after the JSON value: %.60s", p);
}

/* The number of times needle occurs in s. */
static size_t
count(const char *s, const char *needle)
{
	size_t	n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/*
 * The number of chrome X events that end at end_us (ts + dur); those
 * starting at start_us too, if it is not negative.
 */
static size_t
x_ending(const char *s, double start_us, double end_us)
{
	const char	*ts, *dur;
	size_t		 n = 0;

	while ((s = strstr(s, "\"ph\":\"X\"")) != NULL) {
		ts = strstr(s, "\"ts\":");
		dur = strstr(s, "\"dur\":");
		ck_assert_ptr_nonnull(ts);
		ck_assert_ptr_nonnull(dur);
		if (strtod(ts + 5, NULL) + strtod(dur + 6, NULL) == end_us &&
		    (start_us < 0 || strtod(ts + 5, NULL) == start_us))
			n++;
		s += 8;
	}
	return n;
}

/* Write with fn into a string. */
static char *
capture(void (*fn)(FILE *, const char *), const char *s)
{
	char	*out;
	size_t	 len;
	FILE	*f = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(f);
	fn(f, s);
	fclose(f);
	return out;
}

START_TEST(test_json_string)
{
	char	*s = capture(viewer_json_string, ODD_NAME);

	ck_assert_str_eq(s, "\"q\\\"b\\\\s<&>'\\u0001\\u0009\\u007f "
	    "\xc3\xa9\xf0\x9f\x98\x80 \xef\xbf\xbd!\"");
	assert_json(s);
	free(s);
	/* Overlong, surrogate and cut sequences are replaced too. */
	s = capture(viewer_json_string, "\xc0\xaf\xed\xa0\x80\xe2\x82");
	assert_json(s);
	ck_assert_int_eq(count(s, "\xef\xbf\xbd"), 7);
	free(s);
}
END_TEST

START_TEST(test_html)
{
	char	*s = capture(viewer_html, ODD_NAME);

	ck_assert_str_eq(s, "q&quot;b\\s&lt;&amp;&gt;&#39;\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd \xc3\xa9\xf0\x9f\x98\x80 "
	    "\xef\xbf\xbd!");
	free(s);
}
END_TEST

/* Cutting counts characters, not bytes, and never splits one. */
static void
cut5(FILE *f, const char *s)
{
	viewer_html_cut(f, s, 5);
}

START_TEST(test_html_cut)
{
	char	*s;

	s = capture(cut5, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	ck_assert_str_eq(s, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	free(s);
	s = capture(cut5, "\xc3\xa9<\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	ck_assert_str_eq(s, "\xc3\xa9&lt;\xc3\xa9..");
	free(s);
}
END_TEST

START_TEST(test_empty)
{
	struct tprof	 t;
	char		*s;

	tprof_open(&t, NULL);
	s = tprof_export(&t, NULL, report_speedscope, 0);
	assert_json(s);
	ck_assert_ptr_nonnull(strstr(s, "\"profiles\":[]"));
	ck_assert_ptr_nonnull(strstr(s, "\"frames\":[]"));
	free(s);

	tprof_open(&t, NULL);
	s = tprof_export(&t, NULL, report_chrome, 0);
	assert_json(s);
	ck_assert_int_eq(count(s, "\"ph\":\"B\""), 0);
	/* The process is named after its command line, quotes escaped. */
	ck_assert_ptr_nonnull(strstr(s, "\"name\":\"process_name\",\"pid\":100"
	    ",\"tid\":0,\"args\":{\"name\":\"python3 app \\\"<x>\\\".py\"}"));
	free(s);

	tprof_open(&t, NULL);
	s = tprof_export(&t, NULL, report_flamegraph, 0);
	ck_assert_ptr_nonnull(strstr(s, "<title>Flame graph: t.prof</title>"));
	ck_assert_int_eq(count(s, "<g class=\"f\""), 1);
	ck_assert_ptr_nonnull(strstr(s, "data-n=\"all\""));
	ck_assert_ptr_nonnull(strstr(s, "</html>\n"));
	free(s);
}
END_TEST

START_TEST(test_one_sample)
{
	struct tprof	 t;
	char		*s, *a, *b, longname[700];

	/* No effective_rate: the rate asked for gives the period. */
	tprof_open(&t, "250");
	tprof_code(&t, 1, "main", 10);
	tprof_code(&t, 2, "leaf", 20);
	tprof_sample(&t, 7, 100, "1 2");
	s = tprof_export(&t, NULL, report_speedscope, 0);
	assert_json(s);
	ck_assert_ptr_nonnull(strstr(s, "\"samples\":[[0,1]],\"weights\":"
	    "[0.004]"));
	ck_assert_ptr_nonnull(strstr(s, "\"name\":\"pid 100 thread 100 "
	    "(main)\",\"unit\":\"seconds\",\"startValue\":0.007000,"
	    "\"endValue\":0.011"));
	ck_assert_ptr_nonnull(strstr(s, "{\"name\":\"main\",\"file\":"
	    "\"app.py\",\"line\":10}"));
	free(s);

	tprof_open(&t, "250");
	tprof_code(&t, 1, "main", 10);
	tprof_code(&t, 2, "leaf", 20);
	tprof_sample(&t, 7, 100, "1 2");
	s = tprof_export(&t, "50.0", report_chrome, 0);
	assert_json(s);
	/* effective_rate wins: one sample lasts 20 ms.  Names only. */
	a = strstr(s, "{\"ph\":\"X\",\"pid\":100,\"tid\":100,\"ts\":7000,"
	    "\"dur\":20000,\"name\":\"main\"}");
	b = strstr(s, "{\"ph\":\"X\",\"pid\":100,\"tid\":100,\"ts\":7000,"
	    "\"dur\":20000,\"name\":\"leaf\"}");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	/* The same start and duration: the caller first. */
	ck_assert(a < b);
	ck_assert_int_eq(count(s, "\"ph\":\"X\""), 2);
	ck_assert_ptr_nonnull(strstr(s, "\"thread_name\",\"pid\":100,"
	    "\"tid\":100,\"args\":{\"name\":\"thread 100 (main)\"}"));
	free(s);

	/* A name longer than the events are put together in. */
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	tprof_open(&t, "250");
	tprof_code(&t, 1, "main", 10);
	tprof_code(&t, 2, longname, 20);
	tprof_sample(&t, 7, 100, "1 2");
	tprof_sample(&t, 27, 100, "1 2");
	s = tprof_export(&t, "50.0", report_chrome, 0);
	assert_json(s);
	ck_assert_int_eq(count(s, "\"ph\":\"X\""), 2);
	ck_assert_ptr_nonnull(strstr(s, "{\"ph\":\"X\",\"pid\":100,\"tid\":"
	    "100,\"ts\":7000,\"dur\":40000,\"name\":\"main\"},\n"
	    "{\"ph\":\"X\",\"pid\":100,\"tid\":100,\"ts\":7000,"
	    "\"dur\":40000,\"name\":\"nnnn"));
	a = strstr(s, "\"name\":\"nnnn");
	ck_assert_int_eq(strspn(a + 8, "n"), sizeof longname - 1);
	ck_assert_int_eq(strncmp(a + 8 + sizeof longname - 1, "\"}\n", 3), 0);
	free(s);

	/* --frame-args: the category and the location too. */
	tprof_open(&t, "250");
	tprof_code(&t, 1, "main", 10);
	tprof_code(&t, 2, "leaf", 20);
	tprof_sample(&t, 7, 100, "1 2");
	s = tprof_export(&t, "50.0", report_chrome, TPROF_FRAME_ARGS);
	assert_json(s);
	ck_assert_ptr_nonnull(strstr(s, "{\"ph\":\"X\",\"pid\":100,\"tid\":"
	    "100,\"ts\":7000,\"dur\":20000,\"name\":\"main\",\"cat\":"
	    "\"python\",\"args\":{\"file\":\"app.py\",\"line\":10}}"));
	ck_assert_ptr_nonnull(strstr(s, "\"name\":\"leaf\",\"cat\":"
	    "\"python\",\"args\":{\"file\":\"app.py\",\"line\":20}}"));
	ck_assert_int_eq(count(s, "\"ph\":\"X\""), 2);
	free(s);

	tprof_open(&t, "250");
	tprof_code(&t, 1, "main", 10);
	tprof_code(&t, 2, "leaf", 20);
	tprof_sample(&t, 7, 100, "1 2");
	s = tprof_export(&t, NULL, report_flamegraph, 0);
	ck_assert_int_eq(count(s, "<g class=\"f\""), 3);
	ck_assert_ptr_nonnull(strstr(s, "data-n=\"leaf\" data-l=\"app.py:21\""
	    "><title>leaf (app.py:21)\n1 sample, 100.00%</title>"));
	free(s);
}
END_TEST

START_TEST(test_odd_names)
{
	struct tprof	 t;
	char		*s;
	int		 k;
	int		(*fn[])(struct report *) = { report_speedscope,
	    report_chrome, report_flamegraph, report_chrome };

	for (k = 0; k < 4; k++) {
		tprof_open(&t, "100");
		tprof_code(&t, 1, "<module>", 1);
		tprof_code(&t, 2, ODD_NAME, 5);
		tprof_code(&t, 3, "a</title><script>alert(1)</script>", 9);
		tprof_sample(&t, 10, 100, "1 2");
		tprof_sample(&t, 20, 100, "1 3");
		s = tprof_export(&t, NULL, fn[k], k == 3 ? TPROF_FRAME_ARGS :
		    0);
		if (fn[k] != report_flamegraph) {
			assert_json(s);
			ck_assert_ptr_nonnull(strstr(s, "\"q\\\"b\\\\s<&>'"
			    "\\u0001\\u0009\\u007f \xc3\xa9\xf0\x9f\x98\x80 "
			    "\xef\xbf\xbd!\""));
		} else {
			ck_assert_int_eq(count(s, "<script"), 1);
			ck_assert_int_eq(count(s, "<title>"), 5);
			ck_assert_int_eq(count(s, "data-n=\"&lt;module&gt;\""),
			    1);
			ck_assert_int_eq(count(s, "data-n=\"q&quot;b\\s&lt;"
			    "&amp;&gt;&#39;"), 1);
			ck_assert_ptr_null(strstr(s, "\x01"));
			ck_assert_ptr_null(strstr(s, "\x7f"));
		}
		free(s);
	}
}
END_TEST

/*
 * Two threads whose samples interleave: one speedscope profile each, in
 * time order; chrome joins consecutive frames and breaks them at a gap.
 */
START_TEST(test_threads)
{
	struct tprof	 t;
	char		*s, *a, *b;
	int		 k;

	for (k = 0; k < 2; k++) {
		tprof_open(&t, "100");
		tprof_code(&t, 1, "main", 1);
		tprof_code(&t, 2, "work", 5);
		tprof_code(&t, 3, "other", 9);
		tprof_sample(&t, 10, 100, "1 2");
		tprof_sample(&t, 11, 101, "3");
		tprof_sample(&t, 19, 100, "1 2");	/* early: jitter */
		tprof_sample(&t, 21, 101, "3");
		tprof_sample(&t, 31, 100, "1 3");
		tprof_sample(&t, 90, 100, "1 3");	/* after a gap */
		s = tprof_export(&t, NULL, k == 0 ? report_speedscope :
		    report_chrome, 0);
		assert_json(s);
		if (k == 0) {
			a = strstr(s, "\"name\":\"pid 100 thread 100 (main)\"");
			b = strstr(s, "\"name\":\"pid 100 thread 101\"");
			ck_assert_ptr_nonnull(a);
			ck_assert_ptr_nonnull(b);
			ck_assert(a < b);
			ck_assert_ptr_nonnull(strstr(a, "\"samples\":[[0,1],"
			    "[0,1],[0,2],[0,2]],\"weights\":[0.01,0.01,0.01,"
			    "0.01]"));
			ck_assert_ptr_nonnull(strstr(b, "\"samples\":[[2],[2]]"));
			free(s);
			continue;
		}
		/* main: 10..20 and 20..30 joined, 30..40 other, then 90..100. */
		ck_assert_int_eq(count(s, "\"name\":\"main\""), 2);
		a = strstr(s, "\"tid\":100,\"ts\":10000,\"dur\":30000,"
		    "\"name\":\"main\"");
		b = strstr(s, "\"tid\":100,\"ts\":10000,\"dur\":20000,"
		    "\"name\":\"work\"");
		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		ck_assert(a < b);	/* beginning together: the caller first */
		ck_assert_int_eq(count(s, "\"tid\":100,\"ts\":30000,"
		    "\"dur\":10000,\"name\":\"other\""), 1);
		ck_assert_int_eq(count(s, "\"tid\":100,\"ts\":90000,"
		    "\"dur\":10000,\"name\":\"main\""), 1);
		ck_assert_int_eq(count(s, "\"tid\":100,\"ts\":90000,"
		    "\"dur\":10000,\"name\":\"other\""), 1);
		/* other thread: one event from 11 to 31 ms. */
		ck_assert_int_eq(count(s, "\"tid\":101,\"ts\":11000,"
		    "\"dur\":20000,\"name\":\"other\""), 1);
		ck_assert_int_eq(count(s, "\"ph\":\"X\""), 6);
		free(s);
	}
}
END_TEST

/*
 * A period that is not whole microseconds (300 samples/s): chrome rounds
 * starts and ends, so that each frame ends exactly where the next begins
 * and a callee exactly where its caller ends.
 */
START_TEST(test_chrome_whole_us)
{
	struct tprof	 t;
	char		*s;

	tprof_open(&t, "300");
	tprof_code(&t, 1, "main", 1);
	tprof_code(&t, 2, "a", 5);
	tprof_code(&t, 3, "b", 9);
	tprof_sample(&t, 10, 100, "1 2");
	tprof_sample(&t, 13, 100, "1 3");
	s = tprof_export(&t, "300", report_chrome, 0);
	assert_json(s);
	/* 10 ms, then 13.333333 and 16.666666 ms. */
	ck_assert_int_eq(count(s, "\"ts\":10000,\"dur\":6667,"
	    "\"name\":\"main\""), 1);
	ck_assert_int_eq(count(s, "\"ts\":10000,\"dur\":3333,"
	    "\"name\":\"a\""), 1);
	ck_assert_int_eq(count(s, "\"ts\":13333,\"dur\":3334,"
	    "\"name\":\"b\""), 1);
	free(s);
}
END_TEST

/* Times in microseconds, up to three decimals, negative ones included. */
START_TEST(test_us_text)
{
	static const struct {
		int64_t		 ns;
		const char	*text;
	} cases[] = {
		{ 0, "0" }, { 1, "0.001" }, { 999, "0.999" }, { 10, "0.01" },
		{ 1000, "1" }, { 1234567, "1234.567" }, { 1234500, "1234.5" },
		{ -1, "-0.001" }, { -1500, "-1.5" }, { -2000, "-2" },
		{ INT64_MAX, "9223372036854775.807" },
		{ INT64_MIN, "-9223372036854775.808" },
	};
	char	buf[VIEWER_US_MAX + 1];
	size_t	i, n;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		n = viewer_us_text(buf, cases[i].ns);
		ck_assert_uint_le(n, VIEWER_US_MAX);
		buf[n] = '\0';
		ck_assert_str_eq(buf, cases[i].text);
	}
}
END_TEST

/*
 * Stacks that go deeper, shallower, to a sibling and back, and to another
 * root, in one thread: each sample's stack is whole in speedscope (frames
 * kept from the sample before are not lost or repeated), and chrome ends
 * exactly the frames that changed.
 */
START_TEST(test_walk)
{
	static const char *stacks[] = {
		"1 2 3", "1 2", "1 3 2", "1 2 3", "1", "2 1", "2 1", "1 2 3 4",
		"1 2 3",
	};
	struct tprof	 t;
	char		*s;
	size_t		 i;
	int		 k;

	for (k = 0; k < 2; k++) {
		tprof_open(&t, "100");
		tprof_code(&t, 1, "main", 1);
		tprof_code(&t, 2, "f", 5);
		tprof_code(&t, 3, "g", 9);
		tprof_code(&t, 4, "h", 13);
		for (i = 0; i < sizeof stacks / sizeof stacks[0]; i++)
			tprof_sample(&t, 10 * (unsigned int)(i + 1), 100,
			    stacks[i]);
		s = tprof_export(&t, NULL, k == 0 ? report_speedscope :
		    report_chrome, 0);
		assert_json(s);
		if (k == 0) {
			ck_assert_ptr_nonnull(strstr(s, "\"samples\":[[0,1,2],"
			    "[0,1],[0,2,1],[0,1,2],[0],[1,0],[1,0],[0,1,2,3],"
			    "[0,1,2]]"));
			free(s);
			continue;
		}
		/* Ends: g at 20 ms, f at 30, f g at 40, g f at 50, ... */
		ck_assert_int_eq(count(s, "\"ph\":\"X\""), 13);
		ck_assert_int_eq(count(s, "\"tid\":100,\"ts\":60000,"
		    "\"dur\":20000,\"name\":\"f\""), 1);
		ck_assert_int_eq(x_ending(s, -1, 20000), 1);
		ck_assert_int_eq(x_ending(s, -1, 30000), 1);
		ck_assert_int_eq(x_ending(s, -1, 40000), 2);
		ck_assert_int_eq(x_ending(s, -1, 50000), 2);
		ck_assert_int_eq(x_ending(s, -1, 60000), 1);
		ck_assert_int_eq(x_ending(s, -1, 70000), 0);
		ck_assert_int_eq(x_ending(s, -1, 80000), 2);
		ck_assert_int_eq(x_ending(s, -1, 90000), 1);
		ck_assert_int_eq(x_ending(s, -1, 100000), 3);
		/* main is the root of the first five samples, 10 to 60 ms. */
		ck_assert_int_eq(x_ending(s, 10000, 60000), 1);
		free(s);
	}
}
END_TEST

/* Whether sample a comes before sample b: file, thread, time, index. */
static int
by_thread_before(const struct aggregate_sample *sl, uint32_t a, uint32_t b)
{
	const struct aggregate_sample	*x = &sl[a], *y = &sl[b];

	if (x->file != y->file || x->tid != y->tid)
		return x->file < y->file ||
		    (x->file == y->file && x->tid < y->tid);
	return x->time_us < y->time_us || (x->time_us == y->time_us && a < b);
}

/*
 * viewer_by_thread() orders every sample once, by file, thread, time and
 * index: on sample lists of two files with interleaved threads (ids
 * unordered, one in both files), times in order, with ties, out of order
 * in one thread, reversed everywhere, and one sample.
 */
START_TEST(test_by_thread)
{
	static const uint32_t	 tids[] = { 70, 5, 900, 5, 12 };
	struct aggregate	 agg;
	struct aggregate_sample	*sl;
	uint32_t		*got;
	unsigned char		*seen;
	unsigned int		 seed = 12345;
	size_t			 i, n = _i == 4 ? 1 : 5000;

	sl = calloc(n, sizeof *sl);
	seen = calloc(n, 1);
	ck_assert_ptr_nonnull(sl);
	ck_assert_ptr_nonnull(seen);
	for (i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		sl[i].tid = tids[(seed >> 16) % 5];
		sl[i].file = sl[i].tid == 12 ? 0 : (seed >> 20) % 2;
		switch (_i) {
		case 0:
		case 4:
			sl[i].time_us = (int64_t)i * 10;
			break;
		case 1:
			sl[i].time_us = (int64_t)(i / 7) * 10;	/* ties */
			break;
		case 2:
			sl[i].time_us = (int64_t)i * 10;
			if (sl[i].tid == 900 && i % 50 == 0)
				sl[i].time_us -= 5000;
			break;
		default:
			sl[i].time_us = (int64_t)(n - i) * 10;
			break;
		}
	}
	memset(&agg, 0, sizeof agg);
	agg.sample_list = sl;
	agg.nsample_list = n;
	got = viewer_by_thread(&agg);
	ck_assert_ptr_nonnull(got);
	for (i = 0; i < n; i++) {
		ck_assert_uint_lt(got[i], n);
		ck_assert_msg(!seen[got[i]], "sample %u twice", got[i]);
		seen[got[i]] = 1;
		if (i > 0)
			ck_assert_msg(by_thread_before(sl, got[i - 1], got[i]),
			    "sample %u before %u", got[i - 1], got[i]);
	}
	free(got);
	free(seen);
	free(sl);
}
END_TEST

/* A flame graph merges the lines of a function; --icicle turns it over. */
START_TEST(test_flamegraph_layout)
{
	struct tprof	 t;
	char		*s;
	int		 k;

	for (k = 0; k < 2; k++) {
		tprof_open(&t, "100");
		tprof_code(&t, 1, "main", 1);
		tprof_code(&t, 2, "hot", 5);
		tprof_code(&t, 3, "cold", 9);
		tprof_sample(&t, 10, 100, "1 2");
		tprof_sample(&t, 20, 100, "1 2");
		tprof_sample(&t, 30, 100, "1 2");
		tprof_sample(&t, 40, 100, "1 3");
		s = tprof_export(&t, NULL, report_flamegraph,
		    k == 1 ? TPROF_ICICLE : 0);
		/* all, main, cold, hot: siblings by name. */
		ck_assert_int_eq(count(s, "<g class=\"f\""), 4);
		ck_assert_ptr_nonnull(strstr(s, "data-n=\"cold\""));
		ck_assert(strstr(s, "data-n=\"cold\"") <
		    strstr(s, "data-n=\"hot\""));
		ck_assert_ptr_nonnull(strstr(s, "data-x=\"1\" data-w=\"3\" "
		    "data-k=\"python\" data-n=\"hot\""));
		ck_assert_ptr_nonnull(strstr(s, k == 0 ?
		    "<rect x=\"300.00\" y=\"4\" width=\"900.00\"" :
		    "<rect x=\"300.00\" y=\"38\" width=\"900.00\""));
		if (k == 0) {
			ck_assert_ptr_nonnull(strstr(s, "data-n=\"all\""));
			ck_assert_ptr_nonnull(strstr(s, "<rect x=\"0.00\" y=\"38\""));
			ck_assert_ptr_nonnull(strstr(s, "<title>Flame graph"));
		} else {
			ck_assert_ptr_nonnull(strstr(s, "<rect x=\"0.00\" y=\"4\""));
			ck_assert_ptr_nonnull(strstr(s, "<title>Icicle graph"));
		}
		free(s);
	}
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("export");
	TCase	*tc = tcase_create("export");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_json_string);
	tcase_add_test(tc, test_html);
	tcase_add_test(tc, test_html_cut);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_one_sample);
	tcase_add_test(tc, test_odd_names);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_flamegraph_layout);
	tcase_add_test(tc, test_chrome_whole_us);
	tcase_add_test(tc, test_us_text);
	tcase_add_test(tc, test_walk);
	tcase_add_loop_test(tc, test_by_thread, 0, 5);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
