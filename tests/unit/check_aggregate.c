/*
 * Unit tests for aggregation (src/aggregate.c): profiles written with the
 * writer, read back with the reader and aggregated.
 */

#include "config.h"

#include <check.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aggregate.h"
#include "format.h"
#include "reader.h"
#include "writer.h"

#define START_NS	1000000000ULL

/* A profile being written to an unlinked temporary file. */
struct tprof {
	int		 fd;
	struct writer	*w;
	uint64_t	 now;
};

/* co_lnotab of 3.8: offsets 0-5 line first+1, 6-9 first+3, 10+ first+4. */
static const uint8_t lnotab[] = { 0, 1, 6, 2, 4, 1 };

static void
tprof_open(struct tprof *t)
{
	char	path[] = "/tmp/check_aggregate.XXXXXX";

	t->fd = mkstemp(path);
	ck_assert_int_ge(t->fd, 0);
	unlink(path);
	t->w = writer_create(t->fd, START_NS);
	ck_assert_ptr_nonnull(t->w);
	t->now = START_NS;
	writer_file_header(t->w);
	writer_kv_begin(t->w, REC_HEADER);
	writer_kv(t->w, "pysig", "test");
	writer_kv_end(t->w);
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
tprof_sample(struct tprof *t, unsigned int flags, const char *stack,
    int count)
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
		writer_sample(t->w, t->now, 1, flags, r, n);
	}
}

/* Finish the file and read it back. */
static struct reader_profile *
tprof_read(struct tprof *t)
{
	struct reader_profile	*p;
	struct stat		 sb;
	uint8_t			*data;
	char			*cause;

	writer_kv_begin(t->w, REC_TRAILER);
	writer_kv_u64(t->w, "duration_ns", t->now - START_NS);
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
	return p;
}

/* The function called name (in file, if given). */
static const struct aggregate_func *
func(const struct aggregate *agg, const char *name, const char *file)
{
	size_t	i;

	for (i = 0; i < agg->nfuncs; i++) {
		if (strcmp(agg->funcs[i].name, name) == 0 &&
		    (file == NULL || strcmp(agg->funcs[i].file, file) == 0))
			return &agg->funcs[i];
	}
	ck_abort_msg("no function %s", name);
	return NULL;
}

/* Aggregate profiles and finish. */
static struct aggregate *
aggregate(struct reader_profile **p, size_t n)
{
	struct aggregate	*agg = aggregate_create();
	size_t			 i;

	ck_assert_ptr_nonnull(agg);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(aggregate_add(agg, p[i]), 0);
	ck_assert_int_eq(aggregate_finish(agg), 0);
	return agg;
}

/* The collapsed output as one string, "line count\n" each. */
static char *
collapsed(const struct aggregate *agg)
{
	struct aggregate_line	*lines;
	size_t			 n, i, len = 0;
	char			*s;

	ck_assert_int_eq(aggregate_collapsed(agg, &lines, &n), 0);
	for (i = 0; i < n; i++)
		len += strlen(lines[i].text) + 32;
	s = calloc(1, len + 1);
	for (i = 0; i < n; i++)
		sprintf(s + strlen(s), "%s %llu\n", lines[i].text,
		    (unsigned long long)lines[i].count);
	aggregate_lines_free(lines, n);
	return s;
}

/*
 * Native stand-ins for the interpreter and an extension: functions of this
 * program, symbolized from its own file.  Their bodies differ so that the
 * compiler cannot fold them into one.
 */
static volatile int	native_sink[8];

static void __attribute__((noinline, used))
_PyEval_EvalFrameDefault(void)
{
	native_sink[0]++;
}

static void __attribute__((noinline, used))
stripped_eval(void)
{
	native_sink[1] += 2;
}

static void __attribute__((noinline, used))
PyObject_Call(void)
{
	native_sink[2] += 3;
}

static void __attribute__((noinline, used))
ext_func(void)
{
	native_sink[3] += 4;
}

static void __attribute__((noinline, used))
ext_burn(void)
{
	native_sink[4] += 5;
}

static void __attribute__((noinline, used))
fake_main(void)
{
	native_sink[5] += 6;
}

/* Where this program's code is: dl_iterate_phdr() callback. */
static int
native_find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
	uint64_t	*range = arg, lo = UINT64_MAX, hi = 0, a;
	int		 i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		a = info->dlpi_addr + ph->p_vaddr;
		if (a < lo)
			lo = a;
		if (a + ph->p_memsz > hi)
			hi = a + ph->p_memsz;
	}
	if (range[3] < lo || range[3] >= hi)
		return 0;
	range[0] = lo;
	range[1] = hi;
	range[2] = info->dlpi_addr;
	return 1;
}

/* The frame names of a collapsed line, without their "(where)". */
static void
native_names(const char *line, char *out, size_t size)
{
	const char	*p = line, *end, *paren;
	size_t		 n = 0, k;

	out[0] = '\0';
	while (*p != '\0' && *p != ' ') {
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		paren = strstr(p, " (");
		k = (size_t)((paren != NULL && paren < end ? paren : end) - p);
		if (paren == NULL || paren > end) {
			/* The last frame: the count follows a space. */
			const char *sp = strrchr(p, ' ');

			if (sp != NULL && sp < end)
				k = (size_t)(sp - p);
		}
		ck_assert_uint_lt(n + k + 2, size);
		if (n != 0)
			out[n++] = ';';
		memcpy(out + n, p, k);
		n += k;
		out[n] = '\0';
		if (*end == '\0')
			break;
		p = end + 1;
	}
}

/* The single stack of an aggregate, as frame names. */
static void
native_only_line(struct aggregate *agg, char *names, size_t size)
{
	struct aggregate_line	*lines;
	size_t			 n;

	ck_assert_int_eq(aggregate_collapsed(agg, &lines, &n), 0);
	ck_assert_uint_eq(n, 1);
	native_names(lines[0].text, names, size);
	aggregate_lines_free(lines, n);
}

/* Aggregate a profile with filters: focus and exclude expressions. */
static struct aggregate *
aggregate_filtered(struct reader_profile *p, const char **focus,
    const char **exclude)
{
	struct aggregate	*agg = aggregate_create();
	char			*cause;

	ck_assert_ptr_nonnull(agg);
	for (; focus != NULL && *focus != NULL; focus++)
		ck_assert_int_eq(aggregate_focus(agg, *focus, &cause), 0);
	for (; exclude != NULL && *exclude != NULL; exclude++)
		ck_assert_int_eq(aggregate_exclude(agg, *exclude, &cause), 0);
	ck_assert_int_eq(aggregate_add(agg, p), 0);
	ck_assert_int_eq(aggregate_finish(agg), 0);
	return agg;
}

/*
 * A stack of <module> -> caller -> (C) ext_func -> callback -> (C)
 * ext_burn, recorded as the handler does (native addresses leaf first, the
 * first the interrupted instruction), merged, folded or not, and viewed
 * Python-only and native-only; and a sample whose stacks do not match.
 */
