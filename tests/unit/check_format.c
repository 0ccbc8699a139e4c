/*
 * Unit tests for the profile format: varints (src/format.c), the writer
 * (src/writer.c) and the reader (src/reader.c), through real files.
 */

#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"
#include "reader.h"
#include "writer.h"

#define START_NS	5000000000ULL

/* A growing byte buffer for hand-made profiles. */
struct bytes {
	uint8_t	*p;
	size_t	 len;
	size_t	 size;
};

static void
put_raw(struct bytes *b, const void *p, size_t n)
{
	if (b->len + n > b->size) {
		b->size = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->size);
		ck_assert_ptr_nonnull(b->p);
	}
	if (n != 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
put_varint(struct bytes *b, uint64_t v)
{
	uint8_t	tmp[10];

	put_raw(b, tmp, format_put_varint(tmp, v));
}

static void
put_file_header(struct bytes *b, unsigned int major, unsigned int minor)
{
	uint8_t	h[FORMAT_HEADER_LEN];

	format_file_header(h);
	h[8] = (uint8_t)major;
	h[9] = (uint8_t)(major >> 8);
	h[10] = (uint8_t)minor;
	h[11] = (uint8_t)(minor >> 8);
	put_raw(b, h, sizeof h);
}

/* Append a record whose payload is p. */
static void
put_record(struct bytes *b, int type, const struct bytes *p)
{
	uint8_t	t = (uint8_t)type;

	put_raw(b, &t, 1);
	put_varint(b, p->len);
	put_raw(b, p->p, p->len);
}

/* Append a HEADER record with one pair. */
static void
put_header_record(struct bytes *b)
{
	struct bytes	p = { NULL, 0, 0 };

	put_raw(&p, "pid\0" "7\0", 6);
	put_record(b, REC_HEADER, &p);
	free(p.p);
}

/* Append a CODE record without a line table. */
static void
put_code(struct bytes *b, uint64_t id, const char *name)
{
	struct bytes	p = { NULL, 0, 0 };
	uint8_t		kind = 0;

	put_varint(&p, id);
	put_varint(&p, format_zigzag(1));
	put_raw(&p, &kind, 1);
	put_varint(&p, 0);
	put_varint(&p, strlen(name));
	put_raw(&p, name, strlen(name));
	put_varint(&p, 4);
	put_raw(&p, "x.py", 4);
	put_varint(&p, 0);
	put_record(b, REC_CODE, &p);
	free(p.p);
}

/* Append a STACK record of one frame. */
static void
put_stack(struct bytes *b, uint64_t id, uint64_t code)
{
	struct bytes	p = { NULL, 0, 0 };

	put_varint(&p, id);
	put_varint(&p, 0);	/* flags */
	put_varint(&p, 0);	/* no base */
	put_varint(&p, 0);	/* frames kept */
	put_varint(&p, 1);
	put_varint(&p, code << 1);
	put_varint(&p, format_zigzag(-1));
	put_record(b, REC_STACK, &p);
	free(p.p);
}

/* Append a SAMPLE record. */
static void
put_sample(struct bytes *b, int64_t dt, uint64_t tid, uint64_t stack)
{
	struct bytes	p = { NULL, 0, 0 };

	put_varint(&p, format_zigzag(dt));
	put_varint(&p, tid);
	put_varint(&p, stack);
	put_varint(&p, 0);
	put_record(b, REC_SAMPLE, &p);
	free(p.p);
}

/* Append an empty TRAILER record. */
static void
put_trailer(struct bytes *b)
{
	struct bytes	p = { NULL, 0, 0 };

	put_record(b, REC_TRAILER, &p);
}

/* An unlinked temporary file. */
static int
tmp_fd(void)
{
	char	path[] = "/tmp/check_format.XXXXXX";
	int	fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	return fd;
}

/* The whole content of a file. */
static uint8_t *
slurp(int fd, size_t *len)
{
	struct stat	 sb;
	uint8_t		*p;

	ck_assert_int_eq(fstat(fd, &sb), 0);
	*len = (size_t)sb.st_size;
	p = malloc(*len + 1);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(pread(fd, p, *len, 0), (ssize_t)*len);
	return p;
}

/* Parse bytes that must be a valid profile. */
static struct reader_profile *
parse_ok(const uint8_t *p, size_t len)
{
	struct reader_profile	*prof;
	char			*cause;

	prof = reader_parse("test.prof", p, len, &cause);
	if (prof == NULL)
		ck_abort_msg("unexpected error: %s", cause);
	ck_assert_ptr_null(cause);
	return prof;
}

/* Parse bytes that must be rejected with a message containing want. */
static void
parse_fails(const uint8_t *p, size_t len, const char *want)
{
	struct reader_profile	*prof;
	char			*cause;

	prof = reader_parse("bad.prof", p, len, &cause);
	ck_assert_ptr_null(prof);
	ck_assert_ptr_nonnull(cause);
	if (strstr(cause, want) == NULL)
		ck_abort_msg("message '%s' lacks '%s'", cause, want);
	ck_assert_msg(strncmp(cause, "bad.prof: ", 10) == 0,
	    "message '%s' does not name the file", cause);
	free(cause);
}

START_TEST(test_varint_edges)
{
	static const uint64_t	 values[] = {
		0, 1, 127, 128, 255, 16383, 16384, 2097151, 2097152,
		UINT32_MAX, (uint64_t)UINT32_MAX + 1, 1ULL << 56,
		(1ULL << 63) - 1, 1ULL << 63, UINT64_MAX
	};
	static const size_t	 lengths[] = {
		1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 5, 9, 9, 10, 10
	};
	uint8_t			 buf[16];
	const uint8_t		*p;
	uint64_t		 v;
	size_t			 i, n;

	for (i = 0; i < sizeof values / sizeof values[0]; i++) {
		n = format_put_varint(buf, values[i]);
		ck_assert_uint_eq(n, lengths[i]);
		p = buf;
		ck_assert_int_eq(format_get_varint(&p, buf + n, &v), 0);
		ck_assert_uint_eq(v, values[i]);
		ck_assert_ptr_eq(p, buf + n);
		/* One byte short: an error, and *p untouched. */
		p = buf;
		ck_assert_int_eq(format_get_varint(&p, buf + n - 1, &v), -1);
		ck_assert_ptr_eq(p, buf);
	}
	/* Eleven bytes, or a tenth byte above 1, do not fit 64 bits. */
	memset(buf, 0x80, 10);
	buf[10] = 0x01;
	p = buf;
	ck_assert_int_eq(format_get_varint(&p, buf + 11, &v), -1);
	memset(buf, 0xff, 9);
	buf[9] = 0x02;
	p = buf;
	ck_assert_int_eq(format_get_varint(&p, buf + 10, &v), -1);
	/* An empty range. */
	p = buf;
	ck_assert_int_eq(format_get_varint(&p, buf, &v), -1);
}
END_TEST

START_TEST(test_zigzag)
{
	static const int64_t	values[] = {
		0, -1, 1, -2, 2, 63, -64, 64, INT32_MIN, INT32_MAX,
		INT64_MIN, INT64_MAX
	};
	size_t			i;

	ck_assert_uint_eq(format_zigzag(0), 0);
	ck_assert_uint_eq(format_zigzag(-1), 1);
	ck_assert_uint_eq(format_zigzag(1), 2);
	ck_assert_uint_eq(format_zigzag(-2), 3);
	ck_assert_uint_eq(format_zigzag(INT64_MAX), UINT64_MAX - 1);
	ck_assert_uint_eq(format_zigzag(INT64_MIN), UINT64_MAX);
	for (i = 0; i < sizeof values / sizeof values[0]; i++)
		ck_assert_int_eq(format_unzigzag(format_zigzag(values[i])),
		    values[i]);
}
END_TEST

/*
 * Native stacks and mappings (format 1.1): addresses survive the delta
 * encoding on an earlier stack, the mapping fields come back, and a stack
 * keeping more native frames than its base has is refused.
 */
START_TEST(test_native_round_trip)
{
	struct writer		*w;
	struct reader_profile	*p;
	struct writer_frame	 f[2];
	uint64_t		 nat[64], nat2[64];
	static const uint8_t	 bid[] = { 0xde, 0xad, 0xbe, 0xef };
	const struct reader_stack *s;
	uint8_t			*data;
	size_t			 len, i, j, found = 0;
	int			 fd = tmp_fd();

	w = writer_create(fd, START_NS);
	ck_assert_ptr_nonnull(w);
	writer_file_header(w);
	writer_kv_begin(w, REC_HEADER);
	writer_kv_u64(w, "start_mono_ns", START_NS);
	writer_kv_end(w);
	writer_mapping(w, 0x7f0000001000ULL, 0x7f0000009000ULL,
	    0x7f0000000000ULL, MAPPING_INTERPRETER, bid, sizeof bid,
	    "/usr/lib/libpython3.12.so.1.0");
	writer_mapping(w, 0x1000, 0x2000, 0, MAPPING_ANON, NULL, 0, "[vdso]");
	writer_code(w, 1, 1, LINETABLE_NONE, 0, "f", 1, "a.py", 4, NULL, 0);
	f[0].ref = (1 << 1) | 1;
	f[0].addr = 2;
	f[1] = f[0];
	/* Deep native stacks differing at the leaf, addresses far apart. */
	for (i = 0; i < 64; i++)
		nat[i] = 0x7f0000001000ULL + (i * 7919) % 0x8000;
	nat[63] = 0x400000;
	memcpy(nat2, nat, sizeof nat);
	nat2[0] = 0x1234;
	nat2[1] = UINT64_MAX;
	writer_sample_native(w, START_NS + 1000, 7, STACK_NATIVE, f, 2, nat,
	    64);
	writer_sample_native(w, START_NS + 2000, 7, STACK_NATIVE, f, 2, nat2,
	    64);
	/* The same frames without STACK_NATIVE: no native stack kept. */
	writer_sample_native(w, START_NS + 3000, 7, 0, f, 2, nat, 64);
	writer_sample_native(w, START_NS + 4000, 7, STACK_NATIVE |
	    STACK_NATIVE_TRUNCATED, NULL, 0, nat + 60, 4);
	writer_kv_begin(w, REC_TRAILER);
	writer_kv_end(w);
	ck_assert_int_eq(writer_flush(w), 0);
	ck_assert_uint_eq(writer_stacks(w), 4);
	writer_free(w);

	data = slurp(fd, &len);
	p = parse_ok(data, len);
	ck_assert_uint_eq(p->nmappings, 2);
	ck_assert_uint_eq(p->mappings[0].start, 0x7f0000001000ULL);
	ck_assert_uint_eq(p->mappings[0].end, 0x7f0000009000ULL);
	ck_assert_uint_eq(p->mappings[0].bias, 0x7f0000000000ULL);
	ck_assert_uint_eq(p->mappings[0].flags, MAPPING_INTERPRETER);
	ck_assert_uint_eq(p->mappings[0].build_id_len, sizeof bid);
	ck_assert_mem_eq(p->mappings[0].build_id, bid, sizeof bid);
	ck_assert_str_eq(p->mappings[0].path, "/usr/lib/libpython3.12.so.1.0");
	ck_assert_uint_eq(p->mappings[1].flags, MAPPING_ANON);
	ck_assert_uint_eq(p->mappings[1].build_id_len, 0);
	ck_assert_str_eq(p->mappings[1].path, "[vdso]");
	ck_assert_uint_eq(p->nsamples, 4);
	for (i = 0; i < 4; i++) {
		s = &p->stacks[p->sample_stack[i]];
		switch (i) {
		case 0:
		case 1:
			ck_assert_uint_eq(s->flags, STACK_NATIVE);
			ck_assert_uint_eq(s->nframes, 2);
			ck_assert_uint_eq(s->nnative, 64);
			for (j = 0; j < 64; j++)
				ck_assert_uint_eq(s->native[j],
				    i == 0 ? nat[j] : nat2[j]);
			found++;
			break;
		case 2:
			ck_assert_uint_eq(s->flags, 0);
			ck_assert_uint_eq(s->nnative, 0);
			found++;
			break;
		case 3:
			ck_assert_uint_eq(s->flags, STACK_NATIVE |
			    STACK_NATIVE_TRUNCATED);
			ck_assert_uint_eq(s->nframes, 0);
			ck_assert_uint_eq(s->nnative, 4);
			ck_assert_uint_eq(s->native[3], 0x400000);
			found++;
			break;
		}
	}
	ck_assert_uint_eq(found, 4);
	reader_free(p);
	free(data);
}
END_TEST

/* A native delta keeping more frames than its base has is corrupt. */
START_TEST(test_native_bad_keep)
{
	/* HEADER, then stack 1 (native, 1 address), stack 2 keeping 2. */
	static const uint8_t	rec[] = {
		REC_HEADER, 0,
		REC_STACK, 8, 1, STACK_NATIVE, 0, 0, 0, 0, 1, 2,
		REC_STACK, 7, 2, STACK_NATIVE, 1, 0, 0, 2, 0,
	};
	uint8_t			data[FORMAT_HEADER_LEN + sizeof rec];
	char			*cause = NULL;

	format_file_header(data);
	memcpy(data + FORMAT_HEADER_LEN, rec, sizeof rec);
	ck_assert_ptr_null(reader_parse("bad.prof", data, sizeof data,
	    &cause));
	ck_assert_ptr_nonnull(cause);
	ck_assert_ptr_nonnull(strstr(cause, "native frames of a base stack"));
	ck_assert_ptr_nonnull(strstr(cause, "at offset"));
	free(cause);
}
END_TEST

/* Write the profile the round-trip tests read back. */
static void
write_sample_profile(int fd)
{
	struct writer		*w = writer_create(fd, START_NS);
	struct writer_frame	 f[3];
	static const uint8_t	 table[] = { 0, 1, 6, 2 };

	ck_assert_ptr_nonnull(w);
	writer_file_header(w);
	writer_kv_begin(w, REC_HEADER);
	writer_kv(w, "pysig", "0.1.0");
	writer_kv_u64(w, "pid", 4242);
	writer_kv(w, "arg", "python3");
	writer_kv(w, "arg", "-c");
	writer_kv(w, "arg", "print('a b')");
	writer_kv_u64(w, "start_mono_ns", START_NS);
	writer_kv_u64(w, "big", UINT64_MAX);
	writer_kv_end(w);
	writer_code(w, 1, 10, LINETABLE_LNOTAB, 0, "outer", 5, "a.py", 4,
	    table, sizeof table);
	/* Code 2 is used before its definition: a forward reference. */
	f[0].ref = 2 << 1;
	f[0].addr = 8;
	f[1].ref = (1 << 1) | 1;
	f[1].addr = -1;
	writer_sample(w, START_NS + 1500, 100, 0, f, 2);	/* 1 us */
	writer_sample(w, START_NS + 2000000, 101, 0, f, 2);	/* 2000 us */
	ck_assert_int_eq(writer_flush(w), 0);
	writer_code(w, 2, 20, LINETABLE_NONE, CODE_NAME_TRUNCATED,
	    "inner λ", strlen("inner λ"), "b.py", 4, NULL, 0);
	writer_sample(w, START_NS + 1000000, 100, 0, f, 2);	/* back */
	writer_sample(w, START_NS + 3000000, 100, STACK_NOPY, NULL, 0);
	writer_sample(w, START_NS + 4000000, 102, 0, NULL, 0);
	writer_kv_begin(w, REC_STATS);
	writer_kv_u64(w, "samples", 3);
	writer_kv_end(w);
	writer_kv_begin(w, REC_TRAILER);
	writer_kv_u64(w, "samples", 5);
	writer_kv_u64(w, "dropped", 0);
	writer_kv_end(w);
	ck_assert_int_eq(writer_flush(w), 0);
	ck_assert_uint_eq(writer_stacks(w), 2);
	ck_assert_uint_eq(writer_samples(w), 5);
	ck_assert_uint_eq(writer_lost_bytes(w), 0);
	ck_assert_uint_eq(writer_bytes(w), (uint64_t)lseek(fd, 0, SEEK_CUR));
	writer_free(w);
}

START_TEST(test_round_trip)
{
	struct reader_profile	*p;
	const struct reader_stack *s;
	uint8_t			*data;
	size_t			 len;
	int			 fd = tmp_fd();

	write_sample_profile(fd);
	data = slurp(fd, &len);
	p = parse_ok(data, len);

	ck_assert_uint_eq(p->major, FORMAT_MAJOR);
	ck_assert_uint_eq(p->minor, FORMAT_MINOR);
	ck_assert_int_eq(p->truncated, 0);
	ck_assert_int_eq(p->trailer, 1);
	ck_assert_uint_eq(p->size, len);

	/* Header pairs in order, repeated keys kept. */
	ck_assert_uint_eq(p->header.n, 7);
	ck_assert_str_eq(p->header.pairs[2].key, "arg");
	ck_assert_str_eq(p->header.pairs[2].value, "python3");
	ck_assert_str_eq(p->header.pairs[3].value, "-c");
	ck_assert_str_eq(p->header.pairs[4].value, "print('a b')");
	ck_assert_str_eq(reader_kv_get(&p->header, "arg"), "python3");
	ck_assert_str_eq(reader_kv_get(&p->header, "pid"), "4242");
	ck_assert_str_eq(reader_kv_get(&p->header, "big"),
	    "18446744073709551615");
	ck_assert_ptr_null(reader_kv_get(&p->header, "nope"));
	/* The trailer, not the STATS record before it. */
	ck_assert_str_eq(reader_kv_get(&p->stats, "samples"), "5");

	ck_assert_uint_eq(p->ncodes, 2);
	ck_assert_str_eq(p->codes[0].name, "outer");
	ck_assert_str_eq(p->codes[0].file, "a.py");
	ck_assert_int_eq(p->codes[0].firstlineno, 10);
	ck_assert_int_eq(p->codes[0].table_kind, LINETABLE_LNOTAB);
	ck_assert_uint_eq(p->codes[0].table_len, 4);
	ck_assert_uint_eq(p->codes[0].table[2], 6);
	ck_assert_str_eq(p->codes[1].name, "inner λ");
	ck_assert_uint_eq(p->codes[1].flags, CODE_NAME_TRUNCATED);

	ck_assert_uint_eq(p->nsamples, 5);
	ck_assert_int_eq(p->sample_time[0], 1);
	ck_assert_int_eq(p->sample_time[1], 2000);
	ck_assert_int_eq(p->sample_time[2], 1000);
	ck_assert_int_eq(p->sample_time[3], 3000);
	ck_assert_int_eq(p->sample_time[4], 4000);
	ck_assert_uint_eq(p->sample_tid[1], 101);
	ck_assert_uint_eq(p->sample_tid[4], 102);

	/* Frames resolved to the codes, innermost first. */
	ck_assert_uint_eq(p->sample_stack[0], p->sample_stack[1]);
	ck_assert_uint_eq(p->sample_stack[0], p->sample_stack[2]);
	s = &p->stacks[p->sample_stack[0]];
	ck_assert_uint_eq(s->nframes, 2);
	ck_assert_str_eq(p->codes[s->frames[0].code].name, "inner λ");
	ck_assert_int_eq(s->frames[0].addr, 8);
	ck_assert_int_eq(s->frames[0].entry, 0);
	ck_assert_str_eq(p->codes[s->frames[1].code].name, "outer");
	ck_assert_int_eq(s->frames[1].addr, -1);
	ck_assert_int_eq(s->frames[1].entry, 1);
	s = &p->stacks[p->sample_stack[3]];
	ck_assert_uint_eq(s->flags, STACK_NOPY);
	ck_assert_uint_eq(s->nframes, 0);
	/* The plain empty stack is id 0, index 0, without a record. */
	ck_assert_uint_eq(p->sample_stack[4], 0);
	ck_assert_uint_eq(p->nstacks, 3);

	reader_free(p);
	free(data);
	close(fd);
}
END_TEST

START_TEST(test_load_path)
{
	struct reader_profile	*p;
	char			 path[] = "/tmp/check_format.XXXXXX", *cause;
	int			 fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	write_sample_profile(fd);
	close(fd);
	p = reader_load(path, &cause);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->path, path);
	ck_assert_uint_eq(p->nsamples, 5);
	reader_free(p);
	unlink(path);

	p = reader_load(path, &cause);
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(strstr(cause, "No such file or directory"));
	ck_assert_ptr_nonnull(strstr(cause, path));
	free(cause);
	p = reader_load("/tmp", &cause);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(cause, "/tmp: Is a directory");
	free(cause);
}
END_TEST

