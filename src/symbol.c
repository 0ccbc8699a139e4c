/*
 * Offline symbolization with elfutils' libdwfl.  Mappings are sorted by
 * start address; a module (one file at one bias) is opened on the first
 * lookup that falls in it, after its build-id has been compared with the
 * one recorded, and reported to the symbolizer's Dwfl.  libdwfl's own
 * address-to-symbol search is linear in the symbol table (half a
 * millisecond a lookup in libpython), so each module's table is read once
 * into sorted arrays; likewise each unit's functions are indexed by
 * address once, and only the function holding an address is walked down
 * for the functions inlined there.  Lines come from the line table.  Every
 * result is cached per (address, is_pc) and its strings are interned.
 */

#include "config.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "symbol.h"

#ifdef HAVE_CXA_DEMANGLE
/* The C++ runtime's demangler (libstdc++, <cxxabi.h>). */
char	*__cxa_demangle(const char *, char *, size_t *, int *);
#endif

/* Frames kept per address: the inlining depth and the function. */
#define SYMBOL_MAXFRAMES	64

/* DIEs looked at in one unit before giving up on it as hostile. */
#define SYMBOL_BUDGET		(16L * 1024 * 1024)

/* Nesting of DIEs followed (namespaces, classes, blocks). */
#define SYMBOL_MAXDEPTH		256

/* Children of a scope searched one by one before it gets an index. */
#define SYMBOL_WIDE		32

/* Where separate debug files are found when no list is given. */
#define SYMBOL_DEBUG_DIR	"/usr/lib/debug"

enum symbol_state {
	SYMBOL_UNOPENED,
	SYMBOL_OPEN,		/* reported to a Dwfl, usable */
	SYMBOL_FAILED,		/* missing or unreadable: no names */
	SYMBOL_CHANGED,		/* another build-id: no names */
};

/*
 * A symbol from a module's table.  A sized one covers [start, end); a
 * sizeless one (an assembler label) only stands for what follows it up to
 * the end of its section, and only past the end of any sized symbol
 * before the address.
 */
struct symbol_sym {
	uint64_t	 start;
	uint64_t	 end;
	uint64_t	 reach;		/* highest end of this and those before */
	const char	*name;		/* libdw's, lives as long as the Dwfl */
	int		 rank;		/* between equal starts, higher wins */
};

/* The code range of a DIE (DWARF addresses). */
struct symbol_span {
	uint64_t	low;
	uint64_t	high;
	uint64_t	reach;		/* highest high of this and those before */
	Dwarf_Die	die;
};

/*
 * The code ranges of DIEs below one DIE, sorted by address: a unit's
 * functions, or the scopes directly inside a scope with many of them (the
 * thousands of inlined calls and blocks of an interpreter's eval loop).
 */
struct symbol_index {
	Dwarf_Off		 offset;	/* of the DIE above them */
	struct symbol_span	*spans;
	size_t			 nspans;
	size_t			 spans_size;
};

/* An object file at one load bias. */
struct symbol_module {
	const char		*path;		/* interned */
	uint64_t		 bias;
	uint8_t			*build_id;	/* NULL if none recorded */
	size_t			 build_id_len;
	enum symbol_state	 state;
	Dwfl_Module		*mod;

	int			 symtab_read;
	struct symbol_sym	*sized;		/* sorted by start, rank */
	size_t			 nsized;
	struct symbol_sym	*sizeless;	/* sorted by start, rank */
	size_t			 nsizeless;

	struct symbol_index	*indexes;	/* sorted by offset */
	size_t			 nindexes;
	size_t			 indexes_size;
};

/* A mapping: an address range of one module. */
struct symbol_range {
	uint64_t	start;
	uint64_t	end;
	uint64_t	reach;		/* highest end of this and those before */
	size_t		module;
};

/* A cached result: count frames from first; count 0 is a free slot. */
struct symbol_entry {
	uint64_t	addr;
	uint32_t	first;
	uint16_t	count;
	uint8_t		is_pc;
};

/* The inlining chain at an address, outermost first. */
struct symbol_chain {
	Dwarf_Die	die[SYMBOL_MAXFRAMES];
	size_t		n;
	long		budget;
};

struct symbolizer {
	Dwfl_Callbacks		 callbacks;
	char			*debug_path;	/* NULL: elfutils' default */
	Dwfl			*dwfl;
	size_t			 nreported;	/* modules in dwfl */
	Dwfl			**extra;	/* one each for modules dwfl refused */
	size_t			 nextra;
	size_t			 extra_size;

	struct symbol_module	*modules;
	size_t			 nmodules;
	struct symbol_range	*ranges;
	size_t			 nranges;

	struct symbol_entry	*cache;
	size_t			 cache_nslots;	/* a power of two */
	size_t			 cache_used;
	struct symbol_frame	*frames;
	size_t			 nframes;
	size_t			 frames_size;

	char			**strings;
	size_t			 string_nslots;	/* a power of two */
	size_t			 string_used;

	char			**problems;
	size_t			 nproblems;
	size_t			 problems_size;
};