START_TEST(test_native_views)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct aggregate	*agg;
	struct writer_frame	 f[3];
	uint64_t		 range[4] = { 0, 0, 0, 0 }, nat[8];
	char			 path[4096], hex[32], names[1024];
	char			 where[4096];
	ssize_t			 len;
	enum aggregate_view	 views[] = { AGGREGATE_VIEW_MIXED,
				     AGGREGATE_VIEW_MIXED, AGGREGATE_VIEW_PYTHON,
				     AGGREGATE_VIEW_NATIVE };
	static const char	*want[] = {
		"fake_main;<module>;caller;ext_func;callback;ext_burn",
		"fake_main;<module>;caller;PyObject_Call;ext_func;callback;"
		    "PyObject_Call;ext_burn",
		"<module>;caller;callback",
		"fake_main;_PyEval_EvalFrameDefault;stripped_eval;"
		    "PyObject_Call;ext_func;_PyEval_EvalFrameDefault;"
		    "PyObject_Call;ext_burn",
	};
	size_t			 v;

	range[3] = (uint64_t)(uintptr_t)ext_burn;
	ck_assert_int_eq(dl_iterate_phdr(native_find_self, range), 1);
	len = readlink("/proc/self/exe", path, sizeof path - 1);
	ck_assert_int_gt(len, 0);
	path[len] = '\0';

	memset(&t, 0, sizeof t);
	{
		char	tmp[] = "/tmp/check_aggregate.XXXXXX";

		t.fd = mkstemp(tmp);
		ck_assert_int_ge(t.fd, 0);
		unlink(tmp);
	}
	t.w = writer_create(t.fd, START_NS);
	t.now = START_NS;
	writer_file_header(t.w);
	writer_kv_begin(t.w, REC_HEADER);
	/* stripped_eval is an eval frame by its recorded range alone. */
	snprintf(hex, sizeof hex, "%llx",
	    (unsigned long long)(uintptr_t)stripped_eval);
	writer_kv(t.w, "eval_start", hex);
	snprintf(hex, sizeof hex, "%llx",
	    (unsigned long long)(uintptr_t)stripped_eval + 2);
	writer_kv(t.w, "eval_end", hex);
	writer_kv_end(t.w);
	writer_mapping(t.w, range[0], range[1], range[2], MAPPING_INTERPRETER,
	    NULL, 0, path);
	tprof_code(&t, 1, "<module>", "m.py", 1);
	tprof_code(&t, 2, "caller", "m.py", 10);
	tprof_code(&t, 3, "callback", "m.py", 20);
	f[0].ref = 3 << 1 | 1;
	f[1].ref = 2 << 1 | 1;
	f[2].ref = 1 << 1 | 1;
	f[0].addr = f[1].addr = f[2].addr = 0;
	/* Return addresses point just past a call: inside the caller. */
	nat[0] = (uint64_t)(uintptr_t)ext_burn;
	nat[1] = (uint64_t)(uintptr_t)PyObject_Call + 1;
	nat[2] = (uint64_t)(uintptr_t)_PyEval_EvalFrameDefault + 1;
	nat[3] = (uint64_t)(uintptr_t)ext_func + 1;
	nat[4] = (uint64_t)(uintptr_t)PyObject_Call + 1;
	nat[5] = (uint64_t)(uintptr_t)stripped_eval + 1;
	nat[6] = (uint64_t)(uintptr_t)_PyEval_EvalFrameDefault + 1;
	nat[7] = (uint64_t)(uintptr_t)fake_main + 1;
	t.now += 4000000;
	writer_sample_native(t.w, t.now, 1, STACK_NATIVE, f, 3, nat, 8);
	p = tprof_read(&t);

	for (v = 0; v < sizeof views / sizeof views[0]; v++) {
		agg = aggregate_create();
		ck_assert_ptr_nonnull(agg);
		agg->view = views[v];
		agg->no_fold = v == 1;
		ck_assert_int_eq(aggregate_add(agg, p), 0);
		ck_assert_int_eq(aggregate_finish(agg), 0);
		native_only_line(agg, names, sizeof names);
		ck_assert_str_eq(names, want[v]);
		if (views[v] == AGGREGATE_VIEW_MIXED) {
			ck_assert_uint_eq(agg->native_samples, 1);
			ck_assert_uint_eq(agg->merge_mismatch, 0);
			ck_assert(func(agg, "ext_burn", NULL)->native);
			ck_assert(!func(agg, "callback", NULL)->native);
			ck_assert_uint_eq(func(agg, "ext_burn", NULL)->self, 1);
			/* "check_aggregate.c:LINE" with DWARF, else the
			 * program's name. */
			aggregate_where(func(agg, "ext_func", NULL), 1, where,
			    sizeof where);
			ck_assert_msg(strncmp(where, "check_aggregate", 15) ==
			    0, "ext_func is at %s", where);
		}
		aggregate_free(agg);
	}

	/*
	 * Focus and exclude see native frames in the mixed view: by name, by
	 * "file.c:line" or object file, by object file.
	 */
	{
		const char	*name[] = { "^ext_burn$", NULL };
		const char	*place[] = { "^check_aggregate", NULL };
		const char	*gone[] = { "^stripped_eval$", NULL };
		char		 module[4200];
		const char	*mod[] = { module, NULL };

		snprintf(module, sizeof module, "^%s$", strrchr(path, '/') + 1);
		agg = aggregate_filtered(p, name, NULL);
		ck_assert_uint_eq(agg->samples, 1);
		aggregate_free(agg);
		agg = aggregate_filtered(p, place, NULL);
		ck_assert_uint_eq(agg->samples, 1);
		aggregate_free(agg);
		agg = aggregate_filtered(p, NULL, mod);
		ck_assert_uint_eq(agg->samples, 0);
		aggregate_free(agg);
		/* Folded away in the mixed view: nothing to match. */
		agg = aggregate_filtered(p, gone, NULL);
		ck_assert_uint_eq(agg->samples, 0);
		aggregate_free(agg);
	}
	reader_free(p);

	/* Only <module> on the Python side: three eval frames, a mismatch. */
	memset(&t, 0, sizeof t);
	tprof_open(&t);
	writer_mapping(t.w, range[0], range[1], range[2], MAPPING_INTERPRETER,
	    NULL, 0, path);
	tprof_code(&t, 1, "<module>", "m.py", 1);
	nat[5] = (uint64_t)(uintptr_t)_PyEval_EvalFrameDefault + 1;
	t.now += 4000000;
	writer_sample_native(t.w, t.now, 1, STACK_NATIVE, f + 2, 1, nat, 8);
	p = tprof_read(&t);
	agg = aggregate_create();
	ck_assert_int_eq(aggregate_add(agg, p), 0);
	ck_assert_int_eq(aggregate_finish(agg), 0);
	native_only_line(agg, names, sizeof names);
	ck_assert_str_eq(names, "<module>");
	ck_assert_uint_eq(agg->native_samples, 1);
	ck_assert_uint_eq(agg->merge_mismatch, 1);
	aggregate_free(agg);
	reader_free(p);

	/*
	 * Taken while C entered Python, its frames unknown: the native stack
	 * under a pseudo-frame in the mixed view, not a mismatch; the
	 * pseudo-frame alone in the Python view; the native stack alone in
	 * the native view.
	 */
	memset(&t, 0, sizeof t);
	tprof_open(&t);
	writer_mapping(t.w, range[0], range[1], range[2], MAPPING_INTERPRETER,
	    NULL, 0, path);
	t.now += 4000000;
	writer_sample_native(t.w, t.now, 1, STACK_NATIVE | STACK_ENTERING, f,
	    0, nat, 8);
	p = tprof_read(&t);
	for (v = 0; v < 3; v++) {
		static const char *entering[] = {
			"[entering Python];fake_main;_PyEval_EvalFrameDefault;"
			    "_PyEval_EvalFrameDefault;PyObject_Call;ext_func;"
			    "_PyEval_EvalFrameDefault;PyObject_Call;ext_burn",
			"[entering Python]",
			"fake_main;_PyEval_EvalFrameDefault;"
			    "_PyEval_EvalFrameDefault;PyObject_Call;ext_func;"
			    "_PyEval_EvalFrameDefault;PyObject_Call;ext_burn",
		};
		static const enum aggregate_view ev[] = { AGGREGATE_VIEW_MIXED,
			AGGREGATE_VIEW_PYTHON, AGGREGATE_VIEW_NATIVE };

		agg = aggregate_create();
		ck_assert_ptr_nonnull(agg);
		agg->view = ev[v];
		ck_assert_int_eq(aggregate_add(agg, p), 0);
		ck_assert_int_eq(aggregate_finish(agg), 0);
		if (ev[v] == AGGREGATE_VIEW_PYTHON) {
			/* native_names() cuts a name at its space. */
			char *c = collapsed(agg);

			snprintf(names, sizeof names, "%s 1\n", entering[v]);
			ck_assert_str_eq(c, names);
			free(c);
		} else {
			native_only_line(agg, names, sizeof names);
			ck_assert_str_eq(names, entering[v]);
		}
		ck_assert_uint_eq(agg->merge_mismatch, 0);
		aggregate_free(agg);
	}
	reader_free(p);
}
END_TEST

