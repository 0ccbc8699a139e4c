/*
 * Unit tests for the pstats, callgrind and pprof exporters (tools/): small
 * profiles written with the writer, read back, aggregated and exported to
 * memory, and the output taken apart: marshal values after a function's
 * key, callgrind lines, the gunzip'd protobuf's fields.
 */

#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "aggregate.h"
#include "format.h"
#include "reader.h"
#include "report.h"
#include "writer.h"

#define START_NS	1000000000ULL

/* A profile being written to an unlinked temporary file. */
struct tprof {
	int		 fd;
	struct writer	*w;
	uint64_t	 now;
};

/* An export in memory. */
struct tout {
	char	*buf;
	size_t	 len;
};

/* co_lnotab of 3.8: offsets 0-5 line first+1, 6-9 first+3, 10+ first+4. */
static const uint8_t lnotab[] = { 0, 1, 6, 2, 4, 1 };

/* Start a profile of the given rate (its header), CPU or wall mode. */
static void
tprof_open_mode(struct tprof *t, const char *rate, const char *mode)
{
	char	path[] = "/tmp/check_export.XXXXXX";

	t->fd = mkstemp(path);
	ck_assert_int_ge(t->fd, 0);
	unlink(path);
	t->w = writer_create(t->fd, START_NS);
	ck_assert_ptr_nonnull(t->w);
	t->now = START_NS;
	writer_file_header(t->w);
	writer_kv_begin(t->w, REC_HEADER);
	writer_kv(t->w, "pysig", "test");
	writer_kv(t->w, "arg", "python3");
	writer_kv(t->w, "arg", "app\n.py");
	writer_kv(t->w, "start_time_ns", "1700000000000000000");
	if (rate != NULL)
		writer_kv(t->w, "rate", rate);
	writer_kv(t->w, "mode", mode);
	writer_kv_end(t->w);
}

/* Start a CPU-time profile of the given rate. */
static void
tprof_open(struct tprof *t, const char *rate)
{
	tprof_open_mode(t, rate, "cpu");
}

/* Define a function with the lnotab above. */
static void
tprof_code(struct tprof *t, uint32_t id, const char *name, const char *file,
    int first)
{
	writer_code(t->w, id, first, LINETABLE_LNOTAB, 0, name, strlen(name),
	    file, strlen(file), lnotab, sizeof lnotab);
}

/*
 * Add count samples of a stack given root first as code ids and offsets:
 * "1:0 2:6" is code 1 at offset 0 calling code 2 at offset 6.
 */
static void
tprof_sample(struct tprof *t, const char *stack, int count)
{
	struct writer_frame	 f[64], r[64];
	unsigned int		 n = 0, i;
	const char		*p = stack;
	char			*end;
	int			 k;

	while (*p != '\0') {
		f[n].ref = (uint32_t)strtoul(p, &end, 10) << 1;
		ck_assert(*end == ':');
		f[n].addr = (int32_t)strtol(end + 1, &end, 10);
		n++;
		p = end;
		while (*p == ' ')
			p++;
	}
	for (i = 0; i < n; i++)
		r[i] = f[n - 1 - i];	/* the writer wants the leaf first */
	for (k = 0; k < count; k++) {
		t->now += 4000000;
		writer_sample(t->w, t->now, 1, 0, r, n);
	}
}

/* Finish the file with effective_rate in its trailer; read it back. */
static struct reader_profile *
tprof_read(struct tprof *t, const char *effective_rate)
{
	struct reader_profile	*p;
	struct stat		 sb;
	uint8_t			*data;
	char			*cause;

	writer_kv_begin(t->w, REC_TRAILER);
	writer_kv_u64(t->w, "duration_ns", t->now - START_NS);
	if (effective_rate != NULL)
		writer_kv(t->w, "effective_rate", effective_rate);
	writer_kv_end(t->w);
	ck_assert_int_eq(writer_flush(t->w), 0);
	writer_free(t->w);
	ck_assert_int_eq(fstat(t->fd, &sb), 0);
	data = malloc((size_t)sb.st_size + 1);
	ck_assert_int_eq(pread(t->fd, data, (size_t)sb.st_size, 0),
	    sb.st_size);
	close(t->fd);
	p = reader_parse("t.prof", data, (size_t)sb.st_size, &cause);
	if (p == NULL)
		ck_abort_msg("%s", cause);
	free(data);
	return p;
}