START_TEST(test_dedup)
{
	struct writer		*w;
	struct reader_profile	*p;
	struct writer_frame	 f[20];
	uint8_t			*data;
	size_t			 len, base, i;
	int			 fd = tmp_fd();
	const int		 n = 10000;
	uint64_t		 writer_bytes_written;

	for (i = 0; i < 20; i++) {
		f[i].ref = (uint32_t)((i + 1) << 1) | 1;
		f[i].addr = (int32_t)(i * 2);
	}
	w = writer_create(fd, START_NS);
	writer_file_header(w);
	writer_kv_begin(w, REC_HEADER);
	writer_kv(w, "pysig", "test");
	writer_kv_end(w);
	for (i = 0; i < 20; i++)
		writer_code(w, (uint32_t)i + 1, 1, 0, 0, "f", 1, "g.py", 4,
		    NULL, 0);
	ck_assert_int_eq(writer_flush(w), 0);
	base = (size_t)writer_bytes(w);
	/* Thread ids as Linux gives them, 4 ms apart (250 Hz). */
	for (i = 0; i < (size_t)n; i++)
		writer_sample(w, START_NS + i * 4000000, 1234567, 0, f, 20);
	ck_assert_int_eq(writer_flush(w), 0);
	ck_assert_uint_eq(writer_stacks(w), 1);
	ck_assert_uint_eq(writer_samples(w), n);
	/* One STACK record (~60 bytes) and samples of at most 16 bytes. */
	ck_assert_uint_le(writer_bytes(w) - base, 100 + (uint64_t)n * 16);
	ck_assert_uint_le((writer_bytes(w) - base) / n, 16);
	writer_bytes_written = writer_bytes(w);
	writer_free(w);

	data = slurp(fd, &len);
	p = parse_ok(data, len);
	ck_assert_uint_eq(p->nstacks, 2);
	ck_assert_uint_eq(p->nsamples, n);
	for (i = 0; i < (size_t)n; i++) {
		ck_assert_uint_eq(p->sample_stack[i], 1);
		ck_assert_int_eq(p->sample_time[i], (int64_t)i * 4000);
	}
	ck_assert_uint_eq(p->stacks[1].nframes, 20);
	/* The reader counts exactly the bytes of samples and stacks. */
	ck_assert_uint_eq(p->sample_bytes, writer_bytes_written - base);
	/* No trailer: fine, the stats are empty. */
	ck_assert_int_eq(p->trailer, 0);
	ck_assert_uint_eq(p->stats.n, 0);
	reader_free(p);
	free(data);
	close(fd);
}
END_TEST