START_TEST(test_recursion)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct aggregate	*agg;
	const struct aggregate_node *n;
	char			*s;

	tprof_open(&t);
	tprof_code(&t, 1, "a", "r.py", 10);
	tprof_code(&t, 2, "b", "r.py", 20);
	tprof_code(&t, 3, "c", "r.py", 30);
	/* a -> b -> a -> b, three times; a -> c once. */
	tprof_sample(&t, 0, "1:0 2:0 1:6 2:10", 3);
	tprof_sample(&t, 0, "1:0 3:0", 1);
	p = tprof_read(&t);
	agg = aggregate(&p, 1);

	ck_assert_uint_eq(agg->samples, 4);
	ck_assert_uint_eq(agg->files, 1);
	ck_assert_uint_eq(agg->duration_ns, 16000000);
	/* Once per sample however often a function is on the stack. */
	ck_assert_uint_eq(func(agg, "a", NULL)->total, 4);
	ck_assert_uint_eq(func(agg, "a", NULL)->self, 0);
	ck_assert_uint_eq(func(agg, "b", NULL)->total, 3);
	ck_assert_uint_eq(func(agg, "b", NULL)->self, 3);
	ck_assert_uint_eq(func(agg, "c", NULL)->total, 1);
	ck_assert_uint_eq(func(agg, "c", NULL)->self, 1);
	ck_assert_int_eq(func(agg, "b", NULL)->firstlineno, 20);

	/* The tree: root -> a (line 11) -> b, c; children by count. */
	ck_assert_uint_eq(agg->nodes[0].total, 4);
	n = &agg->nodes[agg->nodes[0].child];
	ck_assert_str_eq(agg->funcs[n->func].name, "a");
	ck_assert_int_eq(n->line, 11);
	ck_assert_uint_eq(n->total, 4);
	ck_assert_uint_eq(n->sibling, AGGREGATE_NONE);
	n = &agg->nodes[n->child];
	ck_assert_str_eq(agg->funcs[n->func].name, "b");
	ck_assert_uint_eq(n->total, 3);
	ck_assert_uint_eq(n->depth, 2);
	ck_assert_str_eq(agg->funcs[agg->nodes[n->sibling].func].name, "c");
	ck_assert_uint_eq(agg->nodes[n->sibling].total, 1);
	n = &agg->nodes[n->child];
	ck_assert_str_eq(agg->funcs[n->func].name, "a");
	ck_assert_int_eq(n->line, 13);		/* offset 6 */
	n = &agg->nodes[n->child];
	ck_assert_str_eq(agg->funcs[n->func].name, "b");
	ck_assert_int_eq(n->line, 24);		/* offset 10 */
	ck_assert_uint_eq(n->self, 3);
	ck_assert_uint_eq(n->child, AGGREGATE_NONE);

	s = collapsed(agg);
	ck_assert_str_eq(s,
	    "a (r.py:11);b (r.py:21);a (r.py:13);b (r.py:24) 3\n"
	    "a (r.py:11);c (r.py:31) 1\n");
	free(s);
	aggregate_free(agg);
	reader_free(p);
}
END_TEST

START_TEST(test_pseudo_frames)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct aggregate	*agg;
	char			*s;

	tprof_open(&t);
	tprof_code(&t, 1, "main", "m.py", 1);
	tprof_code(&t, 2, "leaf", "m.py", 5);
	tprof_sample(&t, STACK_NOPY, "", 5);
	tprof_sample(&t, 0, "", 4);
	tprof_sample(&t, STACK_TRUNCATED, "1:0 2:0", 3);
	tprof_sample(&t, STACK_INVALID, "2:6", 2);
	tprof_sample(&t, STACK_FAULT, "", 1);
	tprof_sample(&t, STACK_TRUNCATED | STACK_FAULT, "2:0", 1);
	tprof_sample(&t, 0, "1:0 2:0", 6);
	tprof_sample(&t, STACK_ENTERING, "", 3);
	p = tprof_read(&t);
	agg = aggregate(&p, 1);

	ck_assert_uint_eq(agg->samples, 25);
	ck_assert_uint_eq(func(agg, AGGREGATE_ENTERING, NULL)->self, 3);
	ck_assert_int_eq(func(agg, AGGREGATE_ENTERING, NULL)->pseudo, 1);
	ck_assert_uint_eq(func(agg, AGGREGATE_NOPY, NULL)->self, 5);
	ck_assert_int_eq(func(agg, AGGREGATE_NOPY, NULL)->pseudo, 1);
	ck_assert_uint_eq(func(agg, AGGREGATE_EMPTY, NULL)->self, 4);
	ck_assert_uint_eq(func(agg, AGGREGATE_TRUNCATED, NULL)->total, 4);
	ck_assert_uint_eq(func(agg, AGGREGATE_TRUNCATED, NULL)->self, 0);
	ck_assert_uint_eq(func(agg, AGGREGATE_INVALID, NULL)->total, 4);
	ck_assert_uint_eq(func(agg, AGGREGATE_INVALID, NULL)->self, 1);
	ck_assert_uint_eq(func(agg, "leaf", NULL)->self, 12);
	ck_assert_uint_eq(func(agg, "main", NULL)->total, 9);
	ck_assert_int_eq(func(agg, "main", NULL)->pseudo, 0);

	s = collapsed(agg);
	ck_assert_str_eq(s,
	    "[entering Python] 3\n"
	    "[invalid frame] 1\n"
	    "[invalid frame];leaf (m.py:8) 2\n"
	    "[no Python frames] 4\n"
	    "[thread without Python] 5\n"
	    "[truncated];[invalid frame];leaf (m.py:6) 1\n"
	    "[truncated];main (m.py:2);leaf (m.py:6) 3\n"
	    "main (m.py:2);leaf (m.py:6) 6\n");
	free(s);
	aggregate_free(agg);
	reader_free(p);
}
END_TEST