/* Export profiles with fn (as pysig-report does) into o. */
static void
texport(int (*fn)(struct report *), struct reader_profile **p, size_t n,
    struct tout *o)
{
	struct report	r;
	size_t		i;

	memset(&r, 0, sizeof r);
	r.profiles = p;
	r.nprofiles = n;
	r.agg = aggregate_create();
	ck_assert_ptr_nonnull(r.agg);
	r.agg->keep_samples = n > 1;
	for (i = 0; i < n; i++)
		ck_assert_int_eq(aggregate_add(r.agg, p[i]), 0);
	ck_assert_int_eq(aggregate_finish(r.agg), 0);
	r.out = open_memstream(&o->buf, &o->len);
	ck_assert_ptr_nonnull(r.out);
	ck_assert_int_eq(fn(&r), 0);
	ck_assert_int_eq(fclose(r.out), 0);
	aggregate_free(r.agg);
}

/* The marshal bytes of a string as report_pstats writes it. */
static size_t
marshal_str(uint8_t *out, const char *s)
{
	size_t	len = strlen(s), i;
	int	ascii = 1;

	for (i = 0; i < len; i++)
		ascii = ascii && (unsigned char)s[i] < 0x80;
	if (ascii && len < 256) {
		out[0] = 'z';
		out[1] = (uint8_t)len;
		memcpy(out + 2, s, len);
		return len + 2;
	}
	out[0] = 'u';
	out[1] = (uint8_t)len;
	out[2] = (uint8_t)(len >> 8);
	out[3] = out[4] = 0;
	memcpy(out + 5, s, len);
	return len + 5;
}

/* A little-endian 32-bit value. */
static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* A marshal'd binary float. */
static double
le_double(const uint8_t *p)
{
	uint64_t	bits = 0;
	double		d;
	int		i;

	for (i = 7; i >= 0; i--)
		bits = bits << 8 | p[i];
	memcpy(&d, &bits, sizeof d);
	return d;
}

/*
 * The (cc, nc, tt, ct) of the function keyed (file, line, name) in a
 * pstats export, and where its callers dictionary starts; 0 if absent.
 */
static int
pstats_entry(const struct tout *o, const char *file, int line,
    const char *name, uint32_t *cc, uint32_t *nc, double *tt, double *ct,
    const uint8_t **callers)
{
	uint8_t		 key[4096];
	size_t		 n = 0;
	const uint8_t	*p = (const uint8_t *)o->buf, *end = p + o->len, *v;

	key[n++] = ')';
	key[n++] = 3;
	n += marshal_str(key + n, file);
	key[n++] = 'i';
	key[n++] = (uint8_t)line;
	key[n++] = (uint8_t)(line >> 8);
	key[n++] = 0;
	key[n++] = 0;
	n += marshal_str(key + n, name);
	/* The key is also in callers' dictionaries: find the entry. */
	while ((v = memmem(p, (size_t)(end - p), key, n)) != NULL) {
		v += n;
		if (end - v >= 2 + 5 + 5 + 9 + 9 + 1 && v[0] == ')' &&
		    v[1] == 5) {
			ck_assert_int_eq(v[2], 'i');
			*cc = le32(v + 3);
			ck_assert_int_eq(v[7], 'i');
			*nc = le32(v + 8);
			ck_assert_int_eq(v[12], 'g');
			*tt = le_double(v + 13);
			ck_assert_int_eq(v[21], 'g');
			*ct = le_double(v + 22);
			ck_assert_int_eq(v[30], '{');
			*callers = v + 31;
			return 1;
		}
		p = v;
	}
	return 0;
}

/* An empty profile is an empty dictionary. */
START_TEST(test_pstats_empty)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct tout		 o;

	tprof_open(&t, "100");
	p = tprof_read(&t, NULL);
	texport(report_pstats, &p, 1, &o);
	ck_assert_uint_eq(o.len, 2);
	ck_assert_mem_eq(o.buf, "{0", 2);
	free(o.buf);
	reader_free(p);
}
END_TEST

/*
 * One sample: one function, counts 1, tottime one period of the trailer's
 * effective_rate (not the header's rate), no callers.
 */
