/*
 * Unit tests for the symbolizer (src/symbol.c).  Small ELF files are built
 * at run time with $CC (and c++): a shared object with a static function,
 * global ones, a chain of inlined functions and a hand-made symbol with a
 * gap after it, compiled with DWARF 5 (gcc 12's default) and DWARF 4; a
 * copy stripped of everything, a copy whose debug information sits in a
 * separate file found by build-id, a non-PIE executable and a C++ object.
 * Addresses are the symbols' values (nm) plus a made-up load bias, and, to
 * check the bias convention against the real loader, addresses taken in
 * this process from dlopen() and dl_iterate_phdr().
 */

#include "config.h"

#include <check.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbol.h"

/* The made-up load bias of the shared objects. */
#define BIAS		0x7f1234560000ULL
#define SPAN		0x1000000ULL

#define MAXFRAMES	16

/* The test library; tests find lines by their text (src_line()). */
static const char *lib_src[] = {
	"/* Test library for check_symbol. */",
	"volatile int sink;",
	"void *ret_addr;",
	"",
	"static __attribute__((noinline)) int",
	"static_fn(int x)",
	"{",
	"\tsink = x;",
	"\tsink = x * 7;",
	"\treturn sink + 1;",
	"}",
	"",
	"int",
	"global_fn(int x)",
	"{",
	"\treturn static_fn(x) + static_fn(x + 1);",
	"}",
	"",
	"static inline __attribute__((always_inline)) int",
	"inner(int x)",
	"{",
	"\tsink = x * 3;",
	"\treturn sink;",
	"}",
	"",
	"static inline __attribute__((always_inline)) int",
	"middle(int x)",
	"{",
	"\treturn inner(x + 1) + 2;",
	"}",
	"",
	"int",
	"outer(int x)",
	"{",
	"\tsink = 0;",
	"\treturn middle(x) * 5;",
	"}",
	"",
	"__attribute__((noinline)) void",
	"record(void)",
	"{",
	"\tret_addr = __builtin_return_address(0);",
	"}",
	"",
	"int",
	"call_record(void)",
	"{",
	"\trecord();",
	"\treturn sink + 1;",
	"}",
	"",
	"/* A sized function, code no symbol covers, a sizeless label. */",
	"__asm__(\".text\\n\"",
	"    \"\\t.globl bare_label\\n\"",
	"    \"bare_label:\\n\"",
	"    \"\\tnop\\n\"",
	"    \"\\t.globl sized_fn\\n\"",
	"    \"\\t.type sized_fn, %function\\n\"",
	"    \"sized_fn:\\n\"",
	"    \"\\tret\\n\"",
	"    \".Lsized_end:\\n\"",
	"    \"\\t.size sized_fn, .Lsized_end - sized_fn\\n\"",
	"    \"\\tnop\\n\\tnop\\n\\tnop\\n\\tnop\\n\"",
	"    \"\\t.globl after_gap\\n\"",
	"    \"\\t.type after_gap, %function\\n\"",
	"    \"after_gap:\\n\"",
	"    \"\\tret\\n\"",
	"    \"\\t.size after_gap, . - after_gap\\n\");",
	NULL
};

/* The executable: the same static function, linked without PIE. */
static const char *exe_src[] = {
	"volatile int sink;",
	"",
	"static __attribute__((noinline)) int",
	"exe_static(int x)",
	"{",
	"\tsink = x;",
	"\treturn sink * 3;",
	"}",
	"",
	"int",
	"main(void)",
	"{",
	"\treturn exe_static(2) == 0;",
	"}",
	NULL
};

/* C++: a method, a template, an inlined function, a lambda. */
static const char *cxx_src[] = {
	"volatile int sink;",
	"namespace ns {",
	"struct Foo {",
	"\tint v;",
	"\tint bar(int x);",
	"};",
	"inline __attribute__((always_inline)) int",
	"helper(int x)",
	"{",
	"\tsink = x * 2;",
	"\treturn sink + 1;",
	"}",
	"__attribute__((noinline)) int",
	"Foo::bar(int x)",
	"{",
	"\treturn v + helper(x);",
	"}",
	"template <typename T> __attribute__((noinline)) T",
	"twice(T x)",
	"{",
	"\tsink = (int)x;",
	"\treturn x + x;",
	"}",
	"int",
	"use(int x)",
	"{",
	"\tFoo f{3};",
	"\tauto lam = [x](int y) __attribute__((noinline)) {",
	"\t\tsink = y;",
	"\t\treturn x + helper(y);",
	"\t};",
	"\treturn f.bar(x) + twice<int>(x) + (int)twice<long>(x) + lam(x);",
	"}",
	"}",
	NULL
};

/* A symbol from nm. */
struct nm_sym {
	char		*name;
	uint64_t	 value;
	uint64_t	 size;
};

/* A built object and what nm and readelf say about it. */
struct object {
	int		 ok;
	char		 path[PATH_MAX];
	struct nm_sym	*syms;
	size_t		 nsyms;
	uint8_t		 build_id[64];
	size_t		 build_id_len;
};

enum {
	OBJ_LIB,	/* -g -O1 -shared -fPIC, DWARF 5 */
	OBJ_LIB4,	/* the same with -gdwarf-4 */
	OBJ_STRIP,	/* strip --strip-all */
	OBJ_SPLIT,	/* debug information in a separate file */
	OBJ_EXE,	/* -no-pie */
	OBJ_CXX,	/* C++ shared object */
	OBJ_COUNT
};

#define LIB	(1U << OBJ_LIB)
#define LIB4	(1U << OBJ_LIB4)
#define STRIP	(1U << OBJ_STRIP)
#define SPLIT	(1U << OBJ_SPLIT)

static struct object	 objects[OBJ_COUNT];
static char		 work_dir[1024];
static char		 debug_dir[1100];	/* holds .build-id/ */
static char		 lib_file[PATH_MAX];	/* lib.c */

/* Put a file's text, one string per line. */
static int
write_source(const char *path, const char **src)
{
	FILE	*f;
	size_t	 i;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	for (i = 0; src[i] != NULL; i++)
		fprintf(f, "%s\n", src[i]);
	return fclose(f) == 0 ? 0 : -1;
}

/* The line of a source that holds text. */
static int
src_line(const char **src, const char *text)
{
	size_t	i;

	for (i = 0; src[i] != NULL; i++)
		if (strstr(src[i], text) != NULL)
			return (int)i + 1;
	ck_abort_msg("no line holds %s", text);
	return 0;
}

/* The line of the closing brace of the function declared at text. */
static int
src_end(const char **src, const char *text)
{
	size_t	i;

	for (i = (size_t)src_line(src, text); src[i] != NULL; i++)
		if (strcmp(src[i], "}") == 0)
			return (int)i + 1;
	ck_abort_msg("no end for %s", text);
	return 0;
}