START_TEST(test_merge_files)
{
	struct tprof		 t;
	struct reader_profile	*p[2];
	struct aggregate	*agg;
	char			*s;

	/* The same functions under other code ids in the second file. */
	tprof_open(&t);
	tprof_code(&t, 1, "main", "app.py", 1);
	tprof_code(&t, 2, "work", "app.py", 10);
	tprof_sample(&t, 0, "1:0 2:0", 5);
	tprof_sample(&t, 0, "1:0", 1);
	p[0] = tprof_read(&t);
	tprof_open(&t);
	tprof_code(&t, 7, "work", "app.py", 10);
	tprof_code(&t, 8, "main", "app.py", 1);
	tprof_code(&t, 9, "work", "other.py", 10);	/* another function */
	tprof_code(&t, 10, "work", "app.py", 10);	/* a re-created code */
	tprof_sample(&t, 0, "8:0 7:0", 2);
	tprof_sample(&t, 0, "8:0 10:0", 1);
	tprof_sample(&t, 0, "8:0 9:6", 4);
	p[1] = tprof_read(&t);
	agg = aggregate(p, 2);

	ck_assert_uint_eq(agg->files, 2);
	ck_assert_uint_eq(agg->samples, 13);
	ck_assert_uint_eq(agg->durations, 2);
	ck_assert_uint_eq(agg->duration_ns, 13 * 4000000ULL);
	ck_assert_uint_eq(agg->nfuncs, 3);
	ck_assert_uint_eq(func(agg, "main", NULL)->total, 13);
	ck_assert_uint_eq(func(agg, "main", NULL)->self, 1);
	ck_assert_uint_eq(func(agg, "work", "app.py")->self, 8);
	ck_assert_uint_eq(func(agg, "work", "other.py")->self, 4);
	/* Tree nodes merge too: one "main" child of the root. */
	ck_assert_uint_eq(agg->nodes[agg->nodes[0].child].total, 13);
	ck_assert_uint_eq(agg->nodes[agg->nodes[0].child].sibling,
	    AGGREGATE_NONE);

	s = collapsed(agg);
	ck_assert_str_eq(s,
	    "main (app.py:2) 1\n"
	    "main (app.py:2);work (app.py:11) 8\n"
	    "main (app.py:2);work (other.py:13) 4\n");
	free(s);
	aggregate_free(agg);
	reader_free(p[0]);
	reader_free(p[1]);
}
END_TEST

START_TEST(test_sample_list)
{
	struct tprof		 t;
	struct reader_profile	*p[2];
	struct aggregate	*agg;
	const struct aggregate_sample *as;
	const struct aggregate_node *leaf;
	size_t			 i;

	tprof_open(&t);
	tprof_code(&t, 1, "main", "app.py", 1);
	tprof_code(&t, 2, "work", "app.py", 10);
	tprof_sample(&t, 0, "1:0 2:0", 2);
	tprof_sample(&t, 0, "1:0", 1);
	tprof_sample(&t, 0, "1:0 2:6", 1);
	p[0] = tprof_read(&t);
	tprof_open(&t);
	tprof_code(&t, 5, "work", "app.py", 10);
	tprof_code(&t, 6, "main", "app.py", 1);
	tprof_sample(&t, 0, "6:0 5:0", 1);
	p[1] = tprof_read(&t);

	agg = aggregate_create();
	ck_assert_ptr_nonnull(agg);
	agg->keep_samples = 1;
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(aggregate_add(agg, p[i]), 0);
	ck_assert_int_eq(aggregate_finish(agg), 0);

	/* Every sample, in order, with its file, time and leaf node. */
	ck_assert_uint_eq(agg->nsample_list, 5);
	for (i = 0; i < agg->nsample_list; i++) {
		as = &agg->sample_list[i];
		ck_assert_uint_eq(as->file, i < 4 ? 0 : 1);
		ck_assert_uint_eq(as->tid, 1);
		ck_assert_int_eq(as->time_us, i < 4 ? 4000 * (int64_t)(i + 1) :
		    4000);
		leaf = &agg->nodes[as->node];
		ck_assert_str_eq(agg->funcs[leaf->func].name,
		    i == 2 ? "main" : "work");
		ck_assert_int_eq(leaf->line, i == 3 ? 13 : i == 2 ? 2 : 11);
	}
	/* The same leaf for the same function and line in both files. */
	ck_assert_uint_eq(agg->sample_list[0].node, agg->sample_list[4].node);
	aggregate_free(agg);

	/* Not kept unless asked for. */
	agg = aggregate(p, 2);
	ck_assert_uint_eq(agg->nsample_list, 0);
	ck_assert_ptr_null(agg->sample_list);
	aggregate_free(agg);
	reader_free(p[0]);
	reader_free(p[1]);
}
END_TEST

/*
 * Threads: a root per thread named by its Python or OS name, the filters,
 * and samples counted in timer periods by their weight.
 */