START_TEST(test_pstats_one_sample)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct tout		 o;
	uint32_t		 cc, nc;
	double			 tt, ct;
	const uint8_t		*callers;

	tprof_open(&t, "100");
	tprof_code(&t, 1, "f", "a.py", 10);
	tprof_sample(&t, "1:0", 1);
	p = tprof_read(&t, "50");
	texport(report_pstats, &p, 1, &o);
	ck_assert(pstats_entry(&o, "a.py", 10, "f", &cc, &nc, &tt, &ct,
	    &callers));
	ck_assert_uint_eq(cc, 1);
	ck_assert_uint_eq(nc, 1);
	ck_assert_double_eq_tol(tt, 0.02, 1e-12);
	ck_assert_double_eq_tol(ct, 0.02, 1e-12);
	ck_assert_int_eq(callers[0], '0');
	/* The callers end the entry, the dictionary ends the file. */
	ck_assert_ptr_eq(callers + 2, (const uint8_t *)o.buf + o.len);
	ck_assert_int_eq(o.buf[o.len - 1], '0');
	free(o.buf);
	reader_free(p);
}
END_TEST

/*
 * Recursion f -> f -> g under main: f's inclusive time counts each sample
 * once, its call count (nc) every frame; g's caller is f.
 */
START_TEST(test_pstats_recursion)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct tout		 o;
	uint32_t		 cc, nc;
	double			 tt, ct;
	const uint8_t		*callers;
	uint8_t			 key[256];
	size_t			 n;

	tprof_open(&t, "100");
	tprof_code(&t, 1, "main", "m.py", 1);
	tprof_code(&t, 2, "f", "m.py", 5);
	tprof_code(&t, 3, "g", "m.py", 9);
	tprof_sample(&t, "1:0 2:6 2:6 3:0", 3);
	tprof_sample(&t, "1:0 2:0", 1);
	p = tprof_read(&t, NULL);
	texport(report_pstats, &p, 1, &o);
	ck_assert(pstats_entry(&o, "m.py", 5, "f", &cc, &nc, &tt, &ct,
	    &callers));
	ck_assert_uint_eq(cc, 4);
	ck_assert_uint_eq(nc, 7);
	ck_assert_double_eq_tol(tt, 0.01, 1e-12);
	ck_assert_double_eq_tol(ct, 0.04, 1e-12);
	ck_assert(pstats_entry(&o, "m.py", 9, "g", &cc, &nc, &tt, &ct,
	    &callers));
	ck_assert_uint_eq(cc, 3);
	ck_assert_double_eq_tol(tt, 0.03, 1e-12);
	/* g's only caller: (m.py, 5, f) with (nc, cc) = (3, 3). */
	n = 0;
	key[n++] = ')';
	key[n++] = 3;
	n += marshal_str(key + n, "m.py");
	memcpy(key + n, "i\x05\0\0\0", 5);
	n += 5;
	n += marshal_str(key + n, "f");
	ck_assert_mem_eq(callers, key, n);
	ck_assert_int_eq(callers[n], ')');
	ck_assert_int_eq(callers[n + 1], 4);
	ck_assert_uint_eq(le32(callers + n + 3), 3);
	ck_assert_uint_eq(le32(callers + n + 8), 3);
	ck_assert_int_eq(callers[n + 30], '0');
	free(o.buf);
	reader_free(p);
}
END_TEST

/* Two files of different rates: each sample weighs its own file's period. */
START_TEST(test_pstats_two_rates)
{
	struct tprof		 t;
	struct reader_profile	*p[2];
	struct tout		 o;
	uint32_t		 cc, nc;
	double			 tt, ct;
	const uint8_t		*callers;

	tprof_open(&t, "100");
	tprof_code(&t, 1, "f", "a.py", 1);
	tprof_sample(&t, "1:0", 2);
	p[0] = tprof_read(&t, NULL);
	tprof_open(&t, "1000");
	tprof_code(&t, 1, "f", "a.py", 1);
	tprof_sample(&t, "1:0", 3);
	p[1] = tprof_read(&t, "250");
	texport(report_pstats, p, 2, &o);
	ck_assert(pstats_entry(&o, "a.py", 1, "f", &cc, &nc, &tt, &ct,
	    &callers));
	ck_assert_uint_eq(cc, 5);
	ck_assert_double_eq_tol(tt, 2 * 0.01 + 3 * 0.004, 1e-12);
	free(o.buf);
	reader_free(p[0]);
	reader_free(p[1]);
}
END_TEST