/* Hash a string (FNV-1a). */
static uint64_t
symbol_hash_string(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	while (*s != '\0') {
		h ^= (uint8_t)*s++;
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

/* Hash a cache key. */
static uint64_t
symbol_hash_addr(uint64_t addr, int is_pc)
{
	uint64_t	h = (addr ^ (uint64_t)is_pc) * 0x9e3779b97f4a7c15ULL;

	return h ^ (h >> 31);
}

/* Return the interned copy of s, NULL if s is NULL or memory ran out. */
static const char *
symbol_intern(struct symbolizer *sz, const char *s)
{
	char	**slots, *copy;
	size_t	  n, i, j;

	if (s == NULL)
		return NULL;
	if (2 * (sz->string_used + 1) > sz->string_nslots) {
		n = sz->string_nslots == 0 ? 256 : 2 * sz->string_nslots;
		slots = calloc(n, sizeof *slots);
		if (slots == NULL)
			return NULL;
		for (i = 0; i < sz->string_nslots; i++) {
			if (sz->strings[i] == NULL)
				continue;
			j = symbol_hash_string(sz->strings[i]) & (n - 1);
			while (slots[j] != NULL)
				j = (j + 1) & (n - 1);
			slots[j] = sz->strings[i];
		}
		free(sz->strings);
		sz->strings = slots;
		sz->string_nslots = n;
	}
	n = sz->string_nslots;
	for (j = symbol_hash_string(s) & (n - 1); sz->strings[j] != NULL;
	    j = (j + 1) & (n - 1)) {
		if (strcmp(sz->strings[j], s) == 0)
			return sz->strings[j];
	}
	if ((copy = strdup(s)) == NULL)
		return NULL;
	sz->strings[j] = copy;
	sz->string_used++;
	return copy;
}

/* Record a problem line. */
static void __attribute__((format(printf, 2, 3)))
symbol_problem(struct symbolizer *sz, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 r;

	if (array_grow(&sz->problems, &sz->problems_size, sz->nproblems + 1,
	    sizeof *sz->problems) != 0)
		return;
	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r >= 0)
		sz->problems[sz->nproblems++] = s;
}

/* Intern the demangled form of a C++ name; NULL if it is not one. */
static const char *
symbol_demangle(struct symbolizer *sz, const char *name)
{
#ifdef HAVE_CXA_DEMANGLE
	const char	*s = NULL;
	char		*d;
	int		 status;

	if (name == NULL || name[0] != '_' || name[1] != 'Z')
		return NULL;
	d = __cxa_demangle(name, NULL, NULL, &status);
	if (d != NULL && status == 0)
		s = symbol_intern(sz, d);
	free(d);
	return s;
#else
	return NULL;
#endif
}

/*
 * Intern a symbol name, demangled if it is a C++ one, without the symbol
 * version a .symtab entry may carry ("__libc_start_main@@GLIBC_2.34"): no
 * C or mangled C++ name contains '@'.
 */
static const char *
symbol_name(struct symbolizer *sz, const char *name)
{
	const char	*s, *at;
	char		 buf[512];

	if (name != NULL && (at = strchr(name, '@')) != NULL && at != name &&
	    (size_t)(at - name) < sizeof buf) {
		memcpy(buf, name, (size_t)(at - name));
		buf[at - name] = '\0';
		name = buf;
	}
	if ((s = symbol_demangle(sz, name)) != NULL)
		return s;
	return symbol_intern(sz, name);
}

/* Name a subprogram or inlined subroutine DIE. */
static const char *
symbol_die_name(struct symbolizer *sz, Dwarf_Die *die)
{
	Dwarf_Attribute	 attr;
	const char	*linkage, *name;

	/*
	 * DW_AT_name of a C++ function is unqualified ("bar"): prefer the
	 * demangled linkage name ("ns::Foo::bar(int)"), as the symbol table
	 * gives for the outermost function, but only if it demangles.  A
	 * function with internal linkage has no linkage name: its bare name.
	 */
	linkage = dwarf_formstring(dwarf_attr_integrate(die,
	    DW_AT_linkage_name, &attr));
	if (linkage == NULL)
		linkage = dwarf_formstring(dwarf_attr_integrate(die,
		    DW_AT_MIPS_linkage_name, &attr));
	if ((name = symbol_demangle(sz, linkage)) != NULL)
		return name;
	if ((name = dwarf_diename(die)) != NULL)
		return symbol_intern(sz, name);
	return symbol_intern(sz, linkage);
}

/* Whether a DIE with this tag may cover addresses and nest inlined code. */
static int
symbol_scope_tag(int tag)
{
	switch (tag) {
	case DW_TAG_subprogram:
	case DW_TAG_inlined_subroutine:
	case DW_TAG_lexical_block:
	case DW_TAG_try_block:
	case DW_TAG_catch_block:
	case DW_TAG_with_stmt:
	case DW_TAG_entry_point:
		return 1;
	}
	return 0;
}

/* Whether a DIE with this tag holds definitions without covering code. */
static int
symbol_container_tag(int tag)
{
	switch (tag) {
	case DW_TAG_namespace:
	case DW_TAG_module:
	case DW_TAG_class_type:
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_interface_type:
		return 1;
	}
	return 0;
}

/* Whether a unit is C++ (where functions nest in local classes). */
static int
symbol_cxx(Dwarf_Die *cu)
{
	switch (dwarf_srclang(cu)) {
	case DW_LANG_C_plus_plus:
	case DW_LANG_C_plus_plus_03:
	case DW_LANG_C_plus_plus_11:
	case DW_LANG_C_plus_plus_14:
		return 1;
	}
	return 0;
}

/* Order symbols by start, then rank. */
static int
symbol_cmp_sym(const void *a, const void *b)
{
	const struct symbol_sym	*sa = a, *sb = b;

	if (sa->start != sb->start)
		return sa->start < sb->start ? -1 : 1;
	return (sa->rank > sb->rank) - (sa->rank < sb->rank);
}

/* Sort symbols and set their reach. */
static void
symbol_sort_syms(struct symbol_sym *syms, size_t n)
{
	size_t	i;

	if (n == 0)
		return;
	qsort(syms, n, sizeof *syms, symbol_cmp_sym);
	for (i = 0; i < n; i++) {
		syms[i].reach = syms[i].end;
		if (i != 0 && syms[i - 1].reach > syms[i].reach)
			syms[i].reach = syms[i - 1].reach;
	}
}

/* Add a symbol to an array. */
static int
symbol_add_sym(struct symbol_sym **syms, size_t *n, size_t *size,
    uint64_t start, uint64_t end, const char *name, int rank)
{
	if (array_grow(syms, size, *n + 1, sizeof **syms) != 0)
		return -1;
	(*syms)[*n].start = start;
	(*syms)[*n].end = end;
	(*syms)[*n].name = name;
	(*syms)[*n].rank = rank;
	(*n)++;
	return 0;
}

/*
 * Read a module's symbol table (.symtab, else .dynsym, from the file or
 * its debug file) into sorted arrays.  Between symbols at one address a
 * function beats other types, then global beats weak beats local, as
 * dwfl_module_addrinfo() prefers.
 */
static void
symbol_read_symtab(struct symbol_module *m)
{
	GElf_Sym	 sym;
	GElf_Addr	 addr;
	GElf_Word	 shndx;
	GElf_Shdr	 shdr;
	Elf_Scn		*scn;
	Elf		*elf;
	Dwarf_Addr	 bias;
	const char	*name;
	size_t		 sized_size = 0, sizeless_size = 0;
	int		 n, i, type, bind, rank;

	m->symtab_read = 1;
	if ((n = dwfl_module_getsymtab(m->mod)) <= 0)
		return;
	for (i = 1; i < n; i++) {
		name = dwfl_module_getsym_info(m->mod, i, &sym, &addr, &shndx,
		    &elf, &bias);
		if (name == NULL || *name == '\0' || shndx == SHN_UNDEF ||
		    shndx == SHN_ABS || shndx == SHN_COMMON)
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		bind = GELF_ST_BIND(sym.st_info);
		if (type == STT_SECTION || type == STT_FILE || type == STT_TLS)
			continue;
		rank = (type == STT_FUNC || type == STT_GNU_IFUNC) ? 4 : 0;
		rank += bind == STB_GLOBAL ? 2 : bind == STB_WEAK ? 1 : 0;
		if (sym.st_size != 0) {
			if (addr + sym.st_size < addr)
				continue;
			if (symbol_add_sym(&m->sized, &m->nsized, &sized_size,
			    addr, addr + sym.st_size, name, rank) != 0)
				break;
			continue;
		}
		/* A label stands for nothing past its section. */
		if (elf == NULL || (scn = elf_getscn(elf, shndx)) == NULL ||
		    gelf_getshdr(scn, &shdr) == NULL ||
		    !(shdr.sh_flags & SHF_ALLOC))
			continue;
		if (symbol_add_sym(&m->sizeless, &m->nsizeless,
		    &sizeless_size, addr, shdr.sh_addr + bias + shdr.sh_size,
		    name, rank) != 0)
			break;
	}
	symbol_sort_syms(m->sized, m->nsized);
	symbol_sort_syms(m->sizeless, m->nsizeless);
}

/* The number of symbols in syms starting at or before addr. */
static size_t
symbol_upper(const struct symbol_sym *syms, size_t n, uint64_t addr)
{
	size_t	lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (syms[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The name of the symbol at pc: the sized symbol containing it with the
 * latest start, else the last label before it, if that label is past the
 * end of every sized symbol before pc and in the same section.  Never a
 * symbol whose size ends before pc.
 */
static const char *
symbol_symname(struct symbol_module *m, uint64_t pc)
{
	const struct symbol_sym	*s;
	uint64_t		 floor = 0;
	size_t			 i;

	if (!m->symtab_read)
		symbol_read_symtab(m);
	i = symbol_upper(m->sized, m->nsized, pc);
	if (i != 0)
		floor = m->sized[i - 1].reach;
	for (; i > 0 && m->sized[i - 1].reach > pc; i--) {
		if (m->sized[i - 1].end > pc)
			return m->sized[i - 1].name;
	}
	i = symbol_upper(m->sizeless, m->nsizeless, pc);
	if (i == 0)
		return NULL;
	s = &m->sizeless[i - 1];
	if (s->start < floor || pc >= s->end)
		return NULL;
	return s->name;
}

/* Order spans by address. */
static int
symbol_cmp_span(const void *a, const void *b)
{
	const struct symbol_span	*sa = a, *sb = b;

	if (sa->low != sb->low)
		return sa->low < sb->low ? -1 : 1;
	return (sa->high > sb->high) - (sa->high < sb->high);
}

/* Add a DIE's code ranges to an index. */
static int
symbol_index_add(struct symbol_index *ix, Dwarf_Die *die)
{
	struct symbol_span	*sp;
	Dwarf_Addr		 base, low, high;
	ptrdiff_t		 off = 0;

	while ((off = dwarf_ranges(die, off, &base, &low, &high)) > 0) {
		if (low >= high)
			continue;
		if (array_grow(&ix->spans, &ix->spans_size, ix->nspans + 1,
		    sizeof *ix->spans) != 0)
			return -1;
		sp = &ix->spans[ix->nspans++];
		sp->low = low;
		sp->high = high;
		sp->die = *die;
	}
	return 0;
}

/* Sort an index and set the reach of its spans. */
static void
symbol_index_sort(struct symbol_index *ix)
{
	size_t	i;

	if (ix->nspans != 0)
		qsort(ix->spans, ix->nspans, sizeof *ix->spans,
		    symbol_cmp_span);
	for (i = 0; i < ix->nspans; i++) {
		ix->spans[i].reach = ix->spans[i].high;
		if (i != 0 && ix->spans[i - 1].reach > ix->spans[i].reach)
			ix->spans[i].reach = ix->spans[i - 1].reach;
	}
}

/* Find the span of an index containing pc, NULL if none. */
static const struct symbol_span *
symbol_index_find(const struct symbol_index *ix, uint64_t pc)
{
	size_t	lo = 0, hi = ix->nspans, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ix->spans[mid].low <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Nested ranges: the latest start, the innermost, wins. */
	for (; lo > 0 && ix->spans[lo - 1].reach > pc; lo--) {
		if (ix->spans[lo - 1].high > pc)
			return &ix->spans[lo - 1];
	}
	return NULL;
}

/*
 * Find the index of the DIE at offset; if there is none and create is
 * set, add an empty one.  NULL if none or out of memory.  The pointer is
 * good until the next index is added.
 */
static struct symbol_index *
symbol_index_get(struct symbol_module *m, Dwarf_Off offset, int create)
{
	struct symbol_index	*ix;
	size_t			 lo = 0, hi = m->nindexes, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (m->indexes[mid].offset == offset)
			return &m->indexes[mid];
		if (m->indexes[mid].offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!create || array_grow(&m->indexes, &m->indexes_size,
	    m->nindexes + 1, sizeof *m->indexes) != 0)
		return NULL;
	memmove(&m->indexes[lo + 1], &m->indexes[lo],
	    (m->nindexes - lo) * sizeof *m->indexes);
	m->nindexes++;
	ix = &m->indexes[lo];
	memset(ix, 0, sizeof *ix);
	ix->offset = offset;
	return ix;
}

/*
 * Index the functions below parent: subprograms with code, in containers
 * (namespaces, classes) too.  A deep walk (C++) also looks inside the
 * functions, for the local classes they hold: gcc puts a lambda's
 * operator() in its closure type inside the enclosing function, whose code
 * is elsewhere.
 */
static int
symbol_index_unit(struct symbol_index *ix, Dwarf_Die *parent, int deep,
    int depth, long *budget)
{
	Dwarf_Die	child;
	int		tag;

	if (depth > SYMBOL_MAXDEPTH || dwarf_child(parent, &child) != 0)
		return 0;
	do {
		if (--*budget <= 0)
			return -1;
		tag = dwarf_tag(&child);
		if (tag == DW_TAG_subprogram &&
		    symbol_index_add(ix, &child) != 0)
			return -1;
		if (symbol_container_tag(tag) || (deep &&
		    symbol_scope_tag(tag) && tag != DW_TAG_inlined_subroutine)) {
			if (symbol_index_unit(ix, &child, deep, depth + 1,
			    budget) != 0)
				return -1;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return 0;
}

/* Find the function of a unit containing pc (a DWARF address). */
static const struct symbol_span *
symbol_unit_func(struct symbol_module *m, Dwarf_Die *cu, uint64_t pc)
{
	struct symbol_index	*ix;
	long			 budget = SYMBOL_BUDGET;

	ix = symbol_index_get(m, dwarf_dieoffset(cu), 0);
	if (ix == NULL) {
		if ((ix = symbol_index_get(m, dwarf_dieoffset(cu), 1)) == NULL)
			return NULL;
		/* A unit too large to believe keeps what was found so far. */
		symbol_index_unit(ix, cu, symbol_cxx(cu), 0, &budget);
		symbol_index_sort(ix);
	}
	return symbol_index_find(ix, pc);
}

/*
 * Find the scope directly inside parent that contains pc, into *found:
 * one by one, or through an index made the first time parent turns out to
 * have many children.  Return 0 if found, -1 if not.
 */
static int
symbol_child_at(struct symbol_module *m, Dwarf_Die *parent, Dwarf_Addr pc,
    struct symbol_chain *c, Dwarf_Die *found)
{
	const struct symbol_span	*sp;
	struct symbol_index		*ix;
	Dwarf_Die			 child;
	size_t				 seen = 0;

	ix = symbol_index_get(m, dwarf_dieoffset(parent), 0);
	if (ix == NULL) {
		if (dwarf_child(parent, &child) != 0)
			return -1;
		do {
			if (--c->budget <= 0)
				return -1;
			if (++seen > SYMBOL_WIDE)
				break;
			if (symbol_scope_tag(dwarf_tag(&child)) &&
			    dwarf_haspc(&child, pc) == 1) {
				*found = child;
				return 0;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
		if (seen <= SYMBOL_WIDE)
			return -1;

		/* Many children: index them all once. */
		ix = symbol_index_get(m, dwarf_dieoffset(parent), 1);
		if (ix == NULL || dwarf_child(parent, &child) != 0)
			return -1;
		do {
			if (--c->budget <= 0)
				break;
			if (symbol_scope_tag(dwarf_tag(&child)) &&
			    symbol_index_add(ix, &child) != 0)
				break;
		} while (dwarf_siblingof(&child, &child) == 0);
		symbol_index_sort(ix);
	}
	if ((sp = symbol_index_find(ix, pc)) == NULL)
		return -1;
	*found = sp->die;
	return 0;
}

/*
 * Walk down from a function's DIE to the innermost scope containing pc,
 * pushing the inlined subroutines met on the way.  Only scopes that
 * contain pc are entered.  A subprogram nested in one of them (a GNU C
 * nested function) is a function of its own: the chain restarts there.
 */
static void
symbol_descend(struct symbol_module *m, Dwarf_Die *parent, Dwarf_Addr pc,
    struct symbol_chain *c)
{
	Dwarf_Die	scope = *parent;
	int		depth, tag;

	for (depth = 0; depth < SYMBOL_MAXDEPTH; depth++) {
		if (symbol_child_at(m, &scope, pc, c, &scope) != 0)
			return;
		tag = dwarf_tag(&scope);
		if (tag == DW_TAG_subprogram)
			c->n = 0;
		if ((tag == DW_TAG_subprogram ||
		    tag == DW_TAG_inlined_subroutine) &&
		    c->n < SYMBOL_MAXFRAMES)
			c->die[c->n++] = scope;
	}
}

/* Read an inlined subroutine's call site. */
static void
symbol_call_site(struct symbolizer *sz, Dwarf_Die *die, Dwarf_Files *files,
    size_t nfiles, struct symbol_frame *f)
{
	Dwarf_Attribute	attr;
	Dwarf_Word	v;

	if (files != NULL &&
	    dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &v) == 0 &&
	    v < nfiles)
		f->file = symbol_intern(sz, dwarf_filesrc(files, v, NULL, NULL));
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &v) == 0 &&
	    v <= INT32_MAX)
		f->line = (int)v;
}

/*
 * Resolve pc in an open module into out (SYMBOL_MAXFRAMES of them, module
 * and offset already set in out[0]); return the number of frames.
 */
static size_t
symbol_resolve(struct symbolizer *sz, struct symbol_module *m, uint64_t pc,
    struct symbol_frame *out)
{
	struct symbol_chain	 c;
	struct symbol_frame	 base = out[0];
	const struct symbol_span *func;
	Dwarf_Addr		 dwbias;
	Dwarf_Die		*cu;
	Dwarf_Files		*files = NULL;
	Dwfl_Line		*l;
	size_t			 nfiles = 0, n, i;
	const char		*symname, *file = NULL;
	int			 line = 0;

	symname = symbol_name(sz, symbol_symname(m, pc));
	if ((l = dwfl_module_getsrc(m->mod, pc)) != NULL) {
		file = symbol_intern(sz, dwfl_lineinfo(l, NULL, &line, NULL,
		    NULL, NULL));
		if (line < 0)
			line = 0;
	}

	/* The function holding pc, then the inlined code inside it. */
	n = 0;
	if ((cu = dwfl_module_addrdie(m->mod, pc, &dwbias)) != NULL &&
	    (func = symbol_unit_func(m, cu, pc - dwbias)) != NULL) {
		c.die[0] = func->die;
		c.n = 1;
		c.budget = SYMBOL_BUDGET;
		symbol_descend(m, &c.die[0], pc - dwbias, &c);
		n = c.n;
		if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0)
			files = NULL;
	}

	/*
	 * No DWARF function here: the symbol alone.  Without a symbol either,
	 * the line table's row is only the last one before the address (a
	 * unit's rows run on over code it does not describe, such as
	 * top-level asm), so no line is given.
	 */
	if (n == 0) {
		out[0].name = symname;
		if (symname != NULL) {
			out[0].file = file;
			out[0].line = line;
		}
		return 1;
	}

	/*
	 * The chain is outermost first; out is innermost first.  The
	 * innermost frame has the line table's line, each outer one the call
	 * site of the inlined subroutine inside it.
	 */
	for (i = 0; i < n; i++) {
		out[i] = base;
		out[i].name = symbol_die_name(sz, &c.die[n - 1 - i]);
		if (i == 0) {
			out[i].file = file;
			out[i].line = line;
		} else
			symbol_call_site(sz, &c.die[n - i], files, nfiles,
			    &out[i]);
	}
	/* The symbol table names the outermost function best (qualified). */
	if (symname != NULL)
		out[n - 1].name = symname;
	return n;
}

/*
 * Open the separate debug file with the module's recorded build-id, for a
 * module whose own file is gone.  Return its descriptor, -1 if none, and
 * its path in *found.
 */
static int
symbol_open_debug(struct symbolizer *sz, struct symbol_module *m,
    char **found)
{
	const char	*dirs = sz->debug_path, *p, *end;
	char		*path, *hex;
	size_t		 i;
	int		 fd;

	if (m->build_id_len < 2)
		return -1;
	if ((hex = malloc(2 * m->build_id_len + 2)) == NULL)
		return -1;
	for (i = 0; i < m->build_id_len; i++) {
		/* "xx/" after the first byte. */
		sprintf(hex + 2 * i + (i != 0), "%02x", m->build_id[i]);
		if (i == 0)
			hex[2] = '/';
	}
	if (dirs == NULL)
		dirs = SYMBOL_DEBUG_DIR;
	for (p = dirs; *p != '\0'; p = *end == '\0' ? end : end + 1) {
		/* A leading - or + is elfutils' CRC flag, not the path. */
		if (*p == '-' || *p == '+')
			p++;
		end = strchrnul(p, ':');
		if (*p != '/')
			continue;
		if (asprintf(&path, "%.*s/.build-id/%s.debug", (int)(end - p), p,
		    hex) < 0)
			break;
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd != -1) {
			free(hex);
			*found = path;
			return fd;
		}
		free(path);
	}
	free(hex);
	return -1;
}

/*
 * Report a module's file to the symbolizer's Dwfl, or to one of its own if
 * libdwfl refuses it there.  Overlapping modules are fine (lookups go
 * through the module, never dwfl_addrmodule), but a module of the same
 * name and address range from another file is not.
 */
static Dwfl_Module *
symbol_report(struct symbolizer *sz, struct symbol_module *m,
    const char *file, char **cause)
{
	Dwfl_Module	*mod;
	Dwfl		*dwfl;

	mod = dwfl_report_elf(sz->dwfl, m->path, file, -1, m->bias, true);
	if (mod != NULL) {
		dwfl_report_end(sz->dwfl, NULL, NULL);
		sz->nreported++;
		return mod;
	}
	if (sz->nreported != 0 && array_grow(&sz->extra, &sz->extra_size,
	    sz->nextra + 1, sizeof *sz->extra) == 0 &&
	    (dwfl = dwfl_begin(&sz->callbacks)) != NULL) {
		mod = dwfl_report_elf(dwfl, m->path, file, -1, m->bias, true);
		if (mod != NULL) {
			dwfl_report_end(dwfl, NULL, NULL);
			sz->extra[sz->nextra++] = dwfl;
			return mod;
		}
		if (asprintf(cause, "%s", dwfl_errmsg(-1)) < 0)
			*cause = NULL;
		dwfl_end(dwfl);
		return NULL;
	}
	if (asprintf(cause, "%s", dwfl_errmsg(-1)) < 0)
		*cause = NULL;
	return NULL;
}

/*
 * Open a module on its first lookup: check that its file still has the
 * recorded build-id and report it to libdwfl.  Problems are recorded and
 * leave the module without names.
 */
static void
symbol_open(struct symbolizer *sz, struct symbol_module *m)
{
	const void	*id;
	const char	*file = m->path;
	char		*debug = NULL, *cause = NULL;
	struct stat	 st;
	ssize_t		 len;
	Elf		*elf;
	int		 fd, error;

	m->state = SYMBOL_FAILED;
	if (*m->path == '\0')
		return;
	/*
	 * The profile names the file: it may be a FIFO (open would wait for a
	 * writer) or a device, refused by the S_ISREG check below.
	 */
	if ((fd = open(m->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		error = errno;
		fd = symbol_open_debug(sz, m, &debug);
		if (fd == -1) {
			symbol_problem(sz, "%s: cannot open: %s", m->path,
			    strerror(error));
			return;
		}
		symbol_problem(sz, "%s: cannot open: %s (names from %s)",
		    m->path, strerror(error), debug);
		file = debug;
	}

	elf = NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		symbol_problem(sz, "%s: cannot open: %s", file,
		    S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a file");
		goto out;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf == NULL || elf_kind(elf) != ELF_K_ELF) {
		symbol_problem(sz, "%s: cannot open: %s", file,
		    elf == NULL ? elf_errmsg(-1) : "not an ELF file");
		goto out;
	}
	if (m->build_id_len != 0) {
		/* Unreadable notes are a broken file; none, another file. */
		if ((len = dwelf_elf_gnu_build_id(elf, &id)) < 0) {
			symbol_problem(sz, "%s: cannot open: %s", file,
			    elf_errmsg(-1));
			goto out;
		}
		if ((size_t)len != m->build_id_len ||
		    memcmp(id, m->build_id, m->build_id_len) != 0) {
			symbol_problem(sz, "%s: file changed since the profile "
			    "was recorded (build-id differs)", file);
			m->state = SYMBOL_CHANGED;
			goto out;
		}
	}
	if ((m->mod = symbol_report(sz, m, file, &cause)) == NULL) {
		symbol_problem(sz, "%s: cannot open: %s", file,
		    cause != NULL ? cause : "out of memory");
		goto out;
	}
	m->state = SYMBOL_OPEN;

out:
	if (elf != NULL)
		elf_end(elf);
	close(fd);
	free(debug);
	free(cause);
}

/* Find the range containing addr, NULL if none. */
static struct symbol_range *
symbol_find(struct symbolizer *sz, uint64_t addr)
{
	size_t	lo = 0, hi = sz->nranges, mid, i;

	/* The last range starting at or before addr... */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sz->ranges[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* ...or an earlier one if they overlap: the latest start wins. */
	for (i = lo; i > 0 && sz->ranges[i - 1].reach > addr; i--) {
		if (sz->ranges[i - 1].end > addr)
			return &sz->ranges[i - 1];
	}
	return NULL;
}

/* Look up a cached result. */
static struct symbol_entry *
symbol_cached(struct symbolizer *sz, uint64_t addr, int is_pc)
{
	struct symbol_entry	*e;
	size_t			 j, mask = sz->cache_nslots - 1;

	if (sz->cache_nslots == 0)
		return NULL;
	for (j = symbol_hash_addr(addr, is_pc) & mask;; j = (j + 1) & mask) {
		e = &sz->cache[j];
		if (e->count == 0)
			return NULL;
		if (e->addr == addr && e->is_pc == is_pc)
			return e;
	}
}

/* Cache a result; if memory runs out it is simply not cached. */
static void
symbol_cache(struct symbolizer *sz, uint64_t addr, int is_pc,
    const struct symbol_frame *f, size_t n)
{
	struct symbol_entry	*slots, *e;
	size_t			 nslots, i, j;

	if (sz->nframes + n > UINT32_MAX || array_grow(&sz->frames,
	    &sz->frames_size, sz->nframes + n, sizeof *sz->frames) != 0)
		return;
	if (2 * (sz->cache_used + 1) > sz->cache_nslots) {
		nslots = sz->cache_nslots == 0 ? 1024 : 2 * sz->cache_nslots;
		if ((slots = calloc(nslots, sizeof *slots)) == NULL)
			return;
		for (i = 0; i < sz->cache_nslots; i++) {
			if (sz->cache[i].count == 0)
				continue;
			j = symbol_hash_addr(sz->cache[i].addr,
			    sz->cache[i].is_pc) & (nslots - 1);
			while (slots[j].count != 0)
				j = (j + 1) & (nslots - 1);
			slots[j] = sz->cache[i];
		}
		free(sz->cache);
		sz->cache = slots;
		sz->cache_nslots = nslots;
	}
	for (j = symbol_hash_addr(addr, is_pc) & (sz->cache_nslots - 1);
	    sz->cache[j].count != 0; j = (j + 1) & (sz->cache_nslots - 1))
		;
	e = &sz->cache[j];
	e->addr = addr;
	e->is_pc = (uint8_t)is_pc;
	e->first = (uint32_t)sz->nframes;
	e->count = (uint16_t)n;
	memcpy(sz->frames + sz->nframes, f, n * sizeof *f);
	sz->nframes += n;
	sz->cache_used++;
}

/* Order ranges by start address. */
static int
symbol_cmp_range(const void *a, const void *b)
{
	const struct symbol_range	*ra = a, *rb = b;

	if (ra->start != rb->start)
		return ra->start < rb->start ? -1 : 1;
	if (ra->end != rb->end)
		return ra->end < rb->end ? -1 : 1;
	return 0;
}

/* Find or add the module of a mapping; return its index, -1 if no memory. */
static ssize_t
symbol_add_module(struct symbolizer *sz, const struct symbol_mapping *map,
    size_t *size)
{
	struct symbol_module	*m;
	const char		*path;
	size_t			 i, idlen;

	if ((path = symbol_intern(sz, map->path != NULL ? map->path : "")) ==
	    NULL)
		return -1;
	idlen = map->build_id != NULL ? map->build_id_len : 0;
	for (i = sz->nmodules; i > 0; i--) {
		m = &sz->modules[i - 1];
		if (m->path == path && m->bias == map->bias &&
		    m->build_id_len == idlen &&
		    (idlen == 0 || memcmp(m->build_id, map->build_id, idlen) ==
		    0))
			return (ssize_t)(i - 1);
	}
	if (array_grow(&sz->modules, size, sz->nmodules + 1,
	    sizeof *sz->modules) != 0)
		return -1;
	m = &sz->modules[sz->nmodules];
	memset(m, 0, sizeof *m);
	m->path = path;
	m->bias = map->bias;
	if (idlen != 0) {
		if ((m->build_id = malloc(idlen)) == NULL)
			return -1;
		memcpy(m->build_id, map->build_id, idlen);
		m->build_id_len = idlen;
	}
	return (ssize_t)sz->nmodules++;
}

/* Create a symbolizer for a process's mappings. */
struct symbolizer *
symbolizer_create(const struct symbol_mapping *maps, size_t n,
    const char *debug_dirs, char **cause)
{
	struct symbolizer	*sz;
	size_t			 i, modules_size = 0;
	ssize_t			 mi;

	*cause = NULL;
	elf_version(EV_CURRENT);
	if ((sz = calloc(1, sizeof *sz)) == NULL)
		goto nomem;
	if (debug_dirs != NULL && (sz->debug_path = strdup(debug_dirs)) ==
	    NULL)
		goto nomem;
	sz->callbacks.find_elf = dwfl_build_id_find_elf;
	sz->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
	sz->callbacks.section_address = dwfl_offline_section_address;
	sz->callbacks.debuginfo_path = &sz->debug_path;
	if ((sz->dwfl = dwfl_begin(&sz->callbacks)) == NULL) {
		if (asprintf(cause, "libdwfl: %s", dwfl_errmsg(-1)) < 0)
			*cause = NULL;
		symbolizer_free(sz);
		return NULL;
	}

	if (n != 0 && (sz->ranges = calloc(n, sizeof *sz->ranges)) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		/* An empty range can hold no address. */
		if (maps[i].start >= maps[i].end)
			continue;
		if ((mi = symbol_add_module(sz, &maps[i], &modules_size)) < 0)
			goto nomem;
		sz->ranges[sz->nranges].start = maps[i].start;
		sz->ranges[sz->nranges].end = maps[i].end;
		sz->ranges[sz->nranges].module = (size_t)mi;
		sz->nranges++;
	}
	if (sz->nranges != 0)
		qsort(sz->ranges, sz->nranges, sizeof *sz->ranges,
		    symbol_cmp_range);
	for (i = 0; i < sz->nranges; i++) {
		sz->ranges[i].reach = sz->ranges[i].end;
		if (i != 0 && sz->ranges[i - 1].reach > sz->ranges[i].reach)
			sz->ranges[i].reach = sz->ranges[i - 1].reach;
	}
	return sz;

nomem:
	symbolizer_free(sz);
	*cause = strdup("out of memory");
	return NULL;
}

/* Free what a module holds. */
static void
symbol_free_module(struct symbol_module *m)
{
	size_t	i;

	free(m->build_id);
	free(m->sized);
	free(m->sizeless);
	for (i = 0; i < m->nindexes; i++)
		free(m->indexes[i].spans);
	free(m->indexes);
}

/* Free a symbolizer and its strings. */
void
symbolizer_free(struct symbolizer *sz)
{
	size_t	i;

	if (sz == NULL)
		return;
	if (sz->dwfl != NULL)
		dwfl_end(sz->dwfl);
	for (i = 0; i < sz->nextra; i++)
		dwfl_end(sz->extra[i]);
	free(sz->extra);
	for (i = 0; i < sz->nmodules; i++)
		symbol_free_module(&sz->modules[i]);
	free(sz->modules);
	free(sz->ranges);
	free(sz->cache);
	free(sz->frames);
	for (i = 0; i < sz->string_nslots; i++)
		free(sz->strings[i]);
	free(sz->strings);
	for (i = 0; i < sz->nproblems; i++)
		free(sz->problems[i]);
	free(sz->problems);
	free(sz->debug_path);
	free(sz);
}

/* Resolve an address into frames, innermost first. */
size_t
symbolizer_lookup(struct symbolizer *sz, uint64_t addr, int is_pc,
    struct symbol_frame *out, size_t max)
{
	struct symbol_frame	 f[SYMBOL_MAXFRAMES];
	struct symbol_entry	*e;
	struct symbol_range	*r;
	struct symbol_module	*m;
	uint64_t		 pc;
	size_t			 n;

	if (max == 0)
		return 0;
	is_pc = is_pc != 0;
	if ((e = symbol_cached(sz, addr, is_pc)) != NULL) {
		n = e->count < max ? e->count : max;
		memcpy(out, sz->frames + e->first, n * sizeof *out);
		return n;
	}

	/* A return address is after the call: look inside the call. */
	pc = is_pc ? addr : addr - 1;
	memset(&f[0], 0, sizeof f[0]);
	f[0].offset = addr;
	n = 1;
	if (!is_pc && addr == 0)
		r = NULL;
	else
		r = symbol_find(sz, pc);
	if (r != NULL) {
		m = &sz->modules[r->module];
		f[0].module = m->path;
		f[0].offset = addr - m->bias;
		if (m->state == SYMBOL_UNOPENED)
			symbol_open(sz, m);
		if (m->state == SYMBOL_CHANGED)
			f[0].changed = 1;
		if (m->state == SYMBOL_OPEN)
			n = symbol_resolve(sz, m, pc, f);
	}

	symbol_cache(sz, addr, is_pc, f, n);
	if (n > max)
		n = max;
	memcpy(out, f, n * sizeof *out);
	return n;
}

/* Return the i-th problem line, NULL past the last. */
const char *
symbolizer_problem(const struct symbolizer *sz, size_t i)
{
	if (i >= sz->nproblems)
		return NULL;
	return sz->problems[i];
}