START_TEST(test_threads)
{
	struct writer_frame	 main_f = { 1u << 1, 0 }, work_f[2];
	struct reader_profile	*p;
	struct aggregate	*agg;
	struct writer		*w;
	struct stat		 sb;
	uint8_t			*data;
	char			 path[] = "/tmp/check_aggregate.XXXXXX", *cause;
	char			*s;
	int			 fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	w = writer_create(fd, START_NS);
	ck_assert_ptr_nonnull(w);
	writer_file_header(w);
	writer_kv_begin(w, REC_HEADER);
	writer_kv(w, "pid", "42");
	writer_kv(w, "rate", "1000");		/* a period of 1 ms */
	writer_kv(w, "arg", "python3");
	writer_kv(w, "arg", "app.py");
	writer_kv_end(w);
	writer_code(w, 1, 1, LINETABLE_LNOTAB, 0, "main", 4, "app.py", 6,
	    lnotab, sizeof lnotab);
	writer_code(w, 2, 10, LINETABLE_LNOTAB, 0, "work", 4, "app.py", 6,
	    lnotab, sizeof lnotab);
	work_f[0].ref = 2u << 1;
	work_f[0].addr = 0;
	work_f[1] = main_f;
	writer_thread(w, 10, 0, 0, 0, "python3", "");
	writer_thread(w, 11, THREAD_STARTED, START_NS, 0, "python3", "worker");
	/* Thread 10: 3 idle samples of main.  Thread 11: a sample standing
	 * for 4 periods holding the GIL, and one running without it. */
	writer_sample_state(w, START_NS + 1000000, 10, 0, &main_f, 1, NULL,
	    0, SAMPLE_STATE | SAMPLE_IDLE, 1000000);
	writer_sample_state(w, START_NS + 2000000, 10, 0, &main_f, 1, NULL,
	    0, SAMPLE_STATE | SAMPLE_IDLE, 1000000);
	writer_sample_state(w, START_NS + 3000000, 10, 0, &main_f, 1, NULL,
	    0, SAMPLE_STATE | SAMPLE_IDLE, 1000000);
	writer_sample_state(w, START_NS + 4000000, 11, 0, work_f, 2, NULL, 0,
	    SAMPLE_STATE | SAMPLE_GIL | SAMPLE_GIL_KNOWN, 4000000);
	writer_sample_state(w, START_NS + 5000000, 11, 0, work_f, 2, NULL, 0,
	    SAMPLE_STATE | SAMPLE_GIL_KNOWN, 1000000);
	ck_assert_int_eq(writer_flush(w), 0);
	writer_free(w);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	data = malloc((size_t)sb.st_size);
	ck_assert_int_eq(pread(fd, data, (size_t)sb.st_size, 0), sb.st_size);
	close(fd);
	p = reader_parse("t.prof", data, (size_t)sb.st_size, &cause);
	if (p == NULL)
		ck_abort_msg("%s", cause);
	free(data);

	/* Counted in periods: 3 + 4 + 1; 8 ms of samples, 3 idle. */
	agg = aggregate(&p, 1);
	ck_assert_uint_eq(agg->samples, 8);
	ck_assert_uint_eq(agg->weight_ns, 8000000);
	ck_assert_uint_eq(agg->idle, 3);
	s = collapsed(agg);
	ck_assert_str_eq(s,
	    "main (app.py:2) 3\n"
	    "main (app.py:2);work (app.py:11) 5\n");
	free(s);
	aggregate_free(agg);

	/* A root per process and per thread, named; kept samples carry
	 * their weight and flags. */
	agg = aggregate_create();
	ck_assert_ptr_nonnull(agg);
	agg->per_process = 1;
	agg->per_thread = 1;
	agg->keep_samples = 1;
	ck_assert_int_eq(aggregate_add(agg, p), 0);
	ck_assert_int_eq(aggregate_finish(agg), 0);
	s = collapsed(agg);
	ck_assert_str_eq(s,
	    "[process 42 python3 app.py];[thread 10 python3];"
	    "main (app.py:2) 3\n"
	    "[process 42 python3 app.py];[thread 11 worker];main (app.py:2);"
	    "work (app.py:11) 5\n");
	free(s);
	ck_assert_uint_eq(agg->nsample_list, 5);
	ck_assert_uint_eq(agg->sample_list[0].tid, 10);
	ck_assert_uint_eq(agg->sample_list[0].flags,
	    SAMPLE_STATE | SAMPLE_IDLE);
	ck_assert_uint_eq(agg->sample_list[3].tid, 11);
	ck_assert_uint_eq(agg->sample_list[3].weight_ns, 4000000);
	ck_assert_str_eq(agg->funcs[agg->nodes[agg->nodes[
	    agg->sample_list[3].node].parent].parent].name,
	    "[thread 11 worker]");
	aggregate_free(agg);

	/* Filters: not idle; holding the GIL; a thread by name, by id. */
	agg = aggregate_create();
	ck_assert_ptr_nonnull(agg);
	agg->no_idle = 1;
	ck_assert_int_eq(aggregate_add(agg, p), 0);
	ck_assert_int_eq(aggregate_finish(agg), 0);
	ck_assert_uint_eq(agg->samples, 5);
	ck_assert_uint_eq(agg->filtered, 3);
	aggregate_free(agg);
	agg = aggregate_create();
	ck_assert_ptr_nonnull(agg);
	agg->gil_only = 1;
	ck_assert_int_eq(aggregate_add(agg, p), 0);
	ck_assert_int_eq(aggregate_finish(agg), 0);
	ck_assert_uint_eq(agg->samples, 4);
	aggregate_free(agg);
	agg = aggregate_create();
	ck_assert_ptr_nonnull(agg);
	agg->thread = "worker";
	ck_assert_int_eq(aggregate_add(agg, p), 0);
	ck_assert_int_eq(aggregate_finish(agg), 0);
	ck_assert_uint_eq(agg->samples, 5);
	aggregate_free(agg);
	agg = aggregate_create();
	ck_assert_ptr_nonnull(agg);
	agg->thread = "10";
	ck_assert_int_eq(aggregate_add(agg, p), 0);
	ck_assert_int_eq(aggregate_finish(agg), 0);
	ck_assert_uint_eq(agg->samples, 3);
	ck_assert_uint_eq(func(agg, "main", NULL)->self, 3);
	aggregate_free(agg);
	reader_free(p);
}
END_TEST

START_TEST(test_by_self)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct aggregate	*agg;
	uint32_t		*order;

	tprof_open(&t);
	tprof_code(&t, 1, "main", "s.py", 1);
	tprof_code(&t, 2, "x", "s.py", 5);
	tprof_code(&t, 3, "y", "s.py", 9);
	tprof_code(&t, 4, "z", "s.py", 13);
	tprof_sample(&t, 0, "1:0 2:0", 3);
	tprof_sample(&t, 0, "1:0 4:0 3:0", 3);	/* y: self 3, total 3 */
	tprof_sample(&t, 0, "1:0 4:0", 1);
	tprof_sample(&t, 0, "1:0", 1);
	p = tprof_read(&t);
	agg = aggregate(&p, 1);
	order = aggregate_by_self(agg);
	ck_assert_ptr_nonnull(order);
	/* x and y tie on self and total: by name. */
	ck_assert_str_eq(agg->funcs[order[0]].name, "x");
	ck_assert_str_eq(agg->funcs[order[1]].name, "y");
	/* main and z tie on self (1): main has the larger total. */
	ck_assert_str_eq(agg->funcs[order[2]].name, "main");
	ck_assert_str_eq(agg->funcs[order[3]].name, "z");
	free(order);
	aggregate_free(agg);
	reader_free(p);
}
END_TEST

START_TEST(test_odd_names)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct aggregate	*agg;
	char			*s;

	tprof_open(&t);
	writer_code(t.w, 1, 3, LINETABLE_NONE, 0, "<module>", 8, "dir;x/m.py",
	    10, NULL, 0);
	writer_code(t.w, 2, 4, LINETABLE_LNOTAB, 0, "a;b\nc", 5, "m.py", 4,
	    lnotab, sizeof lnotab);
	writer_code(t.w, 3, 5, LINETABLE_LNOTAB, 0, "f.<locals>.<lambda>", 19,
	    "m.py", 4, lnotab, sizeof lnotab);
	writer_code(t.w, 4, 6, LINETABLE_LNOTAB, 0, "naïve name ✓", 15,
	    "m.py", 4, lnotab, sizeof lnotab);
	tprof_sample(&t, 0, "1:0 2:0", 1);
	tprof_sample(&t, 0, "1:0 3:0", 2);
	tprof_sample(&t, 0, "1:-1 4:10", 3);
	p = tprof_read(&t);
	agg = aggregate(&p, 1);
	ck_assert_uint_eq(func(agg, "a;b\nc", NULL)->self, 1);
	s = collapsed(agg);
	/* No line table: "?", but offset -1 is the first line anyway. */
	ck_assert_str_eq(s,
	    "<module> (dir,x/m.py:3);naïve name ✓ (m.py:10) 3\n"
	    "<module> (dir,x/m.py:?);a,b?c (m.py:5) 1\n"
	    "<module> (dir,x/m.py:?);f.<locals>.<lambda> (m.py:6) 2\n");
	free(s);
	aggregate_free(agg);
	reader_free(p);
}
END_TEST