START_TEST(test_distinct_stacks)
{
	struct writer		*w;
	struct reader_profile	*p;
	struct writer_frame	 f[8];
	uint8_t			*data;
	size_t			 len, i, j;
	int			 fd = tmp_fd();

	w = writer_create(fd, START_NS);
	writer_file_header(w);
	writer_kv_begin(w, REC_HEADER);
	writer_kv_end(w);
	writer_code(w, 1, 1, 0, 0, "f", 1, "g.py", 4, NULL, 0);
	/* 5000 stacks (forcing the table to grow), each sampled twice. */
	for (j = 0; j < 2; j++) {
		for (i = 0; i < 5000; i++) {
			for (size_t k = 0; k < 8; k++) {
				f[k].ref = 2;
				f[k].addr = (int32_t)(i + k);
			}
			writer_sample(w, START_NS + (j * 5000 + i) * 1000, 1,
			    (unsigned int)(i % 2) * STACK_TRUNCATED, f,
			    1 + (unsigned int)(i % 8));
		}
	}
	ck_assert_uint_eq(writer_stacks(w), 5000);
	ck_assert_int_eq(writer_flush(w), 0);
	writer_free(w);
	data = slurp(fd, &len);
	p = parse_ok(data, len);
	ck_assert_uint_eq(p->nstacks, 5001);
	ck_assert_uint_eq(p->nsamples, 10000);
	for (i = 0; i < 5000; i++) {
		const struct reader_stack *s = &p->stacks[p->sample_stack[i]];

		ck_assert_uint_eq(p->sample_stack[i], p->sample_stack[i + 5000]);
		ck_assert_uint_eq(s->nframes, 1 + i % 8);
		ck_assert_int_eq(s->frames[0].addr, (int64_t)i);
		ck_assert_uint_eq(s->flags, (i % 2) * STACK_TRUNCATED);
	}
	reader_free(p);
	free(data);
	close(fd);
}
END_TEST