/* Names that other formats quote: kept exact, valid UTF-8 made of bad. */
#define ODD_NAME	"q\"u'o\\te<&>\xc3\xa9\x01"
#define ODD_FILE	"d i\\r/<&>\xe2\x82\xac.py"
START_TEST(test_pstats_odd_names)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct tout		 o;
	uint32_t		 cc, nc;
	double			 tt, ct;
	const uint8_t		*callers;

	tprof_open(&t, "100");
	tprof_code(&t, 1, ODD_NAME, ODD_FILE, 3);
	tprof_code(&t, 2, "bad\xff\xc0x", "b.py", 4);
	tprof_sample(&t, "1:0 2:0", 1);
	p = tprof_read(&t, NULL);
	texport(report_pstats, &p, 1, &o);
	ck_assert(pstats_entry(&o, ODD_FILE, 3, ODD_NAME, &cc, &nc, &tt, &ct,
	    &callers));
	ck_assert(pstats_entry(&o, "b.py", 4, "bad\xef\xbf\xbd\xef\xbf\xbdx",
	    &cc, &nc, &tt, &ct, &callers));
	ck_assert_uint_eq(cc, 1);
	free(o.buf);
	reader_free(p);
}
END_TEST

/* The lines of a callgrind export, as an allocated array. */
static char **
callgrind_lines(struct tout *o, size_t *n)
{
	char	**lines = calloc(o->len + 1, sizeof *lines), *s, *nl;

	*n = 0;
	ck_assert_ptr_nonnull(lines);
	for (s = o->buf; s < o->buf + o->len; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(o->buf + o->len - s));
		ck_assert_ptr_nonnull(nl);	/* every line ends */
		*nl = '\0';
		lines[(*n)++] = s;
	}
	return lines;
}

/* The index of the line equal to s, or -1. */
static long
line_index(char **lines, size_t n, const char *s)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(lines[i], s) == 0)
			return (long)i;
	}
	return -1;
}

/* An empty profile: header, zero summary and totals, no function. */
START_TEST(test_callgrind_empty)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct tout		 o;
	char			**l;
	size_t			 n, i;

	tprof_open(&t, "100");
	p = tprof_read(&t, NULL);
	texport(report_callgrind, &p, 1, &o);
	l = callgrind_lines(&o, &n);
	ck_assert_str_eq(l[0], "# callgrind format");
	ck_assert_str_eq(l[1], "version: 1");
	ck_assert_int_ge(line_index(l, n, "events: Samples ns"), 0);
	ck_assert_int_ge(line_index(l, n, "summary: 0 0"), 0);
	ck_assert_str_eq(l[n - 1], "totals: 0 0");
	/* The argument's newline does not break the cmd: line. */
	ck_assert_int_ge(line_index(l, n, "cmd: python3 app?.py"), 0);
	for (i = 0; i < n; i++)
		ck_assert(strncmp(l[i], "fn=", 3) != 0);
	free(l);
	free(o.buf);
	reader_free(p);
}
END_TEST

/*
 * main (line 2) calls f, f calls g: self costs per line, compressed names,
 * the call edge with its inclusive cost, odd names on one line each.
 */
START_TEST(test_callgrind_calls)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct tout		 o;
	char			**l;
	size_t			 n;
	long			 i;

	tprof_open(&t, "100");
	tprof_code(&t, 1, "main", "m.py", 1);
	tprof_code(&t, 2, ODD_NAME, ODD_FILE, 5);
	tprof_code(&t, 3, "g", "m.py", 9);
	tprof_sample(&t, "1:0 2:6 3:0", 3);
	tprof_sample(&t, "1:0 2:0", 1);
	tprof_sample(&t, "1:0", 1);
	p = tprof_read(&t, NULL);
	texport(report_callgrind, &p, 1, &o);
	l = callgrind_lines(&o, &n);
	ck_assert_int_ge(line_index(l, n, "summary: 5 50000000"), 0);
	ck_assert_str_eq(l[n - 1], "totals: 5 50000000");
	/* Control characters become '?', the rest is kept. */
	i = line_index(l, n, "fl=(1) d i\\r/<&>\xe2\x82\xac.py");
	ck_assert_int_ge(i, 0);
	ck_assert_str_eq(l[i + 1], "fn=(1) q\"u'o\\te<&>\xc3\xa9?");
	ck_assert_str_eq(l[i + 2], "6 1 10000000");	/* self, line 6 */
	ck_assert_str_eq(l[i + 3], "cfl=(2) m.py");
	ck_assert_str_eq(l[i + 4], "cfn=(3) g");
	ck_assert_str_eq(l[i + 5], "calls=3 9");
	ck_assert_str_eq(l[i + 6], "8 3 30000000");	/* from line 8 */
	i = line_index(l, n, "fn=(2) main");
	ck_assert_int_ge(i, 0);
	ck_assert_str_eq(l[i + 1], "2 1 10000000");
	ck_assert_str_eq(l[i + 2], "cfl=(1)");
	ck_assert_str_eq(l[i + 3], "cfn=(1)");
	ck_assert_str_eq(l[i + 4], "calls=4 5");
	ck_assert_str_eq(l[i + 5], "2 4 40000000");
	ck_assert_int_ge(line_index(l, n, "fn=(3)"), 0);
	ck_assert_int_ge(line_index(l, n, "10 3 30000000"), 0);
	free(l);
	free(o.buf);
	reader_free(p);
}
END_TEST