START_TEST(test_collapsed_order)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct aggregate	*agg;
	struct aggregate_line	*lines;
	size_t			 n, i;
	char			 stack[64];

	/* Written in a scrambled order, read back sorted by text. */
	tprof_open(&t);
	for (i = 1; i <= 9; i++) {
		char	name[8];

		snprintf(name, sizeof name, "f%zu", 10 - i);
		tprof_code(&t, (uint32_t)i, name, "o.py", (int)i);
	}
	for (i = 0; i < 40; i++) {
		snprintf(stack, sizeof stack, "%zu:0 %zu:%zu",
		    1 + (i * 7) % 9, 1 + (i * 5) % 9, (i % 3) * 6);
		tprof_sample(&t, 0, stack, (int)(1 + i % 4));
	}
	p = tprof_read(&t);
	agg = aggregate(&p, 1);
	ck_assert_int_eq(aggregate_collapsed(agg, &lines, &n), 0);
	ck_assert_uint_gt(n, 5);
	for (i = 1; i < n; i++)
		ck_assert_int_lt(strcmp(lines[i - 1].text, lines[i].text), 0);
	{
		uint64_t	sum = 0;

		for (i = 0; i < n; i++)
			sum += lines[i].count;
		ck_assert_uint_eq(sum, agg->samples);
	}
	aggregate_lines_free(lines, n);
	aggregate_free(agg);
	reader_free(p);
}
END_TEST

START_TEST(test_empty_profile)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct aggregate	*agg;
	struct aggregate_line	*lines;
	uint32_t		*order;
	size_t			 n;

	tprof_open(&t);
	p = tprof_read(&t);
	agg = aggregate(&p, 1);
	ck_assert_uint_eq(agg->samples, 0);
	ck_assert_uint_eq(agg->nfuncs, 0);
	ck_assert_uint_eq(agg->nodes[0].child, AGGREGATE_NONE);
	ck_assert_int_eq(aggregate_collapsed(agg, &lines, &n), 0);
	ck_assert_uint_eq(n, 0);
	aggregate_lines_free(lines, n);
	order = aggregate_by_self(agg);
	ck_assert_ptr_nonnull(order);
	free(order);
	aggregate_free(agg);
	reader_free(p);
}
END_TEST

/* A million samples read, aggregated and folded correctly (timed by
 * make bench, never here). */
START_TEST(test_million_samples)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct aggregate	*agg;
	struct writer_frame	 f[40];
	struct aggregate_line	*lines;
	size_t			 i, j, n;
	char			 name[16];
	uint64_t		 sum = 0;

	tprof_open(&t);
	for (i = 1; i <= 200; i++) {
		snprintf(name, sizeof name, "fn%zu", i);
		tprof_code(&t, (uint32_t)i, name, "big.py", (int)i * 10);
	}
	/* 1M samples of 5000 distinct stacks 10 to 40 deep. */
	for (i = 0; i < 1000000; i++) {
		unsigned int k = (unsigned int)((i * 2654435761u) % 5000);
		unsigned int depth = 10 + k % 31;

		for (j = 0; j < depth; j++) {
			f[j].ref = (uint32_t)(1 + (k + j * 13) % 200) << 1;
			f[j].addr = (int32_t)((k + j) % 3) * 6;
		}
		writer_sample(t.w, START_NS + i * 1000, (uint32_t)(i % 8),
		    0, f, depth);
		if (i % 50000 == 0)
			ck_assert_int_eq(writer_flush(t.w), 0);
	}
	t.now = START_NS + 1000000000ULL;
	p = tprof_read(&t);
	agg = aggregate(&p, 1);
	ck_assert_int_eq(aggregate_collapsed(agg, &lines, &n), 0);
	ck_assert_uint_eq(agg->samples, 1000000);
	ck_assert_uint_eq(n, 5000);
	for (i = 0; i < n; i++)
		sum += lines[i].count;
	ck_assert_uint_eq(sum, 1000000);
	aggregate_lines_free(lines, n);
	aggregate_free(agg);
	reader_free(p);
}
END_TEST

/* main calls parse (3), then render (4) which calls parse (2); idle 1. */
static struct reader_profile *
filter_profile(void)
{
	struct tprof	t;

	tprof_open(&t);
	tprof_code(&t, 1, "main", "app.py", 1);
	tprof_code(&t, 2, "parse", "lib/parser.py", 10);
	tprof_code(&t, 3, "render", "lib/view.py", 20);
	tprof_code(&t, 4, "idle", "app.py", 30);
	tprof_sample(&t, 0, "1:0 2:0", 3);
	tprof_sample(&t, 0, "1:6 3:0", 4);
	tprof_sample(&t, 0, "1:6 3:10 2:6", 2);
	tprof_sample(&t, 0, "4:0", 1);
	return tprof_read(&t);
}

START_TEST(test_focus)
{
	struct reader_profile	*p = filter_profile();
	struct aggregate	*agg;
	const char		*by_name[] = { "^parse$", NULL };
	const char		*by_file[] = { "view\\.py:2[0-9]$", NULL };
	const char		*by_line[] = { "parser\\.py:17", NULL };
	const char		*two[] = { "idle", "^render", NULL };
	const char		*none[] = { "nothing", NULL };
	char			*s;

	/* Stacks through parse, kept whole: callers and callees. */
	agg = aggregate_filtered(p, by_name, NULL);
	ck_assert_uint_eq(agg->samples_read, 10);
	ck_assert_uint_eq(agg->samples_window, 10);
	ck_assert_uint_eq(agg->samples, 5);
	ck_assert_uint_eq(agg->nodes[0].total, 5);
	ck_assert_uint_eq(func(agg, "main", NULL)->total, 5);
	ck_assert_uint_eq(func(agg, "render", NULL)->total, 2);
	ck_assert_uint_eq(func(agg, "render", NULL)->self, 0);
	ck_assert_uint_eq(func(agg, "idle", NULL)->total, 0);
	s = collapsed(agg);
	ck_assert_str_eq(s,
	    "main (app.py:2);parse (lib/parser.py:11) 3\n"
	    "main (app.py:4);render (lib/view.py:24);parse (lib/parser.py:13) 2\n");
	free(s);
	aggregate_free(agg);

	/* On "file:line": render runs lines 21 and 24. */
	agg = aggregate_filtered(p, by_file, NULL);
	ck_assert_uint_eq(agg->samples, 6);
	aggregate_free(agg);
	/* The line matters: parse at line 13 (offset 6) only. */
	agg = aggregate_filtered(p, by_line, NULL);
	ck_assert_uint_eq(agg->samples, 0);
	aggregate_free(agg);
	by_line[0] = "parser\\.py:13";
	agg = aggregate_filtered(p, by_line, NULL);
	ck_assert_uint_eq(agg->samples, 2);
	aggregate_free(agg);

	/* Several: any of them. */
	agg = aggregate_filtered(p, two, NULL);
	ck_assert_uint_eq(agg->samples, 7);
	ck_assert_uint_eq(func(agg, "idle", NULL)->self, 1);
	ck_assert_uint_eq(func(agg, "parse", NULL)->total, 2);
	aggregate_free(agg);

	/* Nothing matches: nothing left, and nothing breaks. */
	agg = aggregate_filtered(p, none, NULL);
	ck_assert_uint_eq(agg->samples, 0);
	ck_assert_uint_eq(agg->nodes[0].child, AGGREGATE_NONE);
	s = collapsed(agg);
	ck_assert_str_eq(s, "");
	free(s);
	aggregate_free(agg);
	reader_free(p);
}
END_TEST