START_TEST(test_truncated_everywhere)
{
	struct reader_profile	*p, *full;
	uint8_t			*data;
	size_t			 len, cut, last = 0;
	int			 fd = tmp_fd();

	write_sample_profile(fd);
	data = slurp(fd, &len);
	full = parse_ok(data, len);
	/* Every cut inside the records reads as "truncated", not an error. */
	for (cut = FORMAT_HEADER_LEN; cut < len; cut++) {
		p = parse_ok(data, cut);
		ck_assert_int_eq(p->trailer, 0);
		if (p->truncated) {
			ck_assert_uint_le(p->truncated_at, cut);
			ck_assert_uint_ge(p->truncated_at, FORMAT_HEADER_LEN);
		}
		/* A prefix never has more samples than a longer one. */
		ck_assert_uint_ge(p->nsamples + p->unresolved, last);
		last = p->nsamples + p->unresolved;
		ck_assert_uint_le(p->nsamples, full->nsamples);
		reader_free(p);
	}
	/* One byte short of the end: the trailer is cut. */
	p = parse_ok(data, len - 1);
	ck_assert_int_eq(p->truncated, 1);
	ck_assert_uint_eq(p->nsamples, 5);
	ck_assert_str_eq(reader_kv_get(&p->stats, "samples"), "3");
	reader_free(p);
	reader_free(full);
	free(data);
	close(fd);
}
END_TEST

START_TEST(test_truncated_unresolved)
{
	struct bytes		 b = { NULL, 0, 0 };
	struct reader_profile	*p;
	size_t			 cut;

	/* The sample's stack is defined later, after the cut. */
	put_file_header(&b, 1, 0);
	put_header_record(&b);
	put_code(&b, 1, "f");
	put_sample(&b, 10, 1, 1);
	put_sample(&b, 10, 1, 0);
	cut = b.len;
	put_stack(&b, 1, 1);
	put_trailer(&b);
	p = parse_ok(b.p, b.len);
	ck_assert_uint_eq(p->nsamples, 2);
	ck_assert_uint_eq(p->unresolved, 0);
	reader_free(p);
	p = parse_ok(b.p, cut + 2);
	ck_assert_int_eq(p->truncated, 1);
	ck_assert_uint_eq(p->truncated_at, cut);
	ck_assert_uint_eq(p->nsamples, 1);
	ck_assert_uint_eq(p->unresolved, 1);
	ck_assert_int_eq(p->sample_time[0], 20);
	reader_free(p);
	free(b.p);
}
END_TEST

START_TEST(test_forward_references)
{
	struct bytes		 b = { NULL, 0, 0 };
	struct reader_profile	*p;

	/* Sample before its stack, stack before its code. */
	put_file_header(&b, 1, 0);
	put_header_record(&b);
	put_sample(&b, 5, 9, 7);
	put_stack(&b, 7, 3);
	put_code(&b, 3, "late");
	/* A definition written again (after a failed write) is fine. */
	put_code(&b, 3, "late");
	put_stack(&b, 7, 3);
	put_trailer(&b);
	p = parse_ok(b.p, b.len);
	ck_assert_uint_eq(p->nsamples, 1);
	ck_assert_uint_eq(p->ncodes, 1);
	ck_assert_uint_eq(p->nstacks, 2);
	ck_assert_str_eq(p->codes[p->stacks[p->sample_stack[0]].frames[0].code].name,
	    "late");
	reader_free(p);
	free(b.p);
}
END_TEST

START_TEST(test_undefined_ids)
{
	struct bytes	b = { NULL, 0, 0 };
	char		want[64];
	size_t		at;

	/* A complete file: an undefined stack is an error, with where. */
	put_file_header(&b, 1, 0);
	put_header_record(&b);
	put_code(&b, 1, "f");
	at = b.len;
	put_sample(&b, 5, 9, 8);
	put_trailer(&b);
	snprintf(want, sizeof want, "stack id 8, which is not defined (at "
	    "offset %zu)", at);
	parse_fails(b.p, b.len, want);

	b.len = 0;
	put_file_header(&b, 1, 0);
	put_header_record(&b);
	at = b.len;
	put_stack(&b, 1, 6);
	put_sample(&b, 5, 9, 1);
	put_trailer(&b);
	snprintf(want, sizeof want, "code id 6, which is not defined (at "
	    "offset %zu)", at);
	parse_fails(b.p, b.len, want);

	/* Defined twice, differently. */
	b.len = 0;
	put_file_header(&b, 1, 0);
	put_header_record(&b);
	put_code(&b, 1, "f");
	put_code(&b, 1, "g");
	parse_fails(b.p, b.len, "code id 1 defined twice");
	free(b.p);
}
END_TEST