/*
 * Two functions of one name in one file (two classes' __init__ before
 * 3.11) stay two functions: "name:firstline"; a unique name stays bare.
 */
START_TEST(test_callgrind_same_names)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct tout		 o;
	char			**l;
	size_t			 n;

	tprof_open(&t, "100");
	tprof_code(&t, 1, "main", "m.py", 1);
	tprof_code(&t, 2, "__init__", "m.py", 3);
	tprof_code(&t, 3, "__init__", "m.py", 7);
	tprof_code(&t, 4, "__init__", "other.py", 7);
	tprof_sample(&t, "1:0 2:0", 2);
	tprof_sample(&t, "1:0 3:0", 1);
	tprof_sample(&t, "1:0 4:0", 1);
	p = tprof_read(&t, NULL);
	texport(report_callgrind, &p, 1, &o);
	l = callgrind_lines(&o, &n);
	ck_assert_int_ge(line_index(l, n, "fn=(1) main"), 0);
	ck_assert_int_ge(line_index(l, n, "cfn=(2) __init__:3"), 0);
	ck_assert_int_ge(line_index(l, n, "cfn=(3) __init__:7"), 0);
	ck_assert_int_ge(line_index(l, n, "cfn=(4) __init__"), 0);
	ck_assert_int_ge(line_index(l, n, "calls=2 3"), 0);
	ck_assert_int_ge(line_index(l, n, "calls=1 7"), 0);
	free(l);
	free(o.buf);
	reader_free(p);
}
END_TEST

/* A decoded protobuf field. */
struct pb_field {
	unsigned int	 field;
	int		 wire;
	uint64_t	 v;		/* varint */
	const uint8_t	*p;		/* length-delimited */
	size_t		 len;
};

/* Read a varint; fail the test if it runs past end. */
static uint64_t
pb_varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t	v = 0;
	int		shift = 0;

	for (;;) {
		ck_assert((const void *)*p < (const void *)end);
		v |= (uint64_t)(**p & 0x7f) << shift;
		shift += 7;
		if (!(*(*p)++ & 0x80))
			return v;
		ck_assert_int_lt(shift, 64);
	}
}

/* Read the next field of a message; 0 at its end. */
static int
pb_next(const uint8_t **p, const uint8_t *end, struct pb_field *f)
{
	uint64_t	key;

	if (*p >= end)
		return 0;
	key = pb_varint(p, end);
	f->field = (unsigned int)(key >> 3);
	f->wire = (int)(key & 7);
	if (f->wire == 0)
		f->v = pb_varint(p, end);
	else {
		ck_assert_int_eq(f->wire, 2);
		f->len = pb_varint(p, end);
		ck_assert_uint_le(f->len, (size_t)(end - *p));
		f->p = *p;
		*p += f->len;
	}
	return 1;
}

/* The pprof export gunzip'd into out (size bytes at most); its length. */
static size_t
pprof_gunzip(const struct tout *o, uint8_t *out, size_t size)
{
	z_stream	z;

	memset(&z, 0, sizeof z);
	ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)o->buf;
	z.avail_in = (uInt)o->len;
	z.next_out = out;
	z.avail_out = (uInt)size;
	ck_assert_int_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
	inflateEnd(&z);
	return size - z.avail_out;
}