START_TEST(test_exclude)
{
	struct reader_profile	*p = filter_profile();
	struct aggregate	*agg;
	const char		*render[] = { "render", NULL };
	const char		*parse[] = { "parse", NULL };
	const char		*both[] = { "^idle$", "lib/view", NULL };
	char			*cause = NULL;
	char			*s;

	/* Stacks through render are dropped, wherever it is. */
	agg = aggregate_filtered(p, NULL, render);
	ck_assert_uint_eq(agg->samples, 4);
	ck_assert_uint_eq(func(agg, "parse", NULL)->self, 3);
	ck_assert_uint_eq(func(agg, "render", NULL)->total, 0);
	s = collapsed(agg);
	ck_assert_str_eq(s,
	    "idle (app.py:31) 1\n"
	    "main (app.py:2);parse (lib/parser.py:11) 3\n");
	free(s);
	aggregate_free(agg);

	/* Repeated: any of them drops a stack. */
	agg = aggregate_filtered(p, NULL, both);
	ck_assert_uint_eq(agg->samples, 3);
	aggregate_free(agg);

	/* Focus and exclude together: exclude wins. */
	agg = aggregate_filtered(p, parse, render);
	ck_assert_uint_eq(agg->samples, 3);
	ck_assert_uint_eq(func(agg, "main", NULL)->total, 3);
	aggregate_free(agg);

	/* A bad expression is refused with a reason. */
	agg = aggregate_create();
	ck_assert_int_eq(aggregate_exclude(agg, "(unclosed", &cause), -EINVAL);
	ck_assert_ptr_nonnull(cause);
	ck_assert_ptr_nonnull(strstr(cause, "(unclosed"));
	free(cause);
	ck_assert_uint_eq(agg->nexclude, 0);
	aggregate_free(agg);
	reader_free(p);
}
END_TEST

START_TEST(test_focus_pseudo)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct aggregate	*agg;
	char			*cause;

	/* Pseudo-frames are frames too. */
	tprof_open(&t);
	tprof_code(&t, 1, "main", "m.py", 1);
	tprof_sample(&t, STACK_NOPY, "", 2);
	tprof_sample(&t, 0, "1:0", 3);
	p = tprof_read(&t);
	agg = aggregate_create();
	ck_assert_int_eq(aggregate_focus(agg, "^\\[thread without", &cause),
	    0);
	ck_assert_int_eq(aggregate_add(agg, p), 0);
	ck_assert_int_eq(aggregate_finish(agg), 0);
	ck_assert_uint_eq(agg->samples, 2);
	ck_assert_uint_eq(func(agg, "main", NULL)->total, 0);
	aggregate_free(agg);
	reader_free(p);
}
END_TEST

START_TEST(test_time_window)
{
	struct tprof		 t;
	struct reader_profile	*p[2];
	struct aggregate	*agg;
	const struct aggregate_sample *as;
	size_t			 i;

	/* Samples every 4 ms: a at 4-20 ms, b at 24-40 ms, a at 44 ms. */
	tprof_open(&t);
	tprof_code(&t, 1, "a", "w.py", 1);
	tprof_code(&t, 2, "b", "w.py", 10);
	tprof_sample(&t, 0, "1:0", 5);
	tprof_sample(&t, 0, "2:0", 5);
	tprof_sample(&t, 0, "1:0", 1);
	p[0] = tprof_read(&t);
	/* Another file, its own start: b at 4 and 8 ms. */
	tprof_open(&t);
	tprof_code(&t, 2, "b", "w.py", 10);
	tprof_sample(&t, 0, "2:0", 2);
	p[1] = tprof_read(&t);

	/* [22 ms, 40 ms): the b of the first file, 36 ms of it. */
	agg = aggregate_create();
	agg->since_us = 22000;
	agg->until_us = 40000;
	agg->keep_samples = 1;
	ck_assert_int_eq(aggregate_add(agg, p[0]), 0);
	ck_assert_int_eq(aggregate_finish(agg), 0);
	ck_assert_uint_eq(agg->samples_read, 11);
	ck_assert_uint_eq(agg->samples_window, 4);
	ck_assert_uint_eq(agg->samples, 4);
	ck_assert_uint_eq(func(agg, "b", NULL)->self, 4);
	ck_assert_uint_eq(func(agg, "a", NULL)->total, 0);
	ck_assert_uint_eq(agg->duration_ns, 18000000);
	ck_assert_uint_eq(agg->nsample_list, 4);
	for (i = 0; i < agg->nsample_list; i++) {
		as = &agg->sample_list[i];
		ck_assert_int_eq(as->time_us, 24000 + 4000 * (int64_t)i);
		ck_assert_str_eq(agg->funcs[agg->nodes[as->node].func].name,
		    "b");
	}
	aggregate_free(agg);

	/* Since alone, each file from its own start; a window past the end. */
	agg = aggregate_create();
	agg->since_us = 8000;
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(aggregate_add(agg, p[i]), 0);
	ck_assert_int_eq(aggregate_finish(agg), 0);
	ck_assert_uint_eq(agg->samples_read, 13);
	ck_assert_uint_eq(agg->samples, 11);
	ck_assert_uint_eq(func(agg, "a", NULL)->self, 5);
	ck_assert_uint_eq(func(agg, "b", NULL)->self, 6);
	/* 44 - 8 ms and 8 - 8 ms. */
	ck_assert_uint_eq(agg->duration_ns, 36000000);
	aggregate_free(agg);

	agg = aggregate_create();
	agg->until_us = 4000;
	ck_assert_int_eq(aggregate_add(agg, p[0]), 0);
	ck_assert_int_eq(aggregate_finish(agg), 0);
	ck_assert_uint_eq(agg->samples, 0);
	ck_assert_uint_eq(agg->duration_ns, 4000000);
	aggregate_free(agg);
	reader_free(p[0]);
	reader_free(p[1]);
}
END_TEST

START_TEST(test_window_and_focus)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct aggregate	*agg;
	char			*cause;

	/* The window first, then the focus on what is left. */
	tprof_open(&t);
	tprof_code(&t, 1, "main", "w.py", 1);
	tprof_code(&t, 2, "a", "w.py", 10);
	tprof_code(&t, 3, "b", "w.py", 20);
	tprof_sample(&t, 0, "1:0 2:0", 5);	/* 4-20 ms */
	tprof_sample(&t, 0, "1:0 3:0", 5);	/* 24-40 ms */
	tprof_sample(&t, 0, "1:0 2:0", 5);	/* 44-60 ms */
	p = tprof_read(&t);
	agg = aggregate_create();
	agg->since_us = 10000;
	agg->until_us = 50000;
	agg->keep_samples = 1;
	ck_assert_int_eq(aggregate_focus(agg, "^a$", &cause), 0);
	ck_assert_int_eq(aggregate_add(agg, p), 0);
	ck_assert_int_eq(aggregate_finish(agg), 0);
	ck_assert_uint_eq(agg->samples_read, 15);
	ck_assert_uint_eq(agg->samples_window, 10);
	ck_assert_uint_eq(agg->samples, 5);	/* 12-20 and 44-48 ms */
	ck_assert_uint_eq(agg->nsample_list, 5);
	ck_assert_int_eq(agg->sample_list[2].time_us, 20000);
	ck_assert_int_eq(agg->sample_list[3].time_us, 44000);
	ck_assert_uint_eq(func(agg, "b", NULL)->total, 0);
	aggregate_free(agg);
	reader_free(p);
}
END_TEST