START_TEST(test_corrupt_length)
{
	struct bytes	b = { NULL, 0, 0 };
	char		want[80];
	uint8_t		t = REC_SAMPLE;
	size_t		at;
	int		i;

	/* A length over 16 MiB. */
	put_file_header(&b, 1, 0);
	put_header_record(&b);
	at = b.len;
	put_raw(&b, &t, 1);
	put_varint(&b, FORMAT_MAX_PAYLOAD + 1);
	put_raw(&b, "abcdefgh", 8);
	snprintf(want, sizeof want, "over the 16 MiB limit: the file is "
	    "corrupt (at offset %zu)", at);
	parse_fails(b.p, b.len, want);

	/* A length varint that does not end. */
	b.len = at + 1;
	for (i = 0; i < 12; i++)
		put_raw(&b, "\xff", 1);
	snprintf(want, sizeof want, "bad record length (at offset %zu)", at);
	parse_fails(b.p, b.len, want);

	/* A SAMPLE record too short for its fields. */
	b.len = at + 1;
	put_varint(&b, 2);
	put_raw(&b, "\x02\x05", 2);
	put_trailer(&b);
	snprintf(want, sizeof want, "SAMPLE record: bad or missing field (at "
	    "offset %zu)", at);
	parse_fails(b.p, b.len, want);

	/* A CODE name longer than its record. */
	b.len = at;
	{
		struct bytes	p = { NULL, 0, 0 };
		uint8_t		kind = 3;

		put_varint(&p, 1);
		put_varint(&p, 2);
		put_raw(&p, &kind, 1);
		put_varint(&p, 0);
		put_varint(&p, 1000);
		put_raw(&p, "abc", 3);
		put_record(&b, REC_CODE, &p);
		free(p.p);
	}
	snprintf(want, sizeof want, "length 1000 runs past the end of the "
	    "record (at offset %zu)", at);
	parse_fails(b.p, b.len, want);

	/* A STACK with more frames than bytes. */
	b.len = at;
	{
		struct bytes	p = { NULL, 0, 0 };

		put_varint(&p, 1);
		put_varint(&p, 0);
		put_varint(&p, 0);
		put_varint(&p, 0);
		put_varint(&p, 1ULL << 40);
		put_varint(&p, 2);
		put_varint(&p, 0);
		put_record(&b, REC_STACK, &p);
		free(p.p);
	}
	parse_fails(b.p, b.len, "frames do not fit in the record");
	free(b.p);
}
END_TEST

/* Sample state and weight (1.2), THREAD records merged by thread id. */
START_TEST(test_threads_round_trip)
{
	struct writer_frame		 f = { 1u << 1, 2 };
	struct reader_profile		*p;
	const struct reader_thread	*t;
	struct writer			*w;
	uint8_t				*data;
	size_t				 len;
	int				 fd = tmp_fd();

	w = writer_create(fd, 1000000000);
	ck_assert_ptr_nonnull(w);
	writer_file_header(w);
	writer_kv_begin(w, REC_HEADER);
	writer_kv(w, "rate", "1000");
	writer_kv_end(w);
	writer_code(w, 1, 1, LINETABLE_NONE, 0, "f", 1, "f.py", 4, NULL, 0);
	writer_thread(w, 7, 0, 0, 0, "python3", "");
	writer_thread(w, 8, THREAD_STARTED, 1002000000, 0, "python3",
	    "worker-1");
	writer_sample_state(w, 1003000000, 7, 0, &f, 1, NULL, 0,
	    SAMPLE_STATE | SAMPLE_IDLE | SAMPLE_GIL_KNOWN, 1000000);
	writer_sample_state(w, 1004000000, 8, 0, &f, 1, NULL, 0,
	    SAMPLE_STATE | SAMPLE_GIL | SAMPLE_GIL_KNOWN, 4000000);
	/* The end: a later record completes the first, keeps its name. */
	writer_thread(w, 8, THREAD_ENDED, 0, 1500000000, "renamed", "");
	ck_assert_int_eq(writer_flush(w), 0);
	writer_free(w);
	data = slurp(fd, &len);
	close(fd);

	p = parse_ok(data, len);
	ck_assert_uint_eq(p->minor, FORMAT_MINOR);
	ck_assert_uint_eq(p->nsamples, 2);
	ck_assert_uint_eq(p->sample_flags[0],
	    SAMPLE_STATE | SAMPLE_IDLE | SAMPLE_GIL_KNOWN);
	ck_assert_uint_eq(p->sample_weight[0], 1000000);
	ck_assert_uint_eq(p->sample_flags[1],
	    SAMPLE_STATE | SAMPLE_GIL | SAMPLE_GIL_KNOWN);
	ck_assert_uint_eq(p->sample_weight[1], 4000000);
	ck_assert_uint_eq(p->nthreads, 2);
	t = reader_thread_find(p, 8);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->flags, THREAD_STARTED | THREAD_ENDED);
	ck_assert_int_eq(t->start_us, 2000);
	ck_assert_int_eq(t->end_us, 500000);
	ck_assert_str_eq(t->py_name, "worker-1");
	ck_assert_str_eq(t->os_name, "renamed");
	t = reader_thread_find(p, 7);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->flags, 0);
	ck_assert_str_eq(t->os_name, "python3");
	ck_assert_str_eq(t->py_name, "");
	ck_assert_ptr_null(reader_thread_find(p, 9));
	reader_free(p);
	free(data);
}
END_TEST

/* A writer with its header and CODE "one" flushed to fd. */
static struct writer *
flushed_writer(int fd)
{
	struct writer	*w = writer_create(fd, START_NS);

	ck_assert_ptr_nonnull(w);
	writer_file_header(w);
	writer_kv_begin(w, REC_HEADER);
	writer_kv(w, "k", "v");
	writer_kv_end(w);
	writer_code(w, 1, 1, 0, 0, "one", 3, "x.py", 4, NULL, 0);
	ck_assert_int_eq(writer_flush(w), 0);
	return w;
}