/* What a pprof export holds, decoded. */
struct pprof_view {
	char		*strings[64];
	size_t		 nstrings;
	size_t		 nsamples;
	uint64_t	 count;		/* sum of the samples' first value */
	uint64_t	 ns;		/* sum of their second value */
	size_t		 nfunctions;
	size_t		 nlocations;
	uint64_t	 period;
	uint64_t	 time_nanos;
	uint64_t	 duration_nanos;
	uint64_t	 sample_type[4];	/* type, unit, type, unit */
	size_t		 nsample_type;
	uint64_t	 leaf_func[16];	/* per sample: its leaf's function */
};

/* Decode a pprof export. */
static void
pprof_decode(const struct tout *o, struct pprof_view *v)
{
	static uint8_t		 data[1 << 16];
	struct pb_field		 f, g, h;
	const uint8_t		*p = data, *end, *q, *r;
	uint64_t		 loc_func[64];
	size_t			 k;

	memset(v, 0, sizeof *v);
	memset(loc_func, 0, sizeof loc_func);
	end = data + pprof_gunzip(o, data, sizeof data);
	/* Locations first: samples refer to them. */
	while (pb_next(&p, end, &f)) {
		if (f.field != 4)
			continue;
		v->nlocations++;
		q = f.p;
		k = 0;
		while (pb_next(&q, f.p + f.len, &g)) {
			if (g.field == 1)
				k = g.v;
			else if (g.field == 4) {
				r = g.p;
				while (pb_next(&r, g.p + g.len, &h))
					if (h.field == 1 && k < 64)
						loc_func[k] = h.v;
			}
		}
	}
	for (p = data; pb_next(&p, end, &f);) {
		if (f.field == 6) {
			ck_assert_uint_lt(v->nstrings, 64);
			v->strings[v->nstrings] = strndup((const char *)f.p,
			    f.len);
			v->nstrings++;
		} else if (f.field == 5)
			v->nfunctions++;
		else if (f.field == 12)
			v->period = f.v;
		else if (f.field == 9)
			v->time_nanos = f.v;
		else if (f.field == 10)
			v->duration_nanos = f.v;
		else if (f.field == 1 && v->nsample_type < 4) {
			q = f.p;
			while (pb_next(&q, f.p + f.len, &g))
				v->sample_type[v->nsample_type++] = g.v;
		}
		else if (f.field == 2) {
			q = f.p;
			while (pb_next(&q, f.p + f.len, &g)) {
				r = g.p;
				if (g.field == 1 && v->nsamples < 16)
					v->leaf_func[v->nsamples] =
					    loc_func[pb_varint(&r, g.p + g.len)];
				if (g.field != 2)
					continue;
				v->count += pb_varint(&r, g.p + g.len);
				v->ns += pb_varint(&r, g.p + g.len);
			}
			v->nsamples++;
		}
	}
}

/* Free a decoded export's strings. */
static void
pprof_view_free(struct pprof_view *v)
{
	size_t	i;

	for (i = 0; i < v->nstrings; i++)
		free(v->strings[i]);
}

/* The index of a string in the table, or -1. */
static long
pprof_find(const struct pprof_view *v, const char *s)
{
	size_t	i;

	for (i = 0; i < v->nstrings; i++) {
		if (strcmp(v->strings[i], s) == 0)
			return (long)i;
	}
	return -1;
}

/* A wall-clock profile's second sample type is wall/nanoseconds. */
START_TEST(test_pprof_wall)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct tout		 o;
	struct pprof_view	 v;

	tprof_open_mode(&t, "1000", "wall");
	tprof_code(&t, 1, "f", "a.py", 1);
	tprof_sample(&t, "1:0", 4);
	p = tprof_read(&t, NULL);
	texport(report_pprof, &p, 1, &o);
	pprof_decode(&o, &v);
	ck_assert_uint_eq(v.nsample_type, 4);
	ck_assert_str_eq(v.strings[v.sample_type[0]], "samples");
	ck_assert_str_eq(v.strings[v.sample_type[1]], "count");
	ck_assert_str_eq(v.strings[v.sample_type[2]], "wall");
	ck_assert_str_eq(v.strings[v.sample_type[3]], "nanoseconds");
	ck_assert_uint_eq(v.count, 4);
	ck_assert_uint_eq(v.ns, 4000000);
	ck_assert_uint_eq(v.period, 1000000);
	ck_assert_uint_eq(v.duration_nanos, 16000000);	/* 4 x 4 ms */
	pprof_view_free(&v);
	free(o.buf);
	reader_free(p);
}
END_TEST