/* Run a shell command quietly; 0 if it succeeded. */
static int
run(const char *fmt, ...)
{
	va_list	 ap;
	char	*cmd, *full;
	int	 r;

	va_start(ap, fmt);
	r = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	r = asprintf(&full, "(%s) >>'%s/log' 2>&1", cmd, work_dir);
	free(cmd);
	if (r < 0)
		return -1;
	r = system(full);
	free(full);
	return r == 0 ? 0 : -1;
}

/* Read an object's symbols with nm. */
static int
read_nm(struct object *o)
{
	const char	*nm = getenv("NM");
	char		 out[PATH_MAX + 8], line[1024], name[512], type;
	unsigned long long value, size;
	struct nm_sym	*syms;
	FILE		*f;
	int		 n;

	snprintf(out, sizeof out, "%s.nm", o->path);
	if (run("%s -S --defined-only '%s' >'%s'", nm != NULL ? nm : "nm",
	    o->path, out) != 0 || (f = fopen(out, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		n = sscanf(line, "%llx %llx %c %511s", &value, &size, &type,
		    name);
		if (n != 4) {
			size = 0;
			if (sscanf(line, "%llx %c %511s", &value, &type,
			    name) != 3)
				continue;
		}
		syms = realloc(o->syms, (o->nsyms + 1) * sizeof *o->syms);
		if (syms == NULL)
			break;
		o->syms = syms;
		if ((o->syms[o->nsyms].name = strdup(name)) == NULL)
			break;
		o->syms[o->nsyms].value = value;
		o->syms[o->nsyms].size = size;
		o->nsyms++;
	}
	fclose(f);
	return 0;
}

/* Read an object's build-id with readelf. */
static int
read_build_id(struct object *o)
{
	char	 out[PATH_MAX + 8], line[1024], *p;
	FILE	*f;
	unsigned int byte;

	snprintf(out, sizeof out, "%s.notes", o->path);
	if (run("readelf -n '%s' >'%s'", o->path, out) != 0 ||
	    (f = fopen(out, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if ((p = strstr(line, "Build ID: ")) == NULL)
			continue;
		p += strlen("Build ID: ");
		while (o->build_id_len < sizeof o->build_id &&
		    sscanf(p, "%2x", &byte) == 1) {
			o->build_id[o->build_id_len++] = (uint8_t)byte;
			p += 2;
		}
		break;
	}
	fclose(f);
	return o->build_id_len != 0 ? 0 : -1;
}

/* Finish an object that was just built. */
static void
object_done(struct object *o)
{
	if (read_nm(o) == 0 && read_build_id(o) == 0)
		o->ok = 1;
}

/* Build every test object; what cannot be built is left !ok. */
static void
build_objects(void)
{
	const char	*cc = getenv("CC"), *cxx = getenv("CXX");
	char		 src[PATH_MAX], dbg[PATH_MAX], hex[160];
	struct object	*o;
	size_t		 i;

	if (cc == NULL || *cc == '\0')
		cc = "cc";
	if (cxx == NULL || *cxx == '\0')
		cxx = "c++";
	snprintf(lib_file, sizeof lib_file, "%s/lib.c", work_dir);
	o = &objects[OBJ_LIB];
	snprintf(o->path, sizeof o->path, "%s/libt.so", work_dir);
	if (write_source(lib_file, lib_src) == 0 &&
	    run("%s -g -O1 -shared -fPIC -Wl,--build-id -o '%s' '%s'", cc,
	    o->path, lib_file) == 0)
		object_done(o);

	o = &objects[OBJ_LIB4];
	snprintf(o->path, sizeof o->path, "%s/libt4.so", work_dir);
	if (run("%s -gdwarf-4 -O1 -shared -fPIC -Wl,--build-id -o '%s' '%s'",
	    cc, o->path, lib_file) == 0)
		object_done(o);

	o = &objects[OBJ_STRIP];
	snprintf(o->path, sizeof o->path, "%s/libt-strip.so", work_dir);
	if (objects[OBJ_LIB].ok && run("strip --strip-all -o '%s' '%s'",
	    o->path, objects[OBJ_LIB].path) == 0) {
		/* nm sees no symbols in it: take the unstripped copy's. */
		o->syms = objects[OBJ_LIB].syms;
		o->nsyms = objects[OBJ_LIB].nsyms;
		if (read_build_id(o) == 0)
			o->ok = 1;
	}

	o = &objects[OBJ_SPLIT];
	snprintf(o->path, sizeof o->path, "%s/libt-split.so", work_dir);
	snprintf(dbg, sizeof dbg, "%s/libt.debug", work_dir);
	if (objects[OBJ_LIB].ok &&
	    run("objcopy --only-keep-debug '%s' '%s'", objects[OBJ_LIB].path,
	    dbg) == 0 &&
	    run("strip --strip-debug --strip-unneeded -o '%s' '%s'", o->path,
	    objects[OBJ_LIB].path) == 0) {
		o->syms = objects[OBJ_LIB].syms;
		o->nsyms = objects[OBJ_LIB].nsyms;
		if (read_build_id(o) == 0) {
			for (i = 0; i < o->build_id_len; i++)
				sprintf(hex + 2 * i, "%02x", o->build_id[i]);
			if (run("mkdir -p '%s/.build-id/%.2s' && "
			    "mv '%s' '%s/.build-id/%.2s/%s.debug'", debug_dir,
			    hex, dbg, debug_dir, hex, hex + 2) == 0)
				o->ok = 1;
		}
	}

	o = &objects[OBJ_EXE];
	snprintf(src, sizeof src, "%s/exe.c", work_dir);
	snprintf(o->path, sizeof o->path, "%s/exe", work_dir);
	if (write_source(src, exe_src) == 0 &&
	    run("%s -g -O1 -fno-pie -no-pie -Wl,--build-id -o '%s' '%s'", cc,
	    o->path, src) == 0)
		object_done(o);

	o = &objects[OBJ_CXX];
	snprintf(src, sizeof src, "%s/cxx.cc", work_dir);
	snprintf(o->path, sizeof o->path, "%s/libcxx.so", work_dir);
	if (write_source(src, cxx_src) == 0 &&
	    run("%s -g -O1 -shared -fPIC -Wl,--build-id -o '%s' '%s'", cxx,
	    o->path, src) == 0)
		object_done(o);
}

/*
 * Remove what build_objects() made, unless something could not be built
 * (its log is there) or CHECK_SYMBOL_KEEP is set.
 */
static void
remove_objects(void)
{
	size_t	i, j;
	int	keep = getenv("CHECK_SYMBOL_KEEP") != NULL;

	for (i = 0; i < OBJ_COUNT; i++) {
		if (!objects[i].ok)
			keep = 1;
		if (objects[i].syms == objects[OBJ_LIB].syms && i != OBJ_LIB)
			continue;
		for (j = 0; j < objects[i].nsyms; j++)
			free(objects[i].syms[j].name);
		free(objects[i].syms);
	}
	if (!keep)
		run("rm -rf '%s'", work_dir);
}

/* A symbol of an object by name. */
static const struct nm_sym *
object_sym(int obj, const char *name)
{
	const struct object	*o = &objects[obj];
	size_t			 i;

	for (i = 0; i < o->nsyms; i++)
		if (strcmp(o->syms[i].name, name) == 0)
			return &o->syms[i];
	ck_abort_msg("%s: no symbol %s", o->path, name);
	return NULL;
}

/* A mapping of a shared object at BIAS with its build-id. */
static struct symbol_mapping
object_mapping(int obj)
{
	struct symbol_mapping	m;

	memset(&m, 0, sizeof m);
	m.start = BIAS;
	m.end = BIAS + SPAN;
	m.bias = BIAS;
	m.build_id = objects[obj].build_id;
	m.build_id_len = objects[obj].build_id_len;
	m.path = objects[obj].path;
	return m;
}

/* A symbolizer for one object at BIAS. */
static struct symbolizer *
object_symbolizer(int obj, const char *debug_dirs)
{
	struct symbol_mapping	 m = object_mapping(obj);
	struct symbolizer	*sz;
	char			*cause;

	sz = symbolizer_create(&m, 1, debug_dirs, &cause);
	ck_assert_msg(sz != NULL, "symbolizer_create: %s", cause);
	return sz;
}

/* The last component of a path. */
static const char *
base_name(const char *path)
{
	const char	*p;

	if (path == NULL)
		return "(null)";
	p = strrchr(path, '/');
	return p != NULL ? p + 1 : path;
}

/* Print frames, for failure messages and CHECK_SYMBOL_VERBOSE. */
static void
show(const char *what, const struct symbol_frame *f, size_t n)
{
	size_t	i;

	if (getenv("CHECK_SYMBOL_VERBOSE") == NULL)
		return;
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s[%zu]: %s at %s:%d (%s+%#llx%s)\n", what, i,
		    f[i].name != NULL ? f[i].name : "??", base_name(f[i].file),
		    f[i].line, base_name(f[i].module),
		    (unsigned long long)f[i].offset,
		    f[i].changed ? ", changed" : "");
}

/* Check the frames of an address inside a function without inlining. */
static void
assert_function(const struct symbol_frame *f, size_t n, const char *name,
    const char *file, int first, int last)
{
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(f[0].name);
	ck_assert_str_eq(f[0].name, name);
	ck_assert_str_eq(base_name(f[0].file), file);
	ck_assert_msg(f[0].line >= first && f[0].line <= last,
	    "%s: line %d not in %d-%d", name, f[0].line, first, last);
	ck_assert_int_eq(f[0].changed, 0);
}

/* Whether a frame is the start of an inlined chain of inner in outer. */
static size_t
find_inlined(struct symbolizer *sz, int obj, struct symbol_frame *f,
    uint64_t *at)
{
	const struct nm_sym	*s = object_sym(obj, "outer");
	uint64_t		 a;
	size_t			 n;

	for (a = BIAS + s->value; a < BIAS + s->value + s->size; a++) {
		n = symbolizer_lookup(sz, a, 1, f, MAXFRAMES);
		if (n >= 1 && f[0].name != NULL &&
		    strcmp(f[0].name, "inner") == 0) {
			*at = a;
			return n;
		}
	}
	return 0;
}

/* A function of this file for the symbolizer to find in this process. */
static __attribute__((noinline)) int
self_function(int x)
{
	static volatile int	v;

	v = x;
	return v + 1;
}

/* The main program's load bias and build-id, from dl_iterate_phdr(). */
struct self_info {
	uint64_t	bias;
	uint8_t		build_id[64];
	size_t		build_id_len;
};

static int
self_phdr(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct self_info	*si = arg;
	const ElfW(Nhdr)	*nh;
	const char		*p, *end;
	ElfW(Half)		 i;

	si->bias = info->dlpi_addr;
	for (i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type != PT_NOTE)
			continue;
		p = (const char *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
		end = p + info->dlpi_phdr[i].p_memsz;
		while (p + sizeof *nh <= end) {
			nh = (const ElfW(Nhdr) *)p;
			p += sizeof *nh;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    memcmp(p, "GNU", 4) == 0 &&
			    nh->n_descsz <= sizeof si->build_id) {
				memcpy(si->build_id, p + 4, nh->n_descsz);
				si->build_id_len = nh->n_descsz;
			}
			p += (nh->n_namesz + 3) & ~3U;
			p += (nh->n_descsz + 3) & ~3U;
		}
	}
	return 1;	/* the first one is the main program */
}

/* Describe this process's main program as a mapping. */
static void
self_mapping(struct symbol_mapping *m, struct self_info *si, char *path,
    size_t size)
{
	ssize_t	len;

	memset(si, 0, sizeof *si);
	dl_iterate_phdr(self_phdr, si);
	len = readlink("/proc/self/exe", path, size - 1);
	ck_assert_int_gt(len, 0);
	path[len] = '\0';
	memset(m, 0, sizeof *m);
	m->start = (uintptr_t)self_function - 0x100000;
	m->end = (uintptr_t)self_function + 0x100000;
	m->bias = si->bias;
	m->build_id = si->build_id;
	m->build_id_len = si->build_id_len;
	m->path = path;
}

START_TEST(test_no_mapping)
{
	struct symbol_mapping	 m;
	struct symbol_frame	 f[MAXFRAMES];
	struct symbolizer	*sz;
	char			*cause;

	/* No mappings at all. */
	sz = symbolizer_create(NULL, 0, NULL, &cause);
	ck_assert_ptr_nonnull(sz);
	ck_assert_uint_eq(symbolizer_lookup(sz, 0x1234, 1, f, MAXFRAMES), 1);
	ck_assert_ptr_null(f[0].name);
	ck_assert_ptr_null(f[0].module);
	ck_assert_ptr_null(f[0].file);
	ck_assert_uint_eq(symbolizer_lookup(sz, 0, 0, f, MAXFRAMES), 1);
	ck_assert_uint_eq(symbolizer_lookup(sz, UINT64_MAX, 1, f, 1), 1);
	ck_assert_uint_eq(symbolizer_lookup(sz, 0x1234, 1, f, 0), 0);
	ck_assert_ptr_null(symbolizer_problem(sz, 0));
	symbolizer_free(sz);

	/* Outside the one mapping, and in a zero-length one. */
	memset(&m, 0, sizeof m);
	m.start = 0x10000;
	m.end = 0x20000;
	m.path = "/nonexistent/libx.so";
	sz = symbolizer_create(&m, 1, NULL, &cause);
	ck_assert_ptr_nonnull(sz);
	ck_assert_uint_eq(symbolizer_lookup(sz, 0x20000, 1, f, MAXFRAMES), 1);
	ck_assert_ptr_null(f[0].module);
	ck_assert_uint_eq(symbolizer_lookup(sz, 0xffff, 1, f, MAXFRAMES), 1);
	ck_assert_ptr_null(f[0].module);
	/* A return address just past the end was a call inside it. */
	ck_assert_uint_eq(symbolizer_lookup(sz, 0x20000, 0, f, MAXFRAMES), 1);
	ck_assert_str_eq(f[0].module, m.path);
	ck_assert_uint_eq(f[0].offset, 0x20000);
	/* A return address at the start was a call before it. */
	ck_assert_uint_eq(symbolizer_lookup(sz, 0x10000, 0, f, MAXFRAMES), 1);
	ck_assert_ptr_null(f[0].module);
	symbolizer_free(sz);

	m.end = m.start;
	sz = symbolizer_create(&m, 1, NULL, &cause);
	ck_assert_ptr_nonnull(sz);
	ck_assert_uint_eq(symbolizer_lookup(sz, 0x10000, 1, f, MAXFRAMES), 1);
	ck_assert_ptr_null(f[0].module);
	ck_assert_ptr_null(symbolizer_problem(sz, 0));
	symbolizer_free(sz);
}
END_TEST

START_TEST(test_missing_file)
{
	static const uint8_t	 id[20] = { 0xde, 0xad, 0xbe, 0xef };
	struct symbol_mapping	 m[2];
	struct symbol_frame	 f[MAXFRAMES];
	struct symbolizer	*sz;
	const char		*p;
	char			*cause;

	memset(m, 0, sizeof m);
	m[0].start = 0x10000;
	m[0].end = 0x20000;
	m[0].bias = 0x10000;
	m[0].path = "/nonexistent/libgone.so";
	m[1] = m[0];
	m[1].start = m[1].bias = 0x30000;
	m[1].end = 0x40000;
	m[1].build_id = id;
	m[1].build_id_len = sizeof id;
	sz = symbolizer_create(m, 2, NULL, &cause);
	ck_assert_ptr_nonnull(sz);
	ck_assert_uint_eq(symbolizer_lookup(sz, 0x10123, 1, f, MAXFRAMES), 1);
	ck_assert_ptr_null(f[0].name);
	ck_assert_str_eq(f[0].module, m[0].path);
	ck_assert_uint_eq(f[0].offset, 0x123);
	ck_assert_int_eq(f[0].changed, 0);
	ck_assert_uint_eq(symbolizer_lookup(sz, 0x10456, 0, f, MAXFRAMES), 1);
	ck_assert_uint_eq(f[0].offset, 0x456);
	p = symbolizer_problem(sz, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, "/nonexistent/libgone.so: cannot open: "
	    "No such file or directory");
	ck_assert_ptr_null(symbolizer_problem(sz, 1));

	/* The same path at another bias is another module. */
	ck_assert_uint_eq(symbolizer_lookup(sz, 0x30010, 1, f, MAXFRAMES), 1);
	ck_assert_ptr_null(f[0].name);
	ck_assert_uint_eq(f[0].offset, 0x10);
	ck_assert_ptr_nonnull(symbolizer_problem(sz, 1));
	ck_assert_ptr_null(symbolizer_problem(sz, 2));
	symbolizer_free(sz);
}
END_TEST

START_TEST(test_bad_files)
{
	static const size_t	 cuts[] = { 0, 1, 16, 52, 64, 100, 4096, 8192 };
	const size_t		 ncuts = sizeof cuts / sizeof cuts[0];
	struct symbol_mapping	 m;
	struct symbol_frame	 f[MAXFRAMES];
	struct symbolizer	*sz;
	struct stat		 st;
	char			 path[PATH_MAX], self[PATH_MAX], *cause, *want;
	char			*buf, *copy;
	size_t			 i, j, k, size;
	ssize_t			 len;
	unsigned int		 seed = 7;
	FILE			*fp;
	int			 fd;

	/* This program's own file, cut short or with bytes broken. */
	len = readlink("/proc/self/exe", self, sizeof self - 1);
	ck_assert_int_gt(len, 0);
	self[len] = '\0';
	ck_assert_int_eq(stat(self, &st), 0);
	size = (size_t)st.st_size;
	buf = malloc(size);
	copy = malloc(size);
	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(copy);
	fd = open(self, O_RDONLY);
	ck_assert_int_eq(read(fd, buf, size), (ssize_t)size);
	close(fd);

	snprintf(path, sizeof path, "%s/bad", work_dir);
	memset(&m, 0, sizeof m);
	m.start = 0x400000;
	m.end = 0x500000;
	m.bias = 0x400000;
	m.path = path;
	for (i = 0; i < ncuts + 8 + 40; i++) {
		memcpy(copy, buf, size);
		if (i < ncuts)
			len = (ssize_t)cuts[i];
		else if (i < ncuts + 8)
			len = (ssize_t)(size * (i - ncuts + 1) / 9);
		else {
			len = (ssize_t)size;
			for (k = 0; k < 64; k++)
				copy[16 + (size_t)rand_r(&seed) % (size - 16)] =
				    (char)rand_r(&seed);
		}
		fp = fopen(path, "w");
		ck_assert_ptr_nonnull(fp);
		ck_assert_uint_eq(fwrite(copy, 1, (size_t)len, fp), len);
		fclose(fp);
		sz = symbolizer_create(&m, 1, NULL, &cause);
		ck_assert_ptr_nonnull(sz);
		for (j = 0; j < 64; j++) {
			ck_assert_uint_ge(symbolizer_lookup(sz,
			    0x400010 + j * 0x1111, (int)(j & 1), f, MAXFRAMES),
			    1);
			ck_assert_str_eq(f[0].module, path);
		}
		symbolizer_free(sz);
	}

	/* A text file, then a directory. */
	fp = fopen(path, "w");
	fputs("not an object file\n", fp);
	fclose(fp);
	sz = symbolizer_create(&m, 1, NULL, &cause);
	ck_assert_uint_eq(symbolizer_lookup(sz, 0x400010, 1, f, 4), 1);
	ck_assert_ptr_null(f[0].name);
	ck_assert_int_ge(asprintf(&want, "%s: cannot open: not an ELF file",
	    path), 0);
	ck_assert_str_eq(symbolizer_problem(sz, 0), want);
	free(want);
	symbolizer_free(sz);
	unlink(path);

	ck_assert_int_eq(mkdir(path, 0700), 0);
	sz = symbolizer_create(&m, 1, NULL, &cause);
	ck_assert_uint_eq(symbolizer_lookup(sz, 0x400010, 1, f, 4), 1);
	ck_assert_ptr_null(f[0].name);
	ck_assert_int_ge(asprintf(&want, "%s: cannot open: Is a directory",
	    path), 0);
	ck_assert_str_eq(symbolizer_problem(sz, 0), want);
	free(want);
	symbolizer_free(sz);
	rmdir(path);

	free(buf);
	free(copy);
}
END_TEST

START_TEST(test_self)
{
	struct symbol_mapping	 m;
	struct symbol_frame	 f[MAXFRAMES];
	struct symbolizer	*sz;
	struct self_info	 si;
	char			 path[PATH_MAX], *cause;
	uint64_t		 a = (uintptr_t)self_function;
	size_t			 n;

	/* This very process, with the loader's bias and build-id. */
	self_mapping(&m, &si, path, sizeof path);
	if (si.build_id_len == 0)
		fprintf(stderr, "# this program has no build-id\n");
	sz = symbolizer_create(&m, 1, NULL, &cause);
	ck_assert_ptr_nonnull(sz);
	n = symbolizer_lookup(sz, a + 1, 1, f, MAXFRAMES);
	show("self", f, n);
	ck_assert_uint_ge(n, 1);
	ck_assert_ptr_nonnull(f[n - 1].name);
	ck_assert_str_eq(f[n - 1].name, "self_function");
	ck_assert_str_eq(f[n - 1].module, path);
	ck_assert_uint_eq(f[0].offset, a + 1 - si.bias);
	ck_assert_ptr_null(symbolizer_problem(sz, 0));
	symbolizer_free(sz);
}
END_TEST

START_TEST(test_changed_self)
{
	static const uint8_t	 wrong[20] = { 0xde, 0xad, 0xbe, 0xef };
	struct symbol_mapping	 m;
	struct symbol_frame	 f[MAXFRAMES];
	struct symbolizer	*sz;
	struct self_info	 si;
	char			 path[PATH_MAX], *cause, *want;
	uint64_t		 a = (uintptr_t)self_function;

	/* The same file, recorded with another build-id. */
	self_mapping(&m, &si, path, sizeof path);
	m.build_id = wrong;
	m.build_id_len = sizeof wrong;
	sz = symbolizer_create(&m, 1, NULL, &cause);
	ck_assert_ptr_nonnull(sz);
	ck_assert_uint_eq(symbolizer_lookup(sz, a, 1, f, MAXFRAMES), 1);
	ck_assert_ptr_null(f[0].name);
	ck_assert_ptr_null(f[0].file);
	ck_assert_int_eq(f[0].changed, 1);
	ck_assert_str_eq(f[0].module, path);
	ck_assert_uint_eq(f[0].offset, a - si.bias);
	ck_assert_int_ge(asprintf(&want, "%s: file changed since the profile "
	    "was recorded (build-id differs)", path), 0);
	ck_assert_str_eq(symbolizer_problem(sz, 0), want);
	ck_assert_ptr_null(symbolizer_problem(sz, 1));
	free(want);
	/* Another address of the module: the same, no second problem. */
	ck_assert_uint_eq(symbolizer_lookup(sz, a + 2, 0, f, MAXFRAMES), 1);
	ck_assert_int_eq(f[0].changed, 1);
	ck_assert_ptr_null(symbolizer_problem(sz, 1));
	symbolizer_free(sz);
}
END_TEST

START_TEST(test_static_function)
{
	static const int	 objs[] = { OBJ_LIB, OBJ_LIB4 };
	int			 obj = objs[_i];
	const struct nm_sym	*s = object_sym(obj, "static_fn");
	struct symbol_frame	 f[MAXFRAMES];
	struct symbolizer	*sz = object_symbolizer(obj, NULL);
	uint64_t		 a;
	size_t			 n;

	/* Every byte of it. */
	for (a = BIAS + s->value; a < BIAS + s->value + s->size; a++) {
		n = symbolizer_lookup(sz, a, 1, f, MAXFRAMES);
		show("static_fn", f, n);
		assert_function(f, n, "static_fn", "lib.c",
		    src_line(lib_src, "static_fn(int x)"),
		    src_end(lib_src, "static_fn(int x)"));
		ck_assert_str_eq(f[0].module, objects[obj].path);
		ck_assert_uint_eq(f[0].offset, a - BIAS);
		ck_assert_str_eq(f[0].file, lib_file);
	}
	/* The body, not the declaration, after the first instruction. */
	n = symbolizer_lookup(sz, BIAS + s->value + s->size - 1, 1, f, 1);
	ck_assert_int_gt(f[0].line, src_line(lib_src, "static_fn(int x)") + 1);
	ck_assert_ptr_null(symbolizer_problem(sz, 0));
	symbolizer_free(sz);
}
END_TEST

START_TEST(test_global_function)
{
	static const int	 objs[] = { OBJ_LIB, OBJ_LIB4 };
	int			 obj = objs[_i];
	const struct nm_sym	*s = object_sym(obj, "global_fn");
	struct symbol_frame	 f[MAXFRAMES];
	struct symbolizer	*sz = object_symbolizer(obj, NULL);
	size_t			 n;

	n = symbolizer_lookup(sz, BIAS + s->value, 1, f, MAXFRAMES);
	show("global_fn", f, n);
	assert_function(f, n, "global_fn", "lib.c",
	    src_line(lib_src, "global_fn(int x)"),
	    src_end(lib_src, "global_fn(int x)"));
	symbolizer_free(sz);
}
END_TEST

START_TEST(test_return_address)
{
	const struct nm_sym	*s = object_sym(OBJ_LIB, "static_fn");
	struct symbol_frame	 f[MAXFRAMES];
	struct symbolizer	*sz = object_symbolizer(OBJ_LIB, NULL);
	uint64_t		 end = BIAS + s->value + s->size;
	size_t			 n;

	/*
	 * The first byte after the function: as a pc it is not the
	 * function, as a return address it is (a call as its last
	 * instruction), and the offset is still the address given.
	 */
	n = symbolizer_lookup(sz, end, 1, f, MAXFRAMES);
	show("pc", f, n);
	ck_assert(f[n - 1].name == NULL || strcmp(f[n - 1].name,
	    "static_fn") != 0);
	n = symbolizer_lookup(sz, end, 0, f, MAXFRAMES);
	show("return", f, n);
	assert_function(f, n, "static_fn", "lib.c",
	    src_line(lib_src, "static_fn(int x)"),
	    src_end(lib_src, "static_fn(int x)"));
	ck_assert_uint_eq(f[0].offset, end - BIAS);
	/* Both are cached apart. */
	n = symbolizer_lookup(sz, end, 1, f, MAXFRAMES);
	ck_assert(f[n - 1].name == NULL || strcmp(f[n - 1].name,
	    "static_fn") != 0);
	symbolizer_free(sz);
}
END_TEST

START_TEST(test_inlined)
{
	static const int	 objs[] = { OBJ_LIB, OBJ_LIB4 };
	int			 obj = objs[_i];
	const struct nm_sym	*s = object_sym(obj, "outer");
	struct symbol_frame	 f[MAXFRAMES], g[MAXFRAMES];
	struct symbolizer	*sz = object_symbolizer(obj, NULL);
	uint64_t		 a;
	size_t			 n, i;

	n = find_inlined(sz, obj, f, &a);
	show("inlined", f, n);
	ck_assert_msg(n != 0, "no address of outer is in inner");
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(f[0].name, "inner");
	ck_assert_str_eq(base_name(f[0].file), "lib.c");
	ck_assert_int_ge(f[0].line, src_line(lib_src, "inner(int x)"));
	ck_assert_int_le(f[0].line, src_end(lib_src, "inner(int x)"));
	ck_assert_str_eq(f[1].name, "middle");
	ck_assert_str_eq(base_name(f[1].file), "lib.c");
	ck_assert_int_eq(f[1].line, src_line(lib_src, "return inner("));
	ck_assert_str_eq(f[2].name, "outer");
	ck_assert_str_eq(base_name(f[2].file), "lib.c");
	ck_assert_int_eq(f[2].line, src_line(lib_src, "return middle("));
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(f[i].module, objects[obj].path);
		ck_assert_uint_eq(f[i].offset, a - BIAS);
	}

	/* Fewer frames asked for: the innermost ones. */
	ck_assert_uint_eq(symbolizer_lookup(sz, a, 1, g, 1), 1);
	ck_assert_ptr_eq(g[0].name, f[0].name);
	ck_assert_uint_eq(symbolizer_lookup(sz, a, 1, g, 2), 2);
	ck_assert_ptr_eq(g[1].name, f[1].name);
	ck_assert_int_eq(g[1].line, f[1].line);

	/* The first instruction of outer is outer's own. */
	n = symbolizer_lookup(sz, BIAS + s->value, 1, f, MAXFRAMES);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(f[0].name, "outer");
	symbolizer_free(sz);
}
END_TEST

START_TEST(test_past_end)
{
	const struct nm_sym	*s = object_sym(OBJ_LIB, "sized_fn");
	const struct nm_sym	*next = object_sym(OBJ_LIB, "after_gap");
	struct symbol_frame	 f[MAXFRAMES];
	struct symbolizer	*sz = object_symbolizer(OBJ_LIB, NULL);
	uint64_t		 a;
	size_t			 n;

	ck_assert_uint_gt(s->size, 0);
	ck_assert_uint_gt(next->value, s->value + s->size);
	n = symbolizer_lookup(sz, BIAS + s->value, 1, f, MAXFRAMES);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(f[0].name, "sized_fn");
	/* Nothing between its end and the next symbol has a name. */
	for (a = BIAS + s->value + s->size; a < BIAS + next->value; a++) {
		n = symbolizer_lookup(sz, a, 1, f, MAXFRAMES);
		show("gap", f, n);
		ck_assert_uint_eq(n, 1);
		ck_assert_ptr_null(f[0].name);
		ck_assert_ptr_null(f[0].file);
		ck_assert_str_eq(f[0].module, objects[OBJ_LIB].path);
		ck_assert_uint_eq(f[0].offset, a - BIAS);
	}
	n = symbolizer_lookup(sz, BIAS + next->value, 1, f, MAXFRAMES);
	ck_assert_str_eq(f[0].name, "after_gap");
	/* A return address right after it is still in it. */
	n = symbolizer_lookup(sz, BIAS + s->value + s->size, 0, f, MAXFRAMES);
	ck_assert_str_eq(f[0].name, "sized_fn");
	symbolizer_free(sz);
}
END_TEST

START_TEST(test_stripped)
{
	const struct nm_sym	*st = object_sym(OBJ_STRIP, "static_fn");
	const struct nm_sym	*gl = object_sym(OBJ_STRIP, "global_fn");
	struct symbol_frame	 f[MAXFRAMES];
	struct symbolizer	*sz = object_symbolizer(OBJ_STRIP, NULL);
	uint64_t		 a;
	size_t			 n;

	/* Only .dynsym is left: the static function has no name. */
	for (a = BIAS + st->value; a < BIAS + st->value + st->size; a++) {
		n = symbolizer_lookup(sz, a, 1, f, MAXFRAMES);
		ck_assert_uint_eq(n, 1);
		ck_assert_ptr_null(f[0].name);
		ck_assert_ptr_null(f[0].file);
		ck_assert_int_eq(f[0].line, 0);
		ck_assert_str_eq(f[0].module, objects[OBJ_STRIP].path);
	}
	n = symbolizer_lookup(sz, BIAS + gl->value + 1, 1, f, MAXFRAMES);
	show("stripped", f, n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(f[0].name, "global_fn");
	ck_assert_ptr_null(f[0].file);
	ck_assert_ptr_null(symbolizer_problem(sz, 0));
	symbolizer_free(sz);
}
END_TEST

START_TEST(test_separate_debug)
{
	const struct nm_sym	*st = object_sym(OBJ_SPLIT, "static_fn");
	struct symbol_frame	 f[MAXFRAMES];
	struct symbolizer	*sz;
	uint64_t		 a;
	size_t			 n;

	/* Found by build-id in the directory given. */
	sz = object_symbolizer(OBJ_SPLIT, debug_dir);
	n = symbolizer_lookup(sz, BIAS + st->value + 2, 1, f, MAXFRAMES);
	show("split", f, n);
	assert_function(f, n, "static_fn", "lib.c",
	    src_line(lib_src, "static_fn(int x)"),
	    src_end(lib_src, "static_fn(int x)"));
	n = find_inlined(sz, OBJ_SPLIT, f, &a);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(f[1].name, "middle");
	ck_assert_int_eq(f[2].line, src_line(lib_src, "return middle("));
	symbolizer_free(sz);

	/* Not in the default directories: .dynsym only. */
	sz = object_symbolizer(OBJ_SPLIT, NULL);
	n = symbolizer_lookup(sz, BIAS + st->value + 2, 1, f, MAXFRAMES);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_null(f[0].name);
	symbolizer_free(sz);
}
END_TEST

START_TEST(test_missing_with_debug)
{
	const struct nm_sym	*st = object_sym(OBJ_SPLIT, "static_fn");
	struct symbol_mapping	 m = object_mapping(OBJ_SPLIT);
	struct symbol_frame	 f[MAXFRAMES];
	struct symbolizer	*sz;
	char			*cause;
	const char		*p;
	size_t			 n;

	/* The file is gone but its debug file is there: names from it. */
	m.path = "/nonexistent/libt-split.so";
	sz = symbolizer_create(&m, 1, debug_dir, &cause);
	ck_assert_ptr_nonnull(sz);
	n = symbolizer_lookup(sz, BIAS + st->value + 2, 1, f, MAXFRAMES);
	show("gone", f, n);
	assert_function(f, n, "static_fn", "lib.c",
	    src_line(lib_src, "static_fn(int x)"),
	    src_end(lib_src, "static_fn(int x)"));
	ck_assert_str_eq(f[0].module, m.path);
	p = symbolizer_problem(sz, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(strstr(p, "/nonexistent/libt-split.so: "
	    "cannot open: No such file or directory"));
	symbolizer_free(sz);

	/* Without its build-id, nothing. */
	m.build_id = NULL;
	sz = symbolizer_create(&m, 1, debug_dir, &cause);
	n = symbolizer_lookup(sz, BIAS + st->value + 2, 1, f, MAXFRAMES);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_null(f[0].name);
	symbolizer_free(sz);
}
END_TEST

START_TEST(test_changed_build_id)
{
	static const uint8_t	 wrong[20] = { 1, 2, 3 };
	const struct nm_sym	*st = object_sym(OBJ_LIB, "static_fn");
	struct symbol_mapping	 m = object_mapping(OBJ_LIB);
	struct symbol_frame	 f[MAXFRAMES];
	struct symbolizer	*sz;
	char			*cause;
	const char		*p;
	size_t			 n;

	/* Recorded with another build-id: no names, a problem. */
	m.build_id = wrong;
	sz = symbolizer_create(&m, 1, NULL, &cause);
	n = symbolizer_lookup(sz, BIAS + st->value, 1, f, MAXFRAMES);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_null(f[0].name);
	ck_assert_int_eq(f[0].changed, 1);
	ck_assert_str_eq(f[0].module, m.path);
	ck_assert_uint_eq(f[0].offset, st->value);
	p = symbolizer_problem(sz, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(strstr(p, m.path));
	ck_assert_ptr_nonnull(strstr(p, "build-id differs"));
	symbolizer_free(sz);

	/* A shorter one differs too. */
	m = object_mapping(OBJ_LIB);
	m.build_id_len--;
	sz = symbolizer_create(&m, 1, NULL, &cause);
	n = symbolizer_lookup(sz, BIAS + st->value, 1, f, MAXFRAMES);
	ck_assert_int_eq(f[0].changed, 1);
	symbolizer_free(sz);

	/* No build-id recorded: no check. */
	m.build_id = NULL;
	m.build_id_len = 0;
	sz = symbolizer_create(&m, 1, NULL, &cause);
	n = symbolizer_lookup(sz, BIAS + st->value, 1, f, MAXFRAMES);
	ck_assert_str_eq(f[0].name, "static_fn");
	ck_assert_int_eq(f[0].changed, 0);
	ck_assert_ptr_null(symbolizer_problem(sz, 0));
	symbolizer_free(sz);
}
END_TEST

START_TEST(test_several_modules)
{
	struct symbol_mapping	 m[5];
	struct symbol_frame	 f[MAXFRAMES];
	struct symbolizer	*sz;
	const struct nm_sym	*s4 = object_sym(OBJ_LIB4, "static_fn");
	const struct nm_sym	*s5 = object_sym(OBJ_LIB, "static_fn");
	uint64_t		 bias4 = BIAS + 0x40, a;
	char			*cause;
	size_t			 n;

	/*
	 * libt.so and libt4.so so close that their segments overlap, recorded
	 * as ranges that do not: libt.so's from its start, libt4.so's from
	 * its static_fn on.  Plus a duplicate of the first, a range inside
	 * another and an empty one.
	 */
	m[0] = object_mapping(OBJ_LIB);
	m[0].end = bias4 + s4->value;
	m[1] = object_mapping(OBJ_LIB4);
	m[1].bias = bias4;
	m[1].start = bias4 + s4->value;
	m[1].end = BIAS + SPAN;
	m[2] = m[0];
	m[3] = m[1];
	m[3].start = m[3].end - 16;
	m[4] = m[0];
	m[4].start = m[4].end = BIAS + 8;
	sz = symbolizer_create(m, 5, NULL, &cause);
	ck_assert_ptr_nonnull(sz);
	a = BIAS + s5->value + 1;
	ck_assert_uint_lt(a, m[0].end);
	n = symbolizer_lookup(sz, a, 1, f, MAXFRAMES);
	ck_assert_str_eq(f[0].name, "static_fn");
	ck_assert_str_eq(f[0].module, objects[OBJ_LIB].path);
	n = symbolizer_lookup(sz, bias4 + s4->value + 1, 1, f, MAXFRAMES);
	show("second", f, n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(f[0].name, "static_fn");
	ck_assert_str_eq(f[0].module, objects[OBJ_LIB4].path);
	ck_assert_uint_eq(f[0].offset, s4->value + 1);
	ck_assert_ptr_null(symbolizer_problem(sz, 0));
	symbolizer_free(sz);

	/* Ranges that overlap: the one starting last wins, no crash. */
	m[1].start = BIAS;
	m[1].end = BIAS + SPAN / 2;
	m[0].end = BIAS + SPAN;
	sz = symbolizer_create(m, 2, NULL, &cause);
	n = symbolizer_lookup(sz, BIAS + SPAN / 2 + 10, 1, f, MAXFRAMES);
	ck_assert_str_eq(f[0].module, objects[OBJ_LIB].path);
	n = symbolizer_lookup(sz, bias4 + s4->value + 1, 1, f, MAXFRAMES);
	ck_assert_uint_ge(n, 1);
	symbolizer_free(sz);
}
END_TEST

START_TEST(test_cache)
{
	const struct nm_sym	*s = object_sym(OBJ_LIB, "outer");
	struct symbol_frame	 f[MAXFRAMES], g[MAXFRAMES];
	struct symbolizer	*sz = object_symbolizer(OBJ_LIB, NULL);
	uint64_t		 a;
	size_t			 n, i;

	n = symbolizer_lookup(sz, BIAS + s->value + 4, 1, f, MAXFRAMES);
	/* Thousands of other addresses, most in no function. */
	for (a = BIAS; a < BIAS + 0x4000; a++)
		symbolizer_lookup(sz, a, (int)(a & 1), g, MAXFRAMES);
	ck_assert_uint_eq(symbolizer_lookup(sz, BIAS + s->value + 4, 1, g,
	    MAXFRAMES), n);
	for (i = 0; i < n; i++) {
		ck_assert_ptr_eq(g[i].name, f[i].name);
		ck_assert_ptr_eq(g[i].file, f[i].file);
		ck_assert_int_eq(g[i].line, f[i].line);
		ck_assert_uint_eq(g[i].offset, f[i].offset);
	}
	/* The strings are still there. */
	ck_assert_str_eq(f[n - 1].name, "outer");
	ck_assert_str_eq(base_name(f[n - 1].file), "lib.c");
	symbolizer_free(sz);
}
END_TEST

START_TEST(test_exec)
{
	const struct nm_sym	*s = object_sym(OBJ_EXE, "exe_static");
	const struct nm_sym	*mn = object_sym(OBJ_EXE, "main");
	struct symbol_mapping	 m;
	struct symbol_frame	 f[MAXFRAMES];
	struct symbolizer	*sz;
	char			*cause;
	size_t			 n;

	/* A non-PIE executable: bias 0, addresses are ELF addresses. */
	memset(&m, 0, sizeof m);
	m.start = s->value & ~0xfffULL;
	m.end = mn->value + 0x1000;
	m.path = objects[OBJ_EXE].path;
	m.build_id = objects[OBJ_EXE].build_id;
	m.build_id_len = objects[OBJ_EXE].build_id_len;
	sz = symbolizer_create(&m, 1, NULL, &cause);
	ck_assert_ptr_nonnull(sz);
	n = symbolizer_lookup(sz, s->value + 1, 1, f, MAXFRAMES);
	show("exec", f, n);
	assert_function(f, n, "exe_static", "exe.c",
	    src_line(exe_src, "exe_static(int x)"),
	    src_end(exe_src, "exe_static(int x)"));
	ck_assert_uint_eq(f[0].offset, s->value + 1);
	n = symbolizer_lookup(sz, mn->value, 1, f, MAXFRAMES);
	ck_assert_str_eq(f[n - 1].name, "main");
	ck_assert_ptr_null(symbolizer_problem(sz, 0));
	symbolizer_free(sz);
}
END_TEST

START_TEST(test_cxx)
{
	struct symbol_frame	 f[MAXFRAMES];
	struct symbolizer	*sz = object_symbolizer(OBJ_CXX, NULL);
	const struct object	*o = &objects[OBJ_CXX];
	const struct nm_sym	*bar = NULL, *lam = NULL, *tw = NULL;
	uint64_t		 a;
	size_t			 n, i;
	int			 inlined = 0;

	for (i = 0; i < o->nsyms; i++) {
		if (strcmp(o->syms[i].name, "_ZN2ns3Foo3barEi") == 0)
			bar = &o->syms[i];
		else if (strcmp(o->syms[i].name, "_ZN2ns5twiceIiEET_S1_") == 0)
			tw = &o->syms[i];
		else if (strstr(o->syms[i].name, "3useEiENKUliE_clEi") != NULL)
			lam = &o->syms[i];
	}
	ck_assert_ptr_nonnull(bar);
	ck_assert_ptr_nonnull(tw);
	ck_assert_ptr_nonnull(lam);

	n = symbolizer_lookup(sz, BIAS + tw->value, 1, f, MAXFRAMES);
	show("twice", f, n);
	ck_assert_str_eq(f[n - 1].name, "int ns::twice<int>(int)");

	/* The method, and the function inlined in it. */
	for (a = BIAS + bar->value; a < BIAS + bar->value + bar->size; a++) {
		n = symbolizer_lookup(sz, a, 1, f, MAXFRAMES);
		ck_assert_str_eq(f[n - 1].name, "ns::Foo::bar(int)");
		ck_assert_str_eq(base_name(f[n - 1].file), "cxx.cc");
		if (n != 2)
			continue;
		show("bar", f, n);
		ck_assert_str_eq(f[0].name, "ns::helper(int)");
		ck_assert_int_eq(f[1].line, src_line(cxx_src, "return v + helper(x)"));
		inlined = 1;
	}
	ck_assert_msg(inlined, "helper is not inlined in ns::Foo::bar");

	/*
	 * A lambda, whose DIE sits inside the class of its closure: its name,
	 * and the function inlined in it.
	 */
	inlined = 0;
	for (a = BIAS + lam->value; a < BIAS + lam->value + lam->size; a++) {
		n = symbolizer_lookup(sz, a, 1, f, MAXFRAMES);
		ck_assert_str_eq(f[n - 1].name,
		    "ns::use(int)::{lambda(int)#1}::operator()(int) const");
		ck_assert_int_ge(f[n - 1].line,
		    src_line(cxx_src, "auto lam = "));
		ck_assert_int_le(f[n - 1].line, src_line(cxx_src, "\t};"));
		if (n != 2)
			continue;
		show("lambda", f, n);
		ck_assert_str_eq(f[0].name, "ns::helper(int)");
		ck_assert_int_eq(f[1].line,
		    src_line(cxx_src, "return x + helper(y)"));
		inlined = 1;
	}
	ck_assert_msg(inlined, "helper is not inlined in the lambda");
	symbolizer_free(sz);
}
END_TEST

START_TEST(test_dlopen)
{
	struct symbol_mapping	 m = object_mapping(OBJ_LIB);
	struct symbol_frame	 f[MAXFRAMES];
	struct symbolizer	*sz;
	struct link_map		*lm;
	void			*h, **ret_addr;
	int			(*call_record)(void), (*global_fn)(int);
	char			*cause;
	size_t			 n;

	/* The loader's bias (dlpi_addr, l_addr) and real addresses. */
	h = dlopen(objects[OBJ_LIB].path, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(h != NULL, "dlopen: %s", dlerror());
	ck_assert_int_eq(dlinfo(h, RTLD_DI_LINKMAP, &lm), 0);
	*(void **)&call_record = dlsym(h, "call_record");
	*(void **)&global_fn = dlsym(h, "global_fn");
	ret_addr = dlsym(h, "ret_addr");
	ck_assert_ptr_nonnull(call_record);
	ck_assert_ptr_nonnull(global_fn);
	ck_assert_ptr_nonnull(ret_addr);
	call_record();

	m.bias = lm->l_addr;
	m.start = lm->l_addr;
	m.end = lm->l_addr + SPAN;
	sz = symbolizer_create(&m, 1, NULL, &cause);
	ck_assert_ptr_nonnull(sz);
	n = symbolizer_lookup(sz, (uintptr_t)global_fn, 1, f, MAXFRAMES);
	ck_assert_str_eq(f[n - 1].name, "global_fn");

	/* A real return address: the call's line. */
	n = symbolizer_lookup(sz, (uintptr_t)*ret_addr, 0, f, MAXFRAMES);
	show("ret", f, n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(f[0].name, "call_record");
	ck_assert_int_eq(f[0].line, src_line(lib_src, "\trecord();"));
	ck_assert_uint_eq(f[0].offset, (uintptr_t)*ret_addr - lm->l_addr);
	symbolizer_free(sz);
	dlclose(h);
}
END_TEST

/* Add a test needing the objects in mask, or say why it is skipped. */
static void
add_test(TCase *tc, const TTest *t, unsigned int mask, int loops)
{
	int	obj;

	for (obj = 0; obj < OBJ_COUNT; obj++) {
		if ((mask & (1U << obj)) && !objects[obj].ok) {
			printf("# SKIP %s: %s could not be built (see %s/log)\n",
			    t->name, base_name(objects[obj].path), work_dir);
			return;
		}
	}
	tcase_add_loop_test(tc, t, 0, loops);
}

int
main(void)
{
	Suite	*s = suite_create("symbol");
	TCase	*tc = tcase_create("symbol");
	SRunner	*sr;
	int	 failed;

	/* No debuginfod downloads from a unit test. */
	unsetenv("DEBUGINFOD_URLS");
	snprintf(work_dir, sizeof work_dir, "%s/check_symbol.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(work_dir) == NULL) {
		perror(work_dir);
		return 1;
	}
	snprintf(debug_dir, sizeof debug_dir, "%s/debug", work_dir);
	build_objects();

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_no_mapping);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_self);
	tcase_add_test(tc, test_changed_self);
	add_test(tc, test_static_function, LIB | LIB4, 2);
	add_test(tc, test_global_function, LIB | LIB4, 2);
	add_test(tc, test_return_address, LIB, 1);
	add_test(tc, test_inlined, LIB | LIB4, 2);
	add_test(tc, test_past_end, LIB, 1);
	add_test(tc, test_stripped, LIB | STRIP, 1);
	add_test(tc, test_separate_debug, LIB | SPLIT, 1);
	add_test(tc, test_missing_with_debug, LIB | SPLIT, 1);
	add_test(tc, test_changed_build_id, LIB, 1);
	add_test(tc, test_several_modules, LIB | LIB4, 1);
	add_test(tc, test_cache, LIB, 1);
	add_test(tc, test_exec, 1U << OBJ_EXE, 1);
	add_test(tc, test_cxx, 1U << OBJ_CXX, 1);
	add_test(tc, test_dlopen, LIB, 1);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_objects();
	return failed == 0 ? 0 : 1;
}