START_TEST(test_hot_lines)
{
	struct tprof		 t;
	struct reader_profile	*p;
	struct aggregate	*agg;
	struct aggregate_hot	*hot;
	size_t			 n;

	tprof_open(&t);
	tprof_code(&t, 1, "main", "h.py", 1);
	tprof_code(&t, 2, "helper", "h.py", 10);
	tprof_code(&t, 3, "other", "h.py", 20);
	/* helper line 11 from two callers: one line of 3 + 2. */
	tprof_sample(&t, 0, "1:0 2:0", 3);
	tprof_sample(&t, 0, "1:6 3:0 2:0", 2);
	tprof_sample(&t, 0, "1:6 3:0 2:10", 4);
	tprof_sample(&t, 0, "1:6 3:6", 1);
	tprof_sample(&t, 0, "1:0", 1);
	p = tprof_read(&t);
	agg = aggregate(&p, 1);
	ck_assert_int_eq(aggregate_hot_lines(agg, &hot, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(agg->funcs[hot[0].func].name, "helper");
	ck_assert_int_eq(hot[0].line, 11);
	ck_assert_uint_eq(hot[0].self, 5);
	ck_assert_str_eq(agg->funcs[hot[1].func].name, "helper");
	ck_assert_int_eq(hot[1].line, 14);
	ck_assert_uint_eq(hot[1].self, 4);
	/* Ties by name. */
	ck_assert_str_eq(agg->funcs[hot[2].func].name, "main");
	ck_assert_int_eq(hot[2].line, 2);
	ck_assert_uint_eq(hot[2].self, 1);
	ck_assert_str_eq(agg->funcs[hot[3].func].name, "other");
	ck_assert_int_eq(hot[3].line, 23);
	free(hot);
	aggregate_free(agg);
	reader_free(p);
}
END_TEST

START_TEST(test_find)
{
	struct tprof		 t;
	struct reader_profile	*p[2];
	struct aggregate	*a, *b;
	uint32_t		 k;

	tprof_open(&t);
	tprof_code(&t, 1, "main", "f.py", 1);
	tprof_code(&t, 2, "work", "f.py", 10);
	tprof_sample(&t, 0, "1:0 2:0", 1);
	p[0] = tprof_read(&t);
	tprof_open(&t);
	tprof_code(&t, 5, "work", "f.py", 10);
	tprof_code(&t, 6, "work", "g.py", 10);
	tprof_sample(&t, 0, "6:0 5:0", 1);
	p[1] = tprof_read(&t);
	a = aggregate(&p[0], 1);
	b = aggregate(&p[1], 1);
	k = aggregate_find(b, func(a, "work", NULL));
	ck_assert_uint_ne(k, AGGREGATE_NONE);
	ck_assert_str_eq(b->funcs[k].file, "f.py");
	ck_assert_uint_eq(aggregate_find(b, func(a, "main", NULL)),
	    AGGREGATE_NONE);
	k = aggregate_find(a, func(b, "work", "g.py"));
	ck_assert_uint_eq(k, AGGREGATE_NONE);
	aggregate_free(a);
	aggregate_free(b);
	reader_free(p[0]);
	reader_free(p[1]);
}
END_TEST

/*
 * Count the lines given by aggregate_collapsed_each(): sums[0] lines,
 * sums[1] samples; stop with 7 if sums[2] is set.
 */
static int
count_line(void *arg, const char *text, uint64_t count)
{
	uint64_t	*sums = arg;

	ck_assert_ptr_eq(strstr(text, "main (f.py:2);work (f.py:"), text);
	sums[0]++;
	sums[1] += count;
	return sums[2] != 0 ? 7 : 0;
}

START_TEST(test_walk_other)
{
	struct tprof		 t;
	struct reader_profile	*p[2];
	struct aggregate	*a, *b;
	uint32_t		 na, nb, fa, fb;
	uint64_t		 sums[3] = { 0, 0, 0 };

	/* The same tree in two files, under other ids, one more leaf in b. */
	tprof_open(&t);
	tprof_code(&t, 1, "main", "f.py", 1);
	tprof_code(&t, 2, "work", "f.py", 10);
	tprof_sample(&t, 0, "1:0 2:0", 2);
	tprof_sample(&t, 0, "1:0 2:6", 1);
	p[0] = tprof_read(&t);
	tprof_open(&t);
	tprof_code(&t, 8, "work", "f.py", 10);
	tprof_code(&t, 9, "main", "f.py", 1);
	tprof_sample(&t, 0, "9:0 8:6", 5);
	tprof_sample(&t, 0, "9:0 8:10", 4);
	p[1] = tprof_read(&t);
	a = aggregate(&p[0], 1);
	b = aggregate(&p[1], 1);

	/* main (line 2) -> work (line 13) in a, found in b. */
	na = a->nodes[0].child;
	fb = aggregate_find(b, &a->funcs[a->nodes[na].func]);
	nb = aggregate_find_child(b, 0, fb, a->nodes[na].line);
	ck_assert_uint_ne(nb, AGGREGATE_NONE);
	ck_assert_uint_eq(b->nodes[nb].total, 9);
	fa = aggregate_find(a, func(b, "work", NULL));
	fb = aggregate_find(b, &a->funcs[fa]);
	ck_assert_uint_eq(b->funcs[fb].self, 9);
	ck_assert_uint_eq(aggregate_find_child(b, nb, fb, 13), b->nodes[nb].child);
	ck_assert_uint_eq(b->nodes[aggregate_find_child(b, nb, fb, 13)].self, 5);
	/* Not there: line 11 of work, work at the root. */
	ck_assert_uint_eq(aggregate_find_child(b, nb, fb, 11), AGGREGATE_NONE);
	ck_assert_uint_eq(aggregate_find_child(b, 0, fb, 13), AGGREGATE_NONE);

	/* One call per leaf; fn's error stops the walk. */
	ck_assert_int_eq(aggregate_collapsed_each(b, count_line, sums), 0);
	ck_assert_uint_eq(sums[0], 2);
	ck_assert_uint_eq(sums[1], 9);
	sums[0] = 0;
	sums[2] = 1;
	ck_assert_int_eq(aggregate_collapsed_each(b, count_line, sums), 7);
	ck_assert_uint_eq(sums[0], 1);
	aggregate_free(a);
	aggregate_free(b);
	reader_free(p[0]);
	reader_free(p[1]);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("aggregate");
	TCase	*tc = tcase_create("aggregate");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_recursion);
	tcase_add_test(tc, test_pseudo_frames);
	tcase_add_test(tc, test_merge_files);
	tcase_add_test(tc, test_by_self);
	tcase_add_test(tc, test_sample_list);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_odd_names);
	tcase_add_test(tc, test_collapsed_order);
	tcase_add_test(tc, test_empty_profile);
	tcase_add_test(tc, test_million_samples);
	tcase_add_test(tc, test_native_views);
	tcase_add_test(tc, test_focus);
	tcase_add_test(tc, test_exclude);
	tcase_add_test(tc, test_focus_pseudo);
	tcase_add_test(tc, test_time_window);
	tcase_add_test(tc, test_window_and_focus);
	tcase_add_test(tc, test_hot_lines);
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_walk_other);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