/* Limit the size of files written (0: no limit). */
static void
fsize_limit(uint64_t bytes)
{
	struct rlimit	rl;

	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = bytes != 0 ? (rlim_t)bytes : rl.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/*
 * Write an empty TRAILER, flush, free w and parse fd's file; *data holds
 * the bytes read, to free after the profile.
 */
static struct reader_profile *
finish_parse(struct writer *w, int fd, uint8_t **data)
{
	size_t	len;

	writer_kv_begin(w, REC_TRAILER);
	writer_kv_end(w);
	ck_assert_int_eq(writer_flush(w), 0);
	writer_free(w);
	*data = slurp(fd, &len);
	return parse_ok(*data, len);
}

/*
 * writer_sample_state() returns the stack's id; writer_sample_again()
 * writes another sample of it, with its own time, thread, state and
 * weight, also after a flush.  An empty stack is id 0.
 */
START_TEST(test_sample_again)
{
	struct writer_frame	 f = { 1u << 1, 2 }, g[2] = { { 2u << 1, 5 },
				    { 1u << 1, 3 } };
	struct reader_profile	*p;
	struct writer		*w;
	uint8_t			*data;
	size_t			 len;
	uint64_t		 idf, idg, id0;
	int			 fd = tmp_fd();

	w = flushed_writer(fd);
	writer_code(w, 2, 1, LINETABLE_NONE, 0, "two", 3, "x.py", 4, NULL, 0);
	idf = writer_sample_state(w, START_NS + 1000000, 7, 0, &f, 1, NULL, 0,
	    SAMPLE_STATE, 1000000);
	idg = writer_sample_state(w, START_NS + 2000000, 8, 0, g, 2, NULL, 0,
	    SAMPLE_STATE, 1000000);
	id0 = writer_sample_state(w, START_NS + 2500000, 9, 0, NULL, 0, NULL,
	    0, SAMPLE_STATE, 1000000);
	ck_assert_uint_ne(idf, WRITER_NO_STACK);
	ck_assert_uint_ne(idg, WRITER_NO_STACK);
	ck_assert_uint_ne(idf, idg);
	ck_assert_uint_ne(idf, 0);
	ck_assert_uint_eq(id0, 0);
	ck_assert_int_eq(writer_flush(w), 0);
	writer_sample_again(w, START_NS + 9000000, 7, idf,
	    SAMPLE_STATE | SAMPLE_IDLE, 7000000);
	writer_sample_again(w, START_NS + 10000000, 8, idg, SAMPLE_STATE,
	    3000000);
	ck_assert_int_eq(writer_flush(w), 0);
	writer_free(w);
	data = slurp(fd, &len);
	close(fd);

	p = parse_ok(data, len);
	ck_assert_uint_eq(p->nsamples, 5);
	ck_assert_uint_eq(p->sample_stack[3], p->sample_stack[0]);
	ck_assert_uint_eq(p->sample_stack[4], p->sample_stack[1]);
	ck_assert_uint_ne(p->sample_stack[3], p->sample_stack[4]);
	ck_assert_uint_eq(p->sample_tid[3], 7);
	ck_assert_uint_eq(p->sample_tid[4], 8);
	ck_assert_uint_eq(p->sample_flags[3], SAMPLE_STATE | SAMPLE_IDLE);
	ck_assert_uint_eq(p->sample_weight[3], 7000000);
	ck_assert_uint_eq(p->sample_weight[4], 3000000);
	reader_free(p);
	free(data);
}
END_TEST

/*
 * A stack whose definition a failed flush lost is defined again by
 * writer_sample_again(), which needs no frames to do it.
 */
START_TEST(test_sample_again_redefines)
{
	struct writer		*w;
	struct reader_profile	*p;
	struct writer_frame	 f[2] = { { 1 << 1, 0 }, { 2 << 1, 4 } };
	uint8_t			*data;
	uint64_t		 before, id;
	int			 fd = tmp_fd();

	w = flushed_writer(fd);
	writer_code(w, 2, 2, 0, 0, "two", 3, "x.py", 4, NULL, 0);
	ck_assert_int_eq(writer_flush(w), 0);
	before = writer_bytes(w);

	fsize_limit(before + 10);
	id = writer_sample_state(w, START_NS + 1000, 7, 0, f, 2, NULL, 0,
	    SAMPLE_STATE, 1000000);
	ck_assert_uint_ne(id, WRITER_NO_STACK);
	ck_assert_int_eq(writer_flush(w), -EFBIG);
	ck_assert_uint_eq(writer_bytes(w), before);

	fsize_limit(0);
	writer_sample_again(w, START_NS + 9000, 7, id,
	    SAMPLE_STATE | SAMPLE_IDLE, 8000000);
	/* Not an id the writer gave: nothing written. */
	writer_sample_again(w, START_NS + 9500, 7, id + 1, SAMPLE_STATE, 1);
	p = finish_parse(w, fd, &data);
	ck_assert_uint_eq(p->nsamples, 1);
	ck_assert_uint_eq(p->sample_weight[0], 8000000);
	ck_assert_uint_eq(p->sample_flags[0], SAMPLE_STATE | SAMPLE_IDLE);
	ck_assert_uint_eq(p->stacks[p->sample_stack[0]].nframes, 2);
	ck_assert_str_eq(p->codes[p->stacks[p->sample_stack[0]].frames[1].code].name,
	    "two");
	reader_free(p);
	free(data);
	close(fd);
}
END_TEST

/* A 1.1 SAMPLE has no weight: 0, unknown. */
START_TEST(test_sample_without_weight)
{
	struct bytes		 b = { NULL, 0, 0 };
	struct reader_profile	*p;

	put_file_header(&b, 1, 1);
	put_header_record(&b);
	put_code(&b, 1, "f");
	put_stack(&b, 1, 1);
	put_sample(&b, 5, 3, 1);
	p = parse_ok(b.p, b.len);
	ck_assert_uint_eq(p->nsamples, 1);
	ck_assert_uint_eq(p->sample_weight[0], 0);
	ck_assert_uint_eq(p->sample_flags[0], 0);
	ck_assert_uint_eq(p->nthreads, 0);
	reader_free(p);
	free(b.p);
}
END_TEST

/* A THREAD record whose name runs past its end is named in the error. */
START_TEST(test_bad_thread)
{
	struct bytes	b = { NULL, 0, 0 }, q = { NULL, 0, 0 };

	put_file_header(&b, 1, 2);
	put_header_record(&b);
	put_varint(&q, 5);		/* tid */
	put_varint(&q, THREAD_STARTED);
	put_varint(&q, 0);
	put_varint(&q, 0);
	put_varint(&q, 40);		/* an OS name of 40 bytes... */
	put_raw(&q, "abc", 3);		/* ...that is not there */
	put_record(&b, REC_THREAD, &q);
	parse_fails(b.p, b.len, "THREAD record: OS name runs past the end");
	free(q.p);
	free(b.p);
}
END_TEST

START_TEST(test_versions)
{
	struct bytes		 b = { NULL, 0, 0 };
	struct reader_profile	*p;
	uint8_t			 t = 0x7e;

	put_file_header(&b, 2, 3);
	put_header_record(&b);
	parse_fails(b.p, b.len, "format version 2.3 is newer than this "
	    "pysig-report supports (1.x) (at offset 8)");
	b.len = 0;
	put_file_header(&b, 0, 9);
	put_header_record(&b);
	parse_fails(b.p, b.len, "unknown format version 0.9");

	/* A newer minor version: unknown records and fields are skipped. */
	b.len = 0;
	put_file_header(&b, 1, 7);
	put_header_record(&b);
	put_raw(&b, &t, 1);
	put_varint(&b, 3);
	put_raw(&b, "xyz", 3);
	put_code(&b, 1, "f");
	put_stack(&b, 1, 1);
	{
		/* A SAMPLE with a field from the future. */
		struct bytes	q = { NULL, 0, 0 };

		put_varint(&q, format_zigzag(1));
		put_varint(&q, 2);
		put_varint(&q, 1);
		put_varint(&q, 0);
		put_varint(&q, 99999);
		put_record(&b, REC_SAMPLE, &q);
		free(q.p);
	}
	put_trailer(&b);
	p = parse_ok(b.p, b.len);
	ck_assert_uint_eq(p->minor, 7);
	ck_assert_uint_eq(p->sample_tid[0], 2);
	ck_assert_uint_eq(p->unknown_records, 1);
	ck_assert_uint_eq(p->nsamples, 1);
	reader_free(p);
	free(b.p);
}
END_TEST

START_TEST(test_not_a_profile)
{
	static const char	text[] = "#!/bin/sh\necho hello, world\n";
	struct bytes		b = { NULL, 0, 0 };

	parse_fails((const uint8_t *)"", 0, "empty file, not a pysig profile "
	    "(at offset 0)");
	parse_fails((const uint8_t *)text, sizeof text - 1,
	    "bad.prof: not a pysig profile (at offset 0)");
	parse_fails((const uint8_t *)"PYS", 3, "file header cut short");
	parse_fails((const uint8_t *)"PYSIGPRF\1", 9, "file header cut short");

	/* The first record must be the HEADER, and only one. */
	put_file_header(&b, 1, 0);
	put_code(&b, 1, "f");
	parse_fails(b.p, b.len, "the first record is not a HEADER (type "
	    "0x02) (at offset 16)");
	b.len = 0;
	put_file_header(&b, 1, 0);
	put_header_record(&b);
	put_header_record(&b);
	parse_fails(b.p, b.len, "second HEADER record");
	b.len = 0;
	put_file_header(&b, 1, 0);
	put_raw(&b, "\x01\x03k\0v", 5);
	parse_fails(b.p, b.len, "HEADER record does not end with a NUL byte");
	b.len = 0;
	put_file_header(&b, 1, 0);
	put_raw(&b, "\x01\x04k\0v\0\x06\x02k\0", 10);
	parse_fails(b.p, b.len, "STATS record has a key without a value");
	free(b.p);
}
END_TEST

START_TEST(test_only_file_header)
{
	struct bytes		 b = { NULL, 0, 0 };
	struct reader_profile	*p;

	put_file_header(&b, 1, 0);
	p = parse_ok(b.p, b.len);
	ck_assert_int_eq(p->truncated, 1);
	ck_assert_uint_eq(p->truncated_at, FORMAT_HEADER_LEN);
	ck_assert_uint_eq(p->nsamples, 0);
	reader_free(p);
	free(b.p);
}
END_TEST

START_TEST(test_mutations)
{
	struct reader_profile	*p;
	uint8_t			*data, *copy;
	size_t			 len, i, n = 0;
	char			*cause;
	unsigned int		 seed = 12345;
	int			 fd = tmp_fd();

	write_sample_profile(fd);
	data = slurp(fd, &len);
	copy = malloc(len);
	/* Random damage: the reader reads or refuses, never crashes. */
	for (i = 0; i < 3000; i++) {
		memcpy(copy, data, len);
		copy[FORMAT_HEADER_LEN + rand_r(&seed) % (len -
		    FORMAT_HEADER_LEN)] ^= (uint8_t)(1 + rand_r(&seed) % 255);
		if (i % 3 == 0)
			copy[FORMAT_HEADER_LEN + rand_r(&seed) % (len -
			    FORMAT_HEADER_LEN)] = (uint8_t)rand_r(&seed);
		p = reader_parse("m.prof", copy, len - (i % 5), &cause);
		if (p == NULL) {
			ck_assert_ptr_nonnull(strstr(cause, "(at offset "));
			free(cause);
			n++;
			continue;
		}
		ck_assert_ptr_null(cause);
		for (size_t k = 0; k < p->nsamples; k++)
			ck_assert_uint_lt(p->sample_stack[k], p->nstacks);
		reader_free(p);
	}
	ck_assert_uint_gt(n, 0);
	free(copy);
	free(data);
	close(fd);
}
END_TEST

START_TEST(test_kv_limits)
{
	struct writer		*w;
	struct reader_profile	*p;
	uint8_t			*data;
	size_t			 len;
	int			 fd = tmp_fd();

	w = writer_create(fd, START_NS);
	writer_file_header(w);
	writer_kv_begin(w, REC_HEADER);
	writer_kv(w, "empty", "");
	writer_kv(w, "", "empty key");
	writer_kv_u64(w, "zero", 0);
	/* Opening a record closes the open one. */
	writer_kv_begin(w, REC_STATS);
	writer_kv(w, "a", "1");
	/* A sample closes the open key/value record too. */
	writer_sample(w, START_NS, 1, 0, NULL, 0);
	writer_kv(w, "ignored", "x");
	writer_kv_end(w);
	ck_assert_int_eq(writer_flush(w), 0);
	writer_free(w);
	data = slurp(fd, &len);
	p = parse_ok(data, len);
	ck_assert_uint_eq(p->header.n, 3);
	ck_assert_str_eq(reader_kv_get(&p->header, "empty"), "");
	ck_assert_str_eq(reader_kv_get(&p->header, ""), "empty key");
	ck_assert_str_eq(reader_kv_get(&p->header, "zero"), "0");
	ck_assert_uint_eq(p->stats.n, 1);
	ck_assert_str_eq(reader_kv_get(&p->stats, "a"), "1");
	ck_assert_uint_eq(p->nsamples, 1);
	reader_free(p);
	free(data);
	close(fd);
}
END_TEST

START_TEST(test_flush_failure)
{
	struct writer		*w;
	int			 fd = open("/dev/full", O_WRONLY);

	ck_assert_int_ge(fd, 0);
	w = writer_create(fd, START_NS);
	writer_file_header(w);
	writer_kv_begin(w, REC_HEADER);
	writer_kv(w, "k", "v");
	writer_kv_end(w);
	ck_assert_int_eq(writer_flush(w), -ENOSPC);
	ck_assert_uint_eq(writer_lost_bytes(w), FORMAT_HEADER_LEN + 6);
	ck_assert_uint_eq(writer_bytes(w), 0);
	/* Still usable; nothing buffered is left to fail again. */
	ck_assert_int_eq(writer_flush(w), 0);
	writer_sample(w, START_NS, 1, 0, NULL, 0);
	ck_assert_int_eq(writer_flush(w), -ENOSPC);
	ck_assert_uint_gt(writer_lost_bytes(w), FORMAT_HEADER_LEN + 6);
	writer_free(w);
	close(fd);
}
END_TEST

/*
 * A write that fails halfway (the file size limit) loses the definitions of
 * a stack and a function: the writer cuts the file back and writes them
 * again, so the file stays readable and complete.
 */
START_TEST(test_flush_redefines)
{
	struct writer		*w;
	struct reader_profile	*p;
	struct writer_frame	 f[2] = { { 1 << 1, 0 }, { 2 << 1, 4 } };
	uint8_t			*data;
	size_t			 len, i;
	uint64_t		 before;
	int			 fd = tmp_fd();

	w = flushed_writer(fd);
	before = writer_bytes(w);

	fsize_limit(before + 100);
	writer_code(w, 2, 2, 0, 0, "two", 3, "x.py", 4, NULL, 0);
	for (i = 0; i < 100; i++)
		writer_sample(w, START_NS + i * 1000, 7, 0, f, 2);
	ck_assert_int_eq(writer_flush(w), -EFBIG);
	ck_assert_uint_eq(writer_bytes(w), before);
	ck_assert_uint_eq((uint64_t)lseek(fd, 0, SEEK_END), before);
	ck_assert_uint_gt(writer_lost_bytes(w), 100);

	fsize_limit(0);
	for (i = 0; i < 10; i++)
		writer_sample(w, START_NS + (100 + i) * 1000, 7, 0, f, 2);
	writer_kv_begin(w, REC_TRAILER);
	writer_kv_end(w);
	ck_assert_int_eq(writer_flush(w), 0);
	ck_assert_uint_eq(writer_stacks(w), 1);
	writer_free(w);

	data = slurp(fd, &len);
	p = parse_ok(data, len);
	ck_assert_int_eq(p->trailer, 1);
	ck_assert_uint_eq(p->nsamples, 10);
	ck_assert_uint_eq(p->ncodes, 2);
	ck_assert_str_eq(p->codes[p->stacks[p->sample_stack[0]].frames[1].code].name,
	    "two");
	reader_free(p);
	free(data);
	close(fd);
}
END_TEST

/*
 * After a failed flush the stacks lost with it are no delta base for later
 * stacks: the list of recent stacks starts again from its first slot.
 */
START_TEST(test_flush_forgets_bases)
{
	struct writer		*w;
	struct reader_profile	*p;
	struct writer_frame	 f[3];
	struct rlimit		 rl;
	uint8_t			*data;
	size_t			 i;
	int			 fd = tmp_fd();

	signal(SIGXFSZ, SIG_IGN);
	w = writer_create(fd, START_NS);
	writer_file_header(w);
	writer_kv_begin(w, REC_HEADER);
	writer_kv(w, "k", "v");
	writer_kv_end(w);
	for (i = 1; i <= 8; i++)
		writer_code(w, (uint32_t)i, 1, 0, 0, "f", 1, "d.py", 4, NULL, 0);
	ck_assert_int_eq(writer_flush(w), 0);

	/* Three stacks sharing two outer frames, lost. */
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = writer_bytes(w) + 10;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	f[1].ref = 7 << 1 | 1;
	f[1].addr = 0;
	f[2].ref = 8 << 1 | 1;
	f[2].addr = 0;
	for (i = 0; i < 3; i++) {
		f[0].ref = (uint32_t)(1 + i) << 1;
		f[0].addr = 0;
		writer_sample(w, START_NS + i * 1000, 7, 0, f, 3);
	}
	ck_assert_int_eq(writer_flush(w), -EFBIG);

	/* Two new stacks with the same outer frames, written. */
	rl.rlim_cur = rl.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	for (i = 3; i < 5; i++) {
		f[0].ref = (uint32_t)(1 + i) << 1;
		writer_sample(w, START_NS + i * 1000, 7, 0, f, 3);
	}
	p = finish_parse(w, fd, &data);
	ck_assert_uint_eq(p->nsamples, 2);
	reader_free(p);
	free(data);
	close(fd);
}
END_TEST

/* Stacks sharing their outer frames are written as small deltas and read
 * back whole. */
START_TEST(test_stack_deltas)
{
	struct writer		*w;
	struct reader_profile	*p;
	struct writer_frame	 f[60];
	uint8_t			*data;
	size_t			 len, base, i, j;
	uint64_t		 bytes;
	int			 fd = tmp_fd();
	const size_t		 n = 2000;

	w = writer_create(fd, START_NS);
	writer_file_header(w);
	writer_kv_begin(w, REC_HEADER);
	writer_kv(w, "pysig", "test");
	writer_kv_end(w);
	for (i = 1; i <= 60; i++)
		writer_code(w, (uint32_t)i, 1, 0, 0, "f", 1, "d.py", 4, NULL, 0);
	ck_assert_int_eq(writer_flush(w), 0);
	base = (size_t)writer_bytes(w);
	/* 50 shared outer frames; 1 to 3 varying inner ones. */
	for (i = 0; i < n; i++) {
		size_t inner = 1 + i % 3;

		for (j = 0; j < inner; j++) {
			f[j].ref = (uint32_t)(51 + j) << 1;
			f[j].addr = (int32_t)(i * 2 + j);
		}
		for (j = 0; j < 50; j++) {
			f[inner + j].ref = (uint32_t)(50 - j) << 1 | 1;
			f[inner + j].addr = (int32_t)(j * 4);
		}
		writer_sample(w, START_NS + i * 1000, 7, 0, f,
		    (unsigned int)(inner + 50));
	}
	ck_assert_int_eq(writer_flush(w), 0);
	ck_assert_uint_eq(writer_stacks(w), n);
	/* Every sample has a new stack, and still costs little. */
	bytes = writer_bytes(w) - base;
	ck_assert_msg(bytes / n <= 24, "%llu bytes a sample",
	    (unsigned long long)(bytes / n));
	writer_free(w);

	data = slurp(fd, &len);
	p = parse_ok(data, len);
	ck_assert_uint_eq(p->nsamples, n);
	for (i = 0; i < n; i++) {
		const struct reader_stack *st = &p->stacks[p->sample_stack[i]];
		size_t inner = 1 + i % 3;

		ck_assert_uint_eq(st->nframes, inner + 50);
		for (j = 0; j < inner; j++) {
			ck_assert_str_eq(p->codes[st->frames[j].code].name, "f");
			ck_assert_int_eq(st->frames[j].addr, (int64_t)(i * 2 + j));
			ck_assert_int_eq(st->frames[j].entry, 0);
		}
		for (j = 0; j < 50; j++) {
			ck_assert_int_eq(st->frames[inner + j].addr,
			    (int64_t)(j * 4));
			ck_assert_int_eq(st->frames[inner + j].entry, 1);
		}
	}
	reader_free(p);
	free(data);
	close(fd);
}
END_TEST

/* Append a STACK record with a base, kept frames and one frame of its own. */
static void
put_delta(struct bytes *b, uint64_t id, uint64_t base, uint64_t keep)
{
	struct bytes	p = { NULL, 0, 0 };

	put_varint(&p, id);
	put_varint(&p, 0);
	put_varint(&p, base);
	put_varint(&p, keep);
	put_varint(&p, 1);
	put_varint(&p, 1 << 1);
	put_varint(&p, 0);
	put_record(b, REC_STACK, &p);
	free(p.p);
}

/* Bad deltas are errors naming the record. */
START_TEST(test_bad_deltas)
{
	struct bytes	b = { NULL, 0, 0 };
	size_t		at;

	put_file_header(&b, FORMAT_MAJOR, FORMAT_MINOR);
	put_header_record(&b);
	put_code(&b, 1, "f");
	put_stack(&b, 1, 1);
	at = b.len;
	put_delta(&b, 2, 9, 1);
	parse_fails(b.p, b.len, "base stack 9 is not defined before it");
	b.len = at;
	put_delta(&b, 2, 1, 2);
	parse_fails(b.p, b.len, "keeps 2 frames of stack 1, which has 1");
	b.len = at;
	put_delta(&b, 2, 0, 1);
	parse_fails(b.p, b.len, "keeps frames of no base stack");
	/* A base defined later is not accepted either. */
	b.len = at;
	put_delta(&b, 3, 4, 1);
	put_stack(&b, 4, 1);
	parse_fails(b.p, b.len, "base stack 4 is not defined before it");
	free(b.p);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("format");
	TCase	*tc = tcase_create("format");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_varint_edges);
	tcase_add_test(tc, test_zigzag);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_stack_deltas);
	tcase_add_test(tc, test_bad_deltas);
	tcase_add_test(tc, test_load_path);
	tcase_add_test(tc, test_dedup);
	tcase_add_test(tc, test_distinct_stacks);
	tcase_add_test(tc, test_truncated_everywhere);
	tcase_add_test(tc, test_truncated_unresolved);
	tcase_add_test(tc, test_forward_references);
	tcase_add_test(tc, test_undefined_ids);
	tcase_add_test(tc, test_corrupt_length);
	tcase_add_test(tc, test_versions);
	tcase_add_test(tc, test_threads_round_trip);
	tcase_add_test(tc, test_sample_again);
	tcase_add_test(tc, test_sample_again_redefines);
	tcase_add_test(tc, test_sample_without_weight);
	tcase_add_test(tc, test_bad_thread);
	tcase_add_test(tc, test_not_a_profile);
	tcase_add_test(tc, test_only_file_header);
	tcase_add_test(tc, test_mutations);
	tcase_add_test(tc, test_kv_limits);
	tcase_add_test(tc, test_flush_failure);
	tcase_add_test(tc, test_flush_redefines);
	tcase_add_test(tc, test_flush_forgets_bases);
	tcase_add_test(tc, test_native_round_trip);
	tcase_add_test(tc, test_native_bad_keep);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