/* Add a native function to a hand-made aggregate. */
static void
hand_func(struct aggregate *agg, const char *name, const char *file)
{
	struct aggregate_func	*f = &agg->funcs[agg->nfuncs++];

	memset(f, 0, sizeof *f);
	f->name = strdup(name);
	f->file = strdup(file);
	f->module = strdup("libx.so");
	f->native = 1;
}

/* Add a node to a hand-made aggregate; self samples count up the tree. */
static void
hand_node(struct aggregate *agg, uint32_t parent, uint32_t func, int line,
    uint64_t addr, int inlined, uint64_t self)
{
	struct aggregate_node	*n = &agg->nodes[agg->nnodes++];
	uint32_t		 p;

	memset(n, 0, sizeof *n);
	n->func = func;
	n->line = line;
	n->parent = parent;
	n->depth = agg->nodes[parent].depth + 1;
	n->addr = addr;
	n->inlined = inlined;
	n->self = self;
	n->child = n->sibling = AGGREGATE_NONE;
	for (p = (uint32_t)(agg->nnodes - 1); p != AGGREGATE_NONE;
	    p = agg->nodes[p].parent)
		agg->nodes[p].total += self;
	agg->funcs[func].total += self;
	agg->samples += self;
}

/*
 * Native locations: outer (0x1000) holds inl inlined at that address,
 * which calls leaf (0x2000); outer also calls other (0x3000).  A location
 * is an address with its inlined functions innermost first, in the object
 * file's mapping; outer alone is the location of the call to other.
 */
START_TEST(test_pprof_inlined)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct report		 r;
	struct tout		 o;
	static uint8_t		 data[1 << 16];
	const uint8_t		*q = data, *end, *x, *y;
	struct pb_field		 f, g, h;
	uint64_t		 id, map, addr, lines[4], nlines, loc_of[8];
	uint64_t		 stacks[2][4], nstack;
	size_t			 nlocs = 0, nsamples = 0;
	int			 k;

	tprof_open(&t, "100");
	writer_mapping(t.w, 0x1000, 0x4000, 0, 0, NULL, 0, "/lib/libx.so");
	p = tprof_read(&t, NULL);
	memset(&r, 0, sizeof r);
	r.profiles = &p;
	r.nprofiles = 1;
	r.agg = aggregate_create();
	ck_assert_ptr_nonnull(r.agg);
	r.agg->funcs = calloc(4, sizeof *r.agg->funcs);
	r.agg->nodes = realloc(r.agg->nodes, 8 * sizeof *r.agg->nodes);
	ck_assert(r.agg->funcs != NULL && r.agg->nodes != NULL);
	hand_func(r.agg, "outer", "x.c");
	hand_func(r.agg, "inl", "x.h");
	hand_func(r.agg, "leaf", "y.c");
	hand_func(r.agg, "other", "");
	hand_node(r.agg, 0, 0, 10, 0x1000, 0, 0);	/* node 1 */
	hand_node(r.agg, 1, 1, 5, 0x1000, 1, 0);	/* node 2 */
	hand_node(r.agg, 2, 2, 9, 0x2000, 0, 3);	/* node 3 */
	hand_node(r.agg, 1, 3, -1, 0x3000, 0, 1);	/* node 4 */
	r.out = open_memstream(&o.buf, &o.len);
	ck_assert_ptr_nonnull(r.out);
	ck_assert_int_eq(report_pprof(&r), 0);
	ck_assert_int_eq(fclose(r.out), 0);
	aggregate_free(r.agg);

	memset(loc_of, 0, sizeof loc_of);
	end = data + pprof_gunzip(&o, data, sizeof data);
	while (pb_next(&q, end, &f)) {
		if (f.field == 4) {
			id = map = addr = nlines = 0;
			for (x = f.p; pb_next(&x, f.p + f.len, &g);) {
				if (g.field == 1)
					id = g.v;
				else if (g.field == 2)
					map = g.v;
				else if (g.field == 3)
					addr = g.v;
				else if (g.field == 4) {
					for (y = g.p; pb_next(&y, g.p + g.len,
					    &h);)
						if (h.field == 1)
							lines[nlines++] = h.v;
				}
			}
			ck_assert_uint_eq(map, 1);
			ck_assert_uint_lt(id, 8);
			/* Encode the lines (function ids) as digits. */
			loc_of[id] = addr << 8 | lines[0] << 4 |
			    (nlines > 1 ? lines[1] : 0);
			nlocs++;
		} else if (f.field == 2) {
			nstack = 0;
			for (x = f.p; pb_next(&x, f.p + f.len, &g);) {
				if (g.field != 1)
					continue;
				for (y = g.p; y < g.p + g.len;)
					stacks[nsamples][nstack++] =
					    pb_varint(&y, g.p + g.len);
			}
			ck_assert_uint_eq(nstack, 2);
			nsamples++;
		}
	}
	ck_assert_uint_eq(nlocs, 4);
	ck_assert_uint_eq(nsamples, 2);
	/* Leaf first: leaf at 0x2000, then inl (2) inlined in outer (1). */
	for (k = 0; k < 2; k++) {
		if (loc_of[stacks[k][0]] == (0x2000 << 8 | 3 << 4))
			ck_assert_uint_eq(loc_of[stacks[k][1]],
			    0x1000 << 8 | 2 << 4 | 1);
		else {
			ck_assert_uint_eq(loc_of[stacks[k][0]],
			    0x3000 << 8 | 4 << 4);
			ck_assert_uint_eq(loc_of[stacks[k][1]],
			    0x1000 << 8 | 1 << 4);
		}
	}
	free(o.buf);
	reader_free(p);
}
END_TEST

/* An empty profile: the sample types, no sample, no function. */
START_TEST(test_pprof_empty)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct tout		 o;
	struct pprof_view	 v;

	tprof_open(&t, "100");
	p = tprof_read(&t, NULL);
	texport(report_pprof, &p, 1, &o);
	pprof_decode(&o, &v);
	ck_assert_uint_ge(v.nstrings, 5);
	ck_assert_str_eq(v.strings[0], "");
	ck_assert_int_gt(pprof_find(&v, "samples"), 0);
	ck_assert_int_gt(pprof_find(&v, "cpu"), 0);
	ck_assert_int_gt(pprof_find(&v, "nanoseconds"), 0);
	ck_assert_uint_eq(v.nsamples, 0);
	ck_assert_uint_eq(v.nfunctions, 0);
	ck_assert_uint_eq(v.period, 10000000);
	ck_assert_uint_eq(v.time_nanos, 1700000000000000000ULL);
	pprof_view_free(&v);
	free(o.buf);
	reader_free(p);
}
END_TEST

/* One sample and odd names: exact strings, counts and nanoseconds. */
START_TEST(test_pprof_samples)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct tout		 o;
	struct pprof_view	 v;

	tprof_open(&t, "100");
	tprof_code(&t, 1, "main", "m.py", 1);
	tprof_code(&t, 2, ODD_NAME, ODD_FILE, 5);
	tprof_code(&t, 3, "bad\xff", "m.py", 9);
	tprof_sample(&t, "1:0 2:0", 1);
	p = tprof_read(&t, "200");
	texport(report_pprof, &p, 1, &o);
	pprof_decode(&o, &v);
	ck_assert_uint_eq(v.nsamples, 1);
	ck_assert_uint_eq(v.count, 1);
	ck_assert_uint_eq(v.ns, 5000000);
	ck_assert_uint_eq(v.nfunctions, 2);	/* bad\xff has no sample */
	ck_assert_uint_eq(v.nlocations, 2);
	ck_assert_int_gt(pprof_find(&v, ODD_NAME), 0);
	ck_assert_int_gt(pprof_find(&v, ODD_FILE), 0);
	ck_assert_int_lt(pprof_find(&v, "bad\xff"), 0);
	/* The leaf is the odd function (id: its index + 1). */
	ck_assert_uint_eq(v.leaf_func[0], 2);
	pprof_view_free(&v);
	free(o.buf);
	reader_free(p);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("export");
	TCase	*tc = tcase_create("export");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_pstats_empty);
	tcase_add_test(tc, test_pstats_one_sample);
	tcase_add_test(tc, test_pstats_recursion);
	tcase_add_test(tc, test_pstats_two_rates);
	tcase_add_test(tc, test_pstats_odd_names);
	tcase_add_test(tc, test_callgrind_empty);
	tcase_add_test(tc, test_callgrind_calls);
	tcase_add_test(tc, test_callgrind_same_names);
	tcase_add_test(tc, test_pprof_empty);
	tcase_add_test(tc, test_pprof_samples);
	tcase_add_test(tc, test_pprof_wall);
	tcase_add_test(tc, test_pprof_inlined);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
