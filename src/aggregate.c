/*
 * Aggregation.  A profile's samples are first counted per stack, so the
 * work after that is per distinct stack, not per sample: each stack with
 * samples is turned into its path of (function, line) from the root, walked
 * down the tree (nodes found through a hash of parent, function and line)
 * and credited to the functions on it, a recursive function only once per
 * stack (a per-function stamp of the last stack that counted it).
 *
 * Filters work on the same paths: a time window decides which samples are
 * counted per stack at all, and the focus and exclude expressions are
 * tried on each step of a path before it is credited (the result cached
 * per function and line, since the same frames come back in many stacks).
 */

#include "config.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "array.h"
#include "format.h"
#include "linetable.h"
#include "merge.h"
#include "symbol.h"

/* Functions one native address may stand for (inlined ones included). */
#define AGGREGATE_INLINE_MAX	16

enum aggregate_pseudo {
	PSEUDO_NOPY,
	PSEUDO_EMPTY,
	PSEUDO_TRUNCATED,
	PSEUDO_INVALID,
	PSEUDO_NO_NATIVE,
	PSEUDO_ENTERING,
	PSEUDO_COUNT
};

static const char *aggregate_pseudo_names[PSEUDO_COUNT] = {
	AGGREGATE_NOPY, AGGREGATE_EMPTY, AGGREGATE_TRUNCATED, AGGREGATE_INVALID,
	AGGREGATE_NO_NATIVE, AGGREGATE_ENTERING
};

/* Function kinds, part of a function's identity. */
#define KIND_PYTHON	0
#define KIND_PSEUDO	1
#define KIND_NATIVE	2

/* One step of the last path credited, and its node. */
struct aggregate_last {
	uint32_t	func;
	int		line;
	uint32_t	node;
};

struct aggregate_index {
	/* Functions by identity: slots hold indexes, AGGREGATE_NONE free. */
	uint32_t	*func_slots;
	size_t		 func_nslots;
	size_t		 funcs_size;
	uint64_t	*func_hash;
	size_t		 func_hash_size;
	uint64_t	*func_stamp;
	size_t		 func_stamp_size;
	uint32_t	 pseudo[PSEUDO_COUNT];

	/* Nodes by (parent, function, line). */
	uint32_t	*node_slots;
	size_t		 node_nslots;
	size_t		 nodes_size;
	uint64_t	*node_hash;
	size_t		 node_hash_size;

	/*
	 * The last path credited and its nodes: the next one shares a
	 * prefix with it more often than not (stacks of one code path), and
	 * that prefix's nodes need no lookup.
	 */
	struct aggregate_last	*last;
	size_t			 last_n;
	size_t			 last_size;

	uint64_t	 serial;	/* stacks credited so far */
	size_t		 sample_list_size;

	/* Compiled focus and exclude expressions, as in agg->focus... */
	regex_t		*focus_re;
	regex_t		*exclude_re;
	size_t		 focus_size;
	size_t		 focus_re_size;
	size_t		 exclude_size;
	size_t		 exclude_re_size;
	/* Match results by (function, line): key + 1 (0 free), MATCH_ bits. */
	uint64_t	*match_key;
	uint8_t		*match_bits;
	size_t		 match_nslots;	/* a power of two */
	size_t		 match_used;
};

/* What the frame of a (function, line) matches. */
#define MATCH_FOCUS	0x1
#define MATCH_EXCLUDE	0x2

/* One step of a stack's path. */
struct aggregate_step {
	uint32_t	func;
	int		line;
	/* Native steps only (others leave them stale): see aggregate_node. */
	uint64_t	addr;
	int		inlined;
};

/* Lines already looked up for (code index, offset) in one profile. */
struct aggregate_lines {
	uint32_t	*code;		/* AGGREGATE_NONE: free slot */
	int64_t		*addr;
	int		*line;
	size_t		 nslots;	/* a power of two */
	size_t		 used;
};

/* A growing string. */
struct aggregate_buf {
	char	*s;
	size_t	 len;
	size_t	 size;
};

/* Mix a 64-bit value into a hash. */
static inline uint64_t
aggregate_mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 31);
}

/* Hash a string (FNV-1a). */
static uint64_t
aggregate_hash_string(uint64_t h, const char *s)
{
	while (*s != '\0') {
		h ^= (uint8_t)*s++;
		h *= 0x100000001b3ULL;
	}
	return aggregate_mix(h, 0xff);
}

/* Hash a function identity. */
static uint64_t
aggregate_func_hash(const char *name, const char *file, const char *module,
    int line, int kind)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	h = aggregate_hash_string(h, name);
	h = aggregate_hash_string(h, file);
	h = aggregate_hash_string(h, module);
	return aggregate_mix(h, ((uint64_t)(uint32_t)line << 2) |
	    (uint64_t)kind);
}

/* Hash a node key. */
static uint64_t
aggregate_node_hash(uint32_t parent, uint32_t func, int line)
{
	return aggregate_mix(aggregate_mix(((uint64_t)parent << 32) | func,
	    (uint32_t)line), 0x51);
}

/* Rebuild an index table of slots with twice the room. */
static int
aggregate_rehash(uint32_t **slots, size_t *nslots, const uint64_t *hash,
    size_t count)
{
	uint32_t	*s;
	size_t		 n = *nslots == 0 ? 1024 : *nslots * 2, i, j;

	if ((s = malloc(n * sizeof *s)) == NULL)
		return -1;
	memset(s, 0xff, n * sizeof *s);
	for (i = 0; i < count; i++) {
		for (j = hash[i] & (n - 1); s[j] != AGGREGATE_NONE;
		    j = (j + 1) & (n - 1))
			;
		s[j] = (uint32_t)i;
	}
	free(*slots);
	*slots = s;
	*nslots = n;
	return 0;
}

/* Create an empty aggregate with its root node. */
struct aggregate *
aggregate_create(void)
{
	struct aggregate	*agg;
	struct aggregate_index	*ix;
	size_t			 i;

	if ((agg = calloc(1, sizeof *agg)) == NULL)
		return NULL;
	if ((ix = agg->index = calloc(1, sizeof *ix)) == NULL)
		goto fail;
	for (i = 0; i < PSEUDO_COUNT; i++)
		ix->pseudo[i] = AGGREGATE_NONE;
	if (array_grow(&agg->nodes, &ix->nodes_size, 1,
	    sizeof *agg->nodes) != 0 ||
	    array_grow(&ix->node_hash, &ix->node_hash_size, 1,
	    sizeof *ix->node_hash) != 0)
		goto fail;
	memset(&agg->nodes[0], 0, sizeof agg->nodes[0]);
	agg->nodes[0].func = AGGREGATE_NONE;
	agg->nodes[0].line = -1;
	agg->nodes[0].parent = AGGREGATE_NONE;
	agg->nodes[0].child = AGGREGATE_NONE;
	agg->nodes[0].sibling = AGGREGATE_NONE;
	ix->node_hash[0] = 0;
	agg->nnodes = 1;
	agg->since_us = INT64_MIN;
	agg->until_us = INT64_MAX;
	return agg;

fail:
	aggregate_free(agg);
	return NULL;
}

/* Free an aggregate. */
void
aggregate_free(struct aggregate *agg)
{
	struct aggregate_index	*ix;
	size_t			 i;

	if (agg == NULL)
		return;
	for (i = 0; i < agg->nfuncs; i++) {
		free(agg->funcs[i].name);
		free(agg->funcs[i].file);
		free(agg->funcs[i].module);
	}
	free(agg->funcs);
	for (i = 0; i < agg->nproblems; i++)
		free(agg->problems[i]);
	free(agg->problems);
	free(agg->nodes);
	free(agg->sample_list);
	for (i = 0; i < agg->nfocus; i++)
		free(agg->focus[i]);
	free(agg->focus);
	for (i = 0; i < agg->nexclude; i++)
		free(agg->exclude[i]);
	free(agg->exclude);
	if ((ix = agg->index) != NULL) {
		for (i = 0; i < agg->nfocus; i++)
			regfree(&ix->focus_re[i]);
		for (i = 0; i < agg->nexclude; i++)
			regfree(&ix->exclude_re[i]);
		free(ix->focus_re);
		free(ix->exclude_re);
		free(ix->match_key);
		free(ix->match_bits);
		free(ix->func_slots);
		free(ix->func_hash);
		free(ix->func_stamp);
		free(ix->node_slots);
		free(ix->node_hash);
		free(ix->last);
		free(ix);
	}
	free(agg);
}

/* The index of a function, added if new; AGGREGATE_NONE if out of memory. */
static uint32_t
aggregate_func(struct aggregate *agg, const char *name, const char *file,
    const char *module, int firstlineno, int kind)
{
	struct aggregate_index	*ix = agg->index;
	struct aggregate_func	*f;
	uint64_t		 h = aggregate_func_hash(name, file, module,
				     firstlineno, kind);
	int			 pseudo = kind == KIND_PSEUDO;
	int			 native = kind == KIND_NATIVE;
	size_t			 i, mask;
	uint32_t		 idx;

	if ((agg->nfuncs + 1) * 2 > ix->func_nslots &&
	    aggregate_rehash(&ix->func_slots, &ix->func_nslots, ix->func_hash,
	    agg->nfuncs) != 0)
		return AGGREGATE_NONE;
	mask = ix->func_nslots - 1;
	for (i = h & mask; (idx = ix->func_slots[i]) != AGGREGATE_NONE;
	    i = (i + 1) & mask) {
		f = &agg->funcs[idx];
		if (ix->func_hash[idx] == h && f->firstlineno == firstlineno &&
		    f->pseudo == pseudo && f->native == native &&
		    strcmp(f->name, name) == 0 && strcmp(f->file, file) == 0 &&
		    strcmp(f->module, module) == 0)
			return idx;
	}
	if (agg->nfuncs >= AGGREGATE_NONE - 1)
		return AGGREGATE_NONE;
	if (array_grow(&agg->funcs, &ix->funcs_size, agg->nfuncs + 1,
	    sizeof *agg->funcs) != 0 ||
	    array_grow(&ix->func_hash, &ix->func_hash_size,
	    agg->nfuncs + 1, sizeof *ix->func_hash) != 0 ||
	    array_grow(&ix->func_stamp, &ix->func_stamp_size,
	    agg->nfuncs + 1, sizeof *ix->func_stamp) != 0)
		return AGGREGATE_NONE;
	f = &agg->funcs[agg->nfuncs];
	memset(f, 0, sizeof *f);
	f->name = strdup(name);
	f->file = strdup(file);
	f->module = strdup(module);
	if (f->name == NULL || f->file == NULL || f->module == NULL) {
		free(f->name);
		free(f->file);
		free(f->module);
		return AGGREGATE_NONE;
	}
	f->firstlineno = firstlineno;
	f->pseudo = pseudo;
	f->native = native;
	ix->func_hash[agg->nfuncs] = h;
	ix->func_stamp[agg->nfuncs] = 0;
	ix->func_slots[i] = (uint32_t)agg->nfuncs;
	return (uint32_t)agg->nfuncs++;
}

/* The function of a pseudo-frame. */
static uint32_t
aggregate_pseudo(struct aggregate *agg, enum aggregate_pseudo which)
{
	struct aggregate_index	*ix = agg->index;

	if (ix->pseudo[which] == AGGREGATE_NONE)
		ix->pseudo[which] = aggregate_func(agg,
		    aggregate_pseudo_names[which], "", "", 0, KIND_PSEUDO);
	return ix->pseudo[which];
}

/*
 * The child of parent for a step's (func, line), added if new (with the
 * step's address if native); NONE if no memory.
 */
static uint32_t
aggregate_child(struct aggregate *agg, uint32_t parent,
    const struct aggregate_step *step)
{
	uint32_t		 func = step->func;
	int			 line = step->line;
	struct aggregate_index	*ix = agg->index;
	struct aggregate_node	*n;
	uint64_t		 h = aggregate_node_hash(parent, func, line);
	size_t			 i, mask;
	uint32_t		 idx;

	if ((agg->nnodes + 1) * 2 > ix->node_nslots &&
	    aggregate_rehash(&ix->node_slots, &ix->node_nslots, ix->node_hash,
	    agg->nnodes) != 0)
		return AGGREGATE_NONE;
	mask = ix->node_nslots - 1;
	for (i = h & mask; (idx = ix->node_slots[i]) != AGGREGATE_NONE;
	    i = (i + 1) & mask) {
		n = &agg->nodes[idx];
		if (ix->node_hash[idx] == h && n->parent == parent &&
		    n->func == func && n->line == line)
			return idx;
	}
	if (agg->nnodes >= AGGREGATE_NONE - 1)
		return AGGREGATE_NONE;
	if (array_grow(&agg->nodes, &ix->nodes_size, agg->nnodes + 1,
	    sizeof *agg->nodes) != 0 ||
	    array_grow(&ix->node_hash, &ix->node_hash_size,
	    agg->nnodes + 1, sizeof *ix->node_hash) != 0)
		return AGGREGATE_NONE;
	n = &agg->nodes[agg->nnodes];
	memset(n, 0, sizeof *n);
	n->func = func;
	n->line = line;
	n->parent = parent;
	if (agg->funcs[func].native) {
		n->addr = step->addr;
		n->inlined = step->inlined != 0;
	}
	n->depth = agg->nodes[parent].depth + 1;
	n->child = n->sibling = AGGREGATE_NONE;
	ix->node_hash[agg->nnodes] = h;
	ix->node_slots[i] = (uint32_t)agg->nnodes;
	return (uint32_t)agg->nnodes++;
}

/* Allocate a line cache of n slots (a power of two). */
static int
aggregate_lines_init(struct aggregate_lines *lc, size_t n)
{
	lc->nslots = n;
	lc->used = 0;
	lc->code = malloc(n * sizeof *lc->code);
	lc->addr = malloc(n * sizeof *lc->addr);
	lc->line = malloc(n * sizeof *lc->line);
	if (lc->code == NULL || lc->addr == NULL || lc->line == NULL)
		return -1;
	memset(lc->code, 0xff, n * sizeof *lc->code);
	return 0;
}

/* Free a line cache. */
static void
aggregate_lines_done(struct aggregate_lines *lc)
{
	free(lc->code);
	free(lc->addr);
	free(lc->line);
}

/*
 * The line of a frame, from the cache or the line table: walking a table
 * costs its length, and the same frames come back in many stacks.
 */
static int
aggregate_line(struct aggregate_lines *lc, const struct reader_profile *prof,
    const struct reader_frame *fr)
{
	const struct reader_code	*c = &prof->codes[fr->code];
	struct aggregate_lines		 bigger;
	size_t				 i, j, mask;
	int				 line;

	if ((lc->used + 1) * 2 > lc->nslots &&
	    aggregate_lines_init(&bigger, lc->nslots * 2) == 0) {
		for (i = 0; i < lc->nslots; i++) {
			if (lc->code[i] == AGGREGATE_NONE)
				continue;
			j = aggregate_mix(lc->code[i], (uint64_t)lc->addr[i]);
			for (j &= bigger.nslots - 1;
			    bigger.code[j] != AGGREGATE_NONE;
			    j = (j + 1) & (bigger.nslots - 1))
				;
			bigger.code[j] = lc->code[i];
			bigger.addr[j] = lc->addr[i];
			bigger.line[j] = lc->line[i];
		}
		bigger.used = lc->used;
		aggregate_lines_done(lc);
		*lc = bigger;
	} else if ((lc->used + 1) * 2 > lc->nslots) {
		aggregate_lines_done(&bigger);
		if (lc->used + 1 >= lc->nslots)	/* full: no caching */
			return linetable_line(c->table_kind, c->table,
			    c->table_len, c->firstlineno, fr->addr);
	}
	mask = lc->nslots - 1;
	for (i = aggregate_mix(fr->code, (uint64_t)fr->addr) & mask;
	    lc->code[i] != AGGREGATE_NONE; i = (i + 1) & mask) {
		if (lc->code[i] == fr->code && lc->addr[i] == fr->addr)
			return lc->line[i];
	}
	line = linetable_line(c->table_kind, c->table, c->table_len,
	    c->firstlineno, fr->addr);
	lc->code[i] = fr->code;
	lc->addr[i] = fr->addr;
	lc->line[i] = line;
	lc->used++;
	return line;
}

/*
 * Start a path with the pseudo-frames saying the Python stack was cut
 * ([truncated], [invalid frame]); return how many.
 */
static size_t
aggregate_cut_marks(struct aggregate *agg, const struct reader_stack *s,
    struct aggregate_step *path)
{
	size_t	n = 0;

	if (s->flags & STACK_TRUNCATED) {
		path[n].func = aggregate_pseudo(agg, PSEUDO_TRUNCATED);
		path[n++].line = -1;
	}
	if (s->flags & (STACK_INVALID | STACK_FAULT)) {
		path[n].func = aggregate_pseudo(agg, PSEUDO_INVALID);
		path[n++].line = -1;
	}
	return n;
}

/*
 * Build the path of a stack from the root: pseudo-frames first, then the
 * Python frames outermost first.  Return its length, 0 if out of memory.
 */
static size_t
aggregate_path(struct aggregate *agg, const struct reader_profile *prof,
    const uint32_t *code_func, struct aggregate_lines *lc,
    const struct reader_stack *s, struct aggregate_step *path)
{
	const struct reader_frame	*fr;
	size_t				 n = 0;
	uint32_t			 i;

	if (s->flags & (STACK_NOPY | STACK_ENTERING)) {
		path[0].func = aggregate_pseudo(agg, (s->flags & STACK_NOPY) ?
		    PSEUDO_NOPY : PSEUDO_ENTERING);
		path[0].line = -1;
		return path[0].func == AGGREGATE_NONE ? 0 : 1;
	}
	n = aggregate_cut_marks(agg, s, path);
	if (n == 0 && s->nframes == 0) {
		path[n].func = aggregate_pseudo(agg, PSEUDO_EMPTY);
		path[n++].line = -1;
	}
	for (i = s->nframes; i > 0; i--) {
		fr = &s->frames[i - 1];
		path[n].func = code_func[fr->code];
		path[n++].line = aggregate_line(lc, prof, fr);
	}
	for (i = 0; i < n; i++) {
		if (path[i].func == AGGREGATE_NONE)
			return 0;
	}
	return n;
}

/* What one native address stands for, cached per profile. */
struct aggregate_addr {
	uint64_t	key;		/* (addr << 1 | is_pc) + 1; 0: free */
	uint32_t	first;		/* its steps in the arena, root first */
	uint8_t		n;
	uint8_t		kind;		/* enum merge_kind */
};

/* Per-profile state of native symbolization and merging. */
struct aggregate_native {
	struct symbolizer		 *sym;
	const struct reader_mapping	**maps;	/* sorted by start */
	size_t				  nmaps;
	uint64_t			  eval_start;
	uint64_t			  eval_end;

	struct aggregate_addr		 *slots;
	size_t				  nslots;	/* a power of two */
	size_t				  used;
	struct aggregate_step		 *steps;
	size_t				  nsteps;
	size_t				  steps_size;

	/* Scratch for one stack. */
	uint8_t				 *py_entry;
	size_t				  py_entry_size;
	uint8_t				 *kinds;
	size_t				  kinds_size;
	struct merge_frame		 *merged;
	size_t				  merged_size;
};

/* Order mappings by start address. */
static int
aggregate_cmp_maps(const void *a, const void *b)
{
	const struct reader_mapping	*x = *(const struct reader_mapping *
					    const *)a;
	const struct reader_mapping	*y = *(const struct reader_mapping *
					    const *)b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* A hexadecimal header value, or 0. */
static uint64_t
aggregate_header_hex(const struct reader_profile *prof, const char *key)
{
	const char	*v = reader_kv_get(&prof->header, key);

	return v == NULL ? 0 : strtoull(v, NULL, 16);
}

/* Set up symbolization for a profile with native stacks; 0 or -ENOMEM. */
static int
aggregate_native_init(struct aggregate *agg, struct aggregate_native *nx,
    const struct reader_profile *prof)
{
	struct symbol_mapping	*sm;
	size_t			 i, n = 0;
	char			*cause = NULL;

	memset(nx, 0, sizeof *nx);
	nx->eval_start = aggregate_header_hex(prof, "eval_start");
	nx->eval_end = aggregate_header_hex(prof, "eval_end");
	nx->maps = calloc(prof->nmappings + 1, sizeof *nx->maps);
	sm = calloc(prof->nmappings + 1, sizeof *sm);
	nx->nslots = 1024;
	nx->slots = calloc(nx->nslots, sizeof *nx->slots);
	if (nx->maps == NULL || sm == NULL || nx->slots == NULL) {
		free(sm);
		return -ENOMEM;
	}
	for (i = 0; i < prof->nmappings; i++) {
		const struct reader_mapping *m = &prof->mappings[i];

		nx->maps[nx->nmaps++] = m;
		if (m->flags & MAPPING_ANON)
			continue;
		sm[n].start = m->start;
		sm[n].end = m->end;
		sm[n].bias = m->bias;
		sm[n].build_id = m->build_id;
		sm[n].build_id_len = m->build_id_len;
		sm[n].path = m->path;
		n++;
	}
	qsort(nx->maps, nx->nmaps, sizeof *nx->maps, aggregate_cmp_maps);
	nx->sym = symbolizer_create(sm, n, agg->debug_dirs, &cause);
	free(sm);
	free(cause);
	return nx->sym == NULL ? -ENOMEM : 0;
}

/* Keep the symbolizer's problems and free the per-profile state. */
static int
aggregate_native_done(struct aggregate *agg, struct aggregate_native *nx)
{
	const char	*msg;
	size_t		 i, size = agg->nproblems;
	int		 error = 0;

	for (i = 0; nx->sym != NULL &&
	    (msg = symbolizer_problem(nx->sym, i)) != NULL; i++) {
		if (array_grow(&agg->problems, &size, agg->nproblems + 1,
		    sizeof *agg->problems) != 0 ||
		    (agg->problems[agg->nproblems] = strdup(msg)) == NULL) {
			error = -ENOMEM;
			break;
		}
		agg->nproblems++;
	}
	symbolizer_free(nx->sym);
	free(nx->maps);
	free(nx->slots);
	free(nx->steps);
	free(nx->py_entry);
	free(nx->kinds);
	free(nx->merged);
	return error;
}

/* The mapping holding addr, or NULL. */
static const struct reader_mapping *
aggregate_native_map(const struct aggregate_native *nx, uint64_t addr)
{
	size_t	lo = 0, hi = nx->nmaps, mid, k;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (nx->maps[mid]->start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = 0; lo > 0 && k < 4; k++) {
		lo--;
		if (addr < nx->maps[lo]->end)
			return nx->maps[lo];
	}
	return NULL;
}

/* The last component of a path. */
static const char *
aggregate_basename(const char *path)
{
	const char	*slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* Symbolize and classify one address into the cache entry e. */
static int
aggregate_native_resolve(struct aggregate *agg, struct aggregate_native *nx,
    uint64_t addr, int is_pc, struct aggregate_addr *e)
{
	const struct reader_mapping	*m = aggregate_native_map(nx, addr);
	struct symbol_frame		 fr[AGGREGATE_INLINE_MAX];
	const char			*name, *module = "", *outer = NULL;
	size_t				 n = 0, k;
	uint32_t			 func;

	if (m != NULL && !(m->flags & MAPPING_ANON)) {
		n = symbolizer_lookup(nx->sym, addr, is_pc, fr,
		    AGGREGATE_INLINE_MAX);
		module = aggregate_basename(m->path);
	}
	if (n > AGGREGATE_INLINE_MAX)
		n = AGGREGATE_INLINE_MAX;
	if (n == 0) {
		/* Anonymous memory (JIT, trampolines), the vDSO, or none. */
		memset(&fr[0], 0, sizeof fr[0]);
		fr[0].name = m != NULL && m->path[0] != '\0' ? m->path :
		    m != NULL ? "[anonymous]" : NULL;
		n = 1;
	}
	outer = fr[n - 1].name;
	e->kind = (uint8_t)merge_classify(outer, m != NULL &&
	    (m->flags & MAPPING_INTERPRETER) != 0, nx->eval_end != 0 &&
	    addr >= nx->eval_start && addr < nx->eval_end);
	if (array_grow(&nx->steps, &nx->steps_size, nx->nsteps + n,
	    sizeof *nx->steps) != 0)
		return -ENOMEM;
	e->first = (uint32_t)nx->nsteps;
	e->n = 0;
	for (k = n; k > 0; k--) {
		/*
		 * Call plumbing inlined into a caller (3.8's inline
		 * _PyObject_Vectorcall in builtin_sorted) is folded too,
		 * except at the leaf, where the time is really spent.
		 */
		if (k < n && !is_pc && !agg->no_fold && m != NULL &&
		    (m->flags & MAPPING_INTERPRETER) &&
		    merge_classify(fr[k - 1].name, 1, 0) == MERGE_PLUMBING)
			continue;
		name = fr[k - 1].name != NULL ? fr[k - 1].name :
		    AGGREGATE_UNKNOWN;
		func = aggregate_func(agg, name, fr[k - 1].file != NULL ?
		    fr[k - 1].file : "", module, 0, KIND_NATIVE);
		if (func == AGGREGATE_NONE)
			return -ENOMEM;
		nx->steps[nx->nsteps].func = func;
		nx->steps[nx->nsteps].line = fr[k - 1].line > 0 ?
		    fr[k - 1].line : -1;
		nx->steps[nx->nsteps].addr = addr;
		nx->steps[nx->nsteps].inlined = e->n != 0;
		nx->nsteps++;
		e->n++;
	}
	return 0;
}

/* The cache entry of an address, resolved the first time; NULL if no memory. */
static const struct aggregate_addr *
aggregate_native_addr(struct aggregate *agg, struct aggregate_native *nx,
    uint64_t addr, int is_pc)
{
	struct aggregate_addr	*bigger, *e;
	uint64_t		 key = ((addr << 1) | (is_pc != 0)) + 1;
	size_t			 i, j, mask;

	if ((nx->used + 1) * 2 > nx->nslots) {
		if ((bigger = calloc(nx->nslots * 2, sizeof *bigger)) == NULL)
			return NULL;
		for (i = 0; i < nx->nslots; i++) {
			if (nx->slots[i].key == 0)
				continue;
			for (j = aggregate_mix(nx->slots[i].key, 0) &
			    (nx->nslots * 2 - 1); bigger[j].key != 0;
			    j = (j + 1) & (nx->nslots * 2 - 1))
				;
			bigger[j] = nx->slots[i];
		}
		free(nx->slots);
		nx->slots = bigger;
		nx->nslots *= 2;
	}
	mask = nx->nslots - 1;
	for (i = aggregate_mix(key, 0) & mask; nx->slots[i].key != 0;
	    i = (i + 1) & mask) {
		if (nx->slots[i].key == key)
			return &nx->slots[i];
	}
	e = &nx->slots[i];
	if (aggregate_native_resolve(agg, nx, addr, is_pc, e) != 0)
		return NULL;
	e->key = key;
	nx->used++;
	return e;
}

/* Append the steps of a native address to path; the new length or 0. */
static size_t
aggregate_put_native(struct aggregate *agg, struct aggregate_native *nx,
    const struct reader_stack *s, uint32_t j, struct aggregate_step *path,
    size_t n)
{
	const struct aggregate_addr	*e;

	e = aggregate_native_addr(agg, nx, s->native[j], j == 0);
	if (e == NULL)
		return 0;
	memcpy(path + n, nx->steps + e->first, e->n * sizeof *path);
	return n + e->n;
}

/*
 * Build the path of a stack with a native stack, from the root, for the
 * mixed or native view; count how its merge went (count samples).  Return
 * its length, 0 if out of memory.
 */
static size_t
aggregate_native_path(struct aggregate *agg, struct aggregate_native *nx,
    const struct reader_profile *prof, const uint32_t *code_func,
    struct aggregate_lines *lc, const struct reader_stack *s,
    uint64_t count, struct aggregate_step *path)
{
	const struct aggregate_addr	*e;
	struct merge_in			 in;
	enum merge_result		 r;
	size_t				 n = 0, nout = 0, i;
	uint32_t			 j;

	/* No Python frames to merge: the native stack under a pseudo-frame. */
	if (agg->view == AGGREGATE_VIEW_NATIVE ||
	    (s->flags & (STACK_NOPY | STACK_ENTERING))) {
		if (s->flags & STACK_NOPY) {
			path[n].func = aggregate_pseudo(agg, PSEUDO_NOPY);
			path[n++].line = -1;
		} else if (agg->view != AGGREGATE_VIEW_NATIVE) {
			path[n].func = aggregate_pseudo(agg, PSEUDO_ENTERING);
			path[n++].line = -1;
		}
		for (j = s->nnative; j > 0; j--)
			if ((n = aggregate_put_native(agg, nx, s, j - 1, path,
			    n)) == 0)
				return 0;
		if (n == 0) {
			path[n].func = aggregate_pseudo(agg, PSEUDO_NO_NATIVE);
			path[n++].line = -1;
		}
		return path[0].func == AGGREGATE_NONE ? 0 : n;
	}

	if (array_grow(&nx->py_entry, &nx->py_entry_size, s->nframes + 1, 1)
	    != 0 || array_grow(&nx->kinds, &nx->kinds_size, s->nnative + 1, 1)
	    != 0 || array_grow(&nx->merged, &nx->merged_size,
	    (size_t)s->nframes + s->nnative + 1, sizeof *nx->merged) != 0)
		return 0;
	for (i = 0; i < s->nframes; i++)
		nx->py_entry[i] = (uint8_t)s->frames[i].entry;
	for (j = 0; j < s->nnative; j++) {
		if ((e = aggregate_native_addr(agg, nx, s->native[j],
		    j == 0)) == NULL)
			return 0;
		nx->kinds[j] = e->kind;
	}
	memset(&in, 0, sizeof in);
	in.py_entry = nx->py_entry;
	in.npy = s->nframes;
	in.py_truncated = (s->flags & (STACK_TRUNCATED | STACK_INVALID |
	    STACK_FAULT)) != 0;
	in.native_kind = nx->kinds;
	in.nnative = s->nnative;
	in.native_truncated = (s->flags & (STACK_NATIVE_TRUNCATED |
	    STACK_NATIVE_FAILED)) != 0;
	in.fold = !agg->no_fold;
	r = merge_stack(&in, nx->merged, &nout);
	agg->native_samples += count;
	if (r == MERGE_MISMATCH || (r == MERGE_NO_NATIVE &&
	    (s->flags & STACK_NATIVE_FAILED)))
		agg->merge_mismatch += count;
	else if (r == MERGE_PARTIAL)
		agg->merge_partial += count;

	n = aggregate_cut_marks(agg, s, path);
	for (i = nout; i > 0; i--) {
		const struct merge_frame *mf = &nx->merged[i - 1];

		if (mf->python) {
			const struct reader_frame *fr = &s->frames[mf->index];

			path[n].func = code_func[fr->code];
			path[n++].line = aggregate_line(lc, prof, fr);
		} else if ((n = aggregate_put_native(agg, nx, s, mf->index,
		    path, n)) == 0)
			return 0;
	}
	if (n == 0) {
		path[n].func = aggregate_pseudo(agg, PSEUDO_EMPTY);
		path[n++].line = -1;
	}
	for (i = 0; i < n; i++) {
		if (path[i].func == AGGREGATE_NONE)
			return 0;
	}
	return n;
}

/* Compile a focus or exclude expression and keep it with its text. */
static int
aggregate_filter(char ***texts, size_t *ntexts, size_t *texts_size,
    regex_t **res, size_t *res_size, const char *regex, char **cause)
{
	char	 msg[256];
	int	 error;

	*cause = NULL;
	if (array_grow(texts, texts_size, *ntexts + 1, sizeof **texts) != 0 ||
	    array_grow(res, res_size, *ntexts + 1, sizeof **res) != 0)
		return -ENOMEM;
	error = regcomp(&(*res)[*ntexts], regex, REG_EXTENDED | REG_NOSUB);
	if (error != 0) {
		regerror(error, &(*res)[*ntexts], msg, sizeof msg);
		regfree(&(*res)[*ntexts]);
		if (asprintf(cause, "bad regular expression '%s': %s", regex,
		    msg) == -1)
			*cause = NULL;
		return -EINVAL;
	}
	if (((*texts)[*ntexts] = strdup(regex)) == NULL) {
		regfree(&(*res)[*ntexts]);
		return -ENOMEM;
	}
	(*ntexts)++;
	return 0;
}

/* Keep only the samples whose stack has a frame matching regex. */
int
aggregate_focus(struct aggregate *agg, const char *regex, char **cause)
{
	struct aggregate_index	*ix = agg->index;

	return aggregate_filter(&agg->focus, &agg->nfocus, &ix->focus_size,
	    &ix->focus_re, &ix->focus_re_size, regex, cause);
}

/* Drop the samples whose stack has a frame matching regex. */
int
aggregate_exclude(struct aggregate *agg, const char *regex, char **cause)
{
	struct aggregate_index	*ix = agg->index;

	return aggregate_filter(&agg->exclude, &agg->nexclude,
	    &ix->exclude_size, &ix->exclude_re, &ix->exclude_re_size, regex,
	    cause);
}

/* Whether any of n expressions matches the name or place of a frame. */
static int
aggregate_match_any(const regex_t *re, size_t n,
    const struct aggregate_func *f, const char *where)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (regexec(&re[i], f->name, 0, NULL, 0) == 0 ||
		    (where[0] != '\0' &&
		    regexec(&re[i], where, 0, NULL, 0) == 0) ||
		    (f->native && f->module[0] != '\0' &&
		    regexec(&re[i], f->module, 0, NULL, 0) == 0))
			return 1;
	}
	return 0;
}

/* The MATCH_ bits of a (function, line), cached. */
static uint8_t
aggregate_match(struct aggregate *agg, const struct aggregate_step *step)
{
	struct aggregate_index		*ix = agg->index;
	const struct aggregate_func	*f = &agg->funcs[step->func];
	uint64_t			 key, *keys;
	uint8_t				 bits = 0, *vals;
	size_t				 i, j, n, mask;
	char				 where[4096 + 32];

	key = (((uint64_t)step->func << 32) | (uint32_t)step->line) + 1;
	if ((ix->match_used + 1) * 2 > ix->match_nslots) {
		/* Grow; if memory runs out, match without the cache. */
		n = ix->match_nslots == 0 ? 1024 : ix->match_nslots * 2;
		keys = calloc(n, sizeof *keys);
		vals = malloc(n);
		if (keys != NULL && vals != NULL) {
			for (i = 0; i < ix->match_nslots; i++) {
				if (ix->match_key[i] == 0)
					continue;
				for (j = aggregate_mix(ix->match_key[i], 0) &
				    (n - 1); keys[j] != 0; j = (j + 1) & (n - 1))
					;
				keys[j] = ix->match_key[i];
				vals[j] = ix->match_bits[i];
			}
			free(ix->match_key);
			free(ix->match_bits);
			ix->match_key = keys;
			ix->match_bits = vals;
			ix->match_nslots = n;
		} else {
			free(keys);
			free(vals);
		}
	}
	mask = ix->match_nslots - 1;
	i = 0;
	if (ix->match_nslots != 0) {
		for (i = aggregate_mix(key, 0) & mask; ix->match_key[i] != 0;
		    i = (i + 1) & mask) {
			if (ix->match_key[i] == key)
				return ix->match_bits[i];
		}
	}
	aggregate_where(f, step->line, where, sizeof where);
	if (aggregate_match_any(ix->focus_re, agg->nfocus, f, where))
		bits |= MATCH_FOCUS;
	if (aggregate_match_any(ix->exclude_re, agg->nexclude, f, where))
		bits |= MATCH_EXCLUDE;
	if ((ix->match_used + 1) * 2 <= ix->match_nslots) {
		ix->match_key[i] = key;
		ix->match_bits[i] = bits;
		ix->match_used++;
	}
	return bits;
}

/*
 * Whether the focus and exclude expressions keep a path: it has a frame
 * matching a focus expression (or there is none) and none matching an
 * exclude expression.
 */
static int
aggregate_keep(struct aggregate *agg, const struct aggregate_step *path,
    size_t n)
{
	size_t	i;
	int	focused = agg->nfocus == 0;
	uint8_t	bits;

	if (agg->nfocus == 0 && agg->nexclude == 0)
		return 1;
	for (i = 0; i < n; i++) {
		bits = aggregate_match(agg, &path[i]);
		if (bits & MATCH_EXCLUDE)
			return 0;
		if (bits & MATCH_FOCUS)
			focused = 1;
	}
	return focused;
}

/*
 * Credit count samples to a path: tree nodes and functions.  Return the
 * leaf node, or AGGREGATE_NONE if out of memory.
 */
static uint32_t
aggregate_credit(struct aggregate *agg, const struct aggregate_step *path,
    size_t n, uint64_t count)
{
	struct aggregate_index	*ix = agg->index;
	uint32_t		 node = 0, f;
	size_t			 i, same = 0;

	/* A node is (parent, function, line): the same prefix, same nodes. */
	while (same < n && same < ix->last_n &&
	    path[same].func == ix->last[same].func &&
	    path[same].line == ix->last[same].line)
		same++;
	if (array_grow(&ix->last, &ix->last_size, n, sizeof *ix->last) != 0)
		return AGGREGATE_NONE;
	ix->serial++;
	agg->nodes[0].total += count;
	for (i = 0; i < n; i++) {
		if (i < same)
			node = ix->last[i].node;
		else {
			node = aggregate_child(agg, node, &path[i]);
			if (node == AGGREGATE_NONE) {
				ix->last_n = 0;
				return AGGREGATE_NONE;
			}
			ix->last[i].func = path[i].func;
			ix->last[i].line = path[i].line;
			ix->last[i].node = node;
		}
		agg->nodes[node].total += count;
		f = path[i].func;
		if (ix->func_stamp[f] != ix->serial) {
			ix->func_stamp[f] = ix->serial;	/* once per stack */
			agg->funcs[f].total += count;
		}
	}
	ix->last_n = n;
	agg->nodes[node].self += count;
	agg->funcs[path[n - 1].func].self += count;
	return node;
}

/* Whether a profile's sample i is in the time window. */
static inline int
aggregate_in_window(const struct aggregate *agg,
    const struct reader_profile *prof, size_t i)
{
	return prof->sample_time[i] >= agg->since_us &&
	    prof->sample_time[i] < agg->until_us;
}

/* Append a profile's samples to the sample list, given each one's leaf. */
static int
aggregate_keep_samples(struct aggregate *agg,
    const struct reader_profile *prof, const uint32_t *leaf)
{
	struct aggregate_sample	*as;
	size_t			 i, n = agg->nsample_list;

	if (array_grow(&agg->sample_list, &agg->index->sample_list_size,
	    n + prof->nsamples, sizeof *agg->sample_list) != 0)
		return -ENOMEM;
	for (i = 0; i < prof->nsamples; i++) {
		if (leaf[i] == AGGREGATE_NONE)
			continue;
		as = &agg->sample_list[n++];
		as->file = (uint32_t)agg->files;
		as->tid = prof->sample_tid[i];
		as->node = leaf[i];
		as->time_us = prof->sample_time[i];
		as->weight_ns = prof->sample_weight[i];
		as->flags = prof->sample_flags[i];
	}
	agg->nsample_list = n;
	return 0;
}

/* A profile's duration in ns, cut to the time window. */
static uint64_t
aggregate_window_ns(const struct aggregate *agg, uint64_t duration_ns)
{
	int64_t	start = 0, end;

	if (agg->since_us == INT64_MIN && agg->until_us == INT64_MAX)
		return duration_ns;
	end = duration_ns / 1000 > INT64_MAX ? INT64_MAX :
	    (int64_t)(duration_ns / 1000);
	if (agg->since_us > start)
		start = agg->since_us;
	if (agg->until_us < end)
		end = agg->until_us;
	return end > start ? (uint64_t)(end - start) * 1000 : 0;
}

/*
 * The root frame of a process: "[process PID COMMAND LINE]", the command
 * line shortened to fit.
 */
static void
aggregate_process_name(const struct reader_profile *prof, char *buf,
    size_t size)
{
	const char	*pid = reader_kv_get(&prof->header, "pid");
	size_t		 i, len;
	int		 n;

	n = snprintf(buf, size, "[process %s", pid != NULL ? pid : "?");
	len = n > 0 && (size_t)n < size ? (size_t)n : 0;
	for (i = 0; i < prof->header.n && len + 2 < size; i++) {
		if (strcmp(prof->header.pairs[i].key, "arg") != 0)
			continue;
		n = snprintf(buf + len, size - len - 1, " %s",
		    prof->header.pairs[i].value);
		if (n < 0)
			break;
		len += (size_t)n < size - len - 1 ? (size_t)n : size - len - 2;
	}
	if (len > size - 2)
		len = size - 2;
	buf[len++] = ']';
	buf[len] = '\0';
}

/* The name a thread is known by: its Python name, else its OS name. */
static const char *
aggregate_thread_name(const struct reader_profile *prof, uint32_t tid)
{
	const struct reader_thread	*t = reader_thread_find(prof, tid);

	if (t == NULL)
		return "";
	if (t->py_name != NULL && *t->py_name != '\0')
		return t->py_name;
	return t->os_name != NULL ? t->os_name : "";
}

/*
 * How many timer periods sample i stands for: 1, or more when the kernel
 * delivered one signal for several expirations (a CPU-time timer checked
 * at scheduler ticks).  Counting periods rather than signals keeps every
 * thread's share true to its time whatever the delivery.
 */
static uint64_t
aggregate_units(const struct reader_profile *prof, uint64_t period, size_t i)
{
	uint64_t	w = prof->sample_weight[i];

	if (period == 0 || w <= period)
		return 1;
	return (w + period / 2) / period;
}

/* Does sample i pass the filters? */
static int
aggregate_wanted(const struct aggregate *agg,
    const struct reader_profile *prof, size_t i)
{
	const struct reader_thread	*t;
	const char			*p;
	unsigned int			 flags = prof->sample_flags[i];

	if (prof->sample_stack[i] >= prof->nstacks)
		return 0;
	if (agg->no_idle && (flags & SAMPLE_IDLE))
		return 0;
	if (agg->gil_only && !(flags & SAMPLE_GIL))
		return 0;
	if (agg->thread == NULL)
		return 1;
	for (p = agg->thread; *p >= '0' && *p <= '9'; p++)
		;
	if (*p == '\0' && p != agg->thread)
		return strtoul(agg->thread, NULL, 10) == prof->sample_tid[i];
	t = reader_thread_find(prof, prof->sample_tid[i]);
	return t != NULL && ((t->py_name != NULL &&
	    strcmp(t->py_name, agg->thread) == 0) || (t->os_name != NULL &&
	    strcmp(t->os_name, agg->thread) == 0));
}

/*
 * Credit the samples of one group (all samples, or one thread's) with
 * counts[] and weights[] per stack, under nroots root frames (a process,
 * a thread).  leaf[] gets each stack's leaf node.  0 or -ENOMEM.
 */
static int
aggregate_group(struct aggregate *agg, const struct reader_profile *prof,
    const uint32_t *code_func, struct aggregate_lines *lc,
    struct aggregate_native *nx, const uint64_t *counts,
    const uint64_t *weights, const uint32_t *roots, size_t nroots,
    struct aggregate_step *path, uint32_t *leaf)
{
	const struct reader_stack	*s;
	struct aggregate_step		*p = path + nroots;
	size_t				 i, n;
	uint32_t			 node;

	for (i = 0; i < nroots; i++) {
		path[i].func = roots[i];
		path[i].line = -1;
	}
	for (i = 0; i < prof->nstacks; i++) {
		s = &prof->stacks[i];
		if (counts[i] == 0)
			continue;
		if (agg->view != AGGREGATE_VIEW_PYTHON &&
		    (s->flags & STACK_NATIVE))
			n = aggregate_native_path(agg, nx, prof, code_func,
			    lc, s, counts[i], p);
		else if (agg->view == AGGREGATE_VIEW_NATIVE) {
			p[0].func = aggregate_pseudo(agg, PSEUDO_NO_NATIVE);
			p[0].line = -1;
			n = p[0].func == AGGREGATE_NONE ? 0 : 1;
		} else
			n = aggregate_path(agg, prof, code_func, lc, s, p);
		if (n == 0)
			return -ENOMEM;
		/* --focus and --exclude look at the stack, not the roots. */
		if (!aggregate_keep(agg, p, n)) {
			leaf[i] = AGGREGATE_NONE;
			continue;
		}
		node = aggregate_credit(agg, path, n + (size_t)(p - path),
		    counts[i]);
		if (node == AGGREGATE_NONE)
			return -ENOMEM;
		leaf[i] = node;
		agg->samples += counts[i];
		agg->weight_ns += weights[i];
	}
	return 0;
}

/* Add the samples of a profile. */
int
aggregate_add(struct aggregate *agg, const struct reader_profile *prof)
{
	uint64_t		*counts = NULL, *weights = NULL;
	uint32_t		*code_func = NULL, *leaf = NULL, *group = NULL;
	uint32_t		*sample_leaf = NULL, *tids = NULL, roots[2];
	struct aggregate_step	*path = NULL;
	struct aggregate_lines	 lc;
	struct aggregate_native	 nx;
	const struct reader_code *c;
	const struct reader_stack *s;
	const char		*v;
	char			 name[256];
	size_t			*first = NULL, *order = NULL;
	size_t			 i, j, g, ngroups = 1, deepest = 0, len, nroots = 0;
	uint64_t		 units, period = 0;
	int			 error = -ENOMEM, native = 0;

	memset(&nx, 0, sizeof nx);
	if (aggregate_lines_init(&lc, 1024) != 0)
		goto out;
	if ((v = reader_kv_get(&prof->header, "rate")) != NULL &&
	    strtoull(v, NULL, 10) != 0)
		period = 1000000000ULL / strtoull(v, NULL, 10);
	/*
	 * Each sample's group: 0, or with per_thread its thread's index in
	 * tids[]; AGGREGATE_NONE for a sample the filters leave out.
	 */
	if ((group = malloc((prof->nsamples + 1) * sizeof *group)) == NULL ||
	    (tids = malloc((prof->nsamples + 1) * sizeof *tids)) == NULL ||
	    (sample_leaf = malloc((prof->nsamples + 1) *
	    sizeof *sample_leaf)) == NULL)
		goto out;
	if (agg->per_thread)
		ngroups = 0;
	for (i = 0; i < prof->nsamples; i++) {
		sample_leaf[i] = AGGREGATE_NONE;
		group[i] = AGGREGATE_NONE;
		if (prof->sample_stack[i] >= prof->nstacks)
			continue;
		units = aggregate_units(prof, period, i);
		agg->samples_read += units;
		if (!aggregate_in_window(agg, prof, i))
			continue;
		agg->samples_window += units;
		if (!aggregate_wanted(agg, prof, i)) {
			agg->filtered += units;
			continue;
		}
		if (prof->sample_flags[i] & SAMPLE_IDLE)
			agg->idle += units;
		group[i] = 0;
		if (!agg->per_thread)
			continue;
		/* Threads are few: the last one found is usually it. */
		for (g = ngroups; g > 0; g--) {
			if (tids[g - 1] == prof->sample_tid[i])
				break;
		}
		if (g == 0) {
			tids[ngroups++] = prof->sample_tid[i];
			g = ngroups;
		}
		group[i] = (uint32_t)(g - 1);
	}
	if ((counts = calloc(prof->nstacks + 1, sizeof *counts)) == NULL ||
	    (weights = calloc(prof->nstacks + 1, sizeof *weights)) == NULL)
		goto out;
	if ((code_func = malloc((prof->ncodes + 1) * sizeof *code_func)) == NULL)
		goto out;
	if ((leaf = malloc((prof->nstacks + 1) * sizeof *leaf)) == NULL)
		goto out;
	for (i = 0; i < prof->ncodes; i++) {
		c = &prof->codes[i];
		code_func[i] = aggregate_func(agg, c->name, c->file, "",
		    c->firstlineno, KIND_PYTHON);
		if (code_func[i] == AGGREGATE_NONE)
			goto out;
	}
	for (i = 0; i < prof->nsamples; i++) {
		if (group[i] != AGGREGATE_NONE)
			counts[prof->sample_stack[i]] += aggregate_units(prof,
			    period, i);
	}
	for (i = 0; i < prof->nstacks; i++) {
		s = &prof->stacks[i];
		if (counts[i] == 0)
			continue;
		len = s->nframes;
		if (agg->view != AGGREGATE_VIEW_PYTHON &&
		    (s->flags & STACK_NATIVE)) {
			native = 1;
			len += (size_t)s->nnative * AGGREGATE_INLINE_MAX;
		}
		if (len > deepest)
			deepest = len;
	}
	if ((path = malloc((deepest + 6) * sizeof *path)) == NULL)
		goto out;
	if (agg->per_process) {
		aggregate_process_name(prof, name, sizeof name);
		if ((roots[nroots++] = aggregate_func(agg, name, "", "", 0,
		    KIND_PSEUDO)) == AGGREGATE_NONE)
			goto out;
	}
	if (native && aggregate_native_init(agg, &nx, prof) != 0)
		goto out;
	/* The samples in group order (a counting sort), one pass a group. */
	if ((first = calloc(ngroups + 2, sizeof *first)) == NULL ||
	    (order = malloc((prof->nsamples + 1) * sizeof *order)) == NULL)
		goto out;
	for (i = 0; i < prof->nsamples; i++) {
		if (group[i] != AGGREGATE_NONE)
			first[group[i] + 2]++;
	}
	for (g = 2; g < ngroups + 2; g++)
		first[g] += first[g - 1];
	for (i = 0; i < prof->nsamples; i++) {
		if (group[i] != AGGREGATE_NONE)
			order[first[group[i] + 1]++] = i;
	}
	for (g = 0; g < ngroups; g++) {
		memset(counts, 0, (prof->nstacks + 1) * sizeof *counts);
		memset(weights, 0, (prof->nstacks + 1) * sizeof *weights);
		for (j = first[g]; j < first[g + 1]; j++) {
			i = order[j];
			units = aggregate_units(prof, period, i);
			counts[prof->sample_stack[i]] += units;
			weights[prof->sample_stack[i]] +=
			    prof->sample_weight[i];
		}
		if (agg->per_thread) {
			snprintf(name, sizeof name, "[thread %lu%s%s]",
			    (unsigned long)tids[g],
			    *aggregate_thread_name(prof, tids[g]) ? " " : "",
			    aggregate_thread_name(prof, tids[g]));
			roots[nroots] = aggregate_func(agg, name, "", "", 0,
			    KIND_PSEUDO);
			if (roots[nroots] == AGGREGATE_NONE)
				goto out;
		}
		if (aggregate_group(agg, prof, code_func, &lc, &nx, counts,
		    weights, roots, nroots + (agg->per_thread != 0), path,
		    leaf) != 0)
			goto out;
		for (j = first[g]; j < first[g + 1]; j++)
			sample_leaf[order[j]] = leaf[prof->sample_stack[order[j]]];
	}
	if (agg->keep_samples &&
	    aggregate_keep_samples(agg, prof, sample_leaf) != 0)
		goto out;
	agg->files++;
	if ((v = reader_kv_get(&prof->stats, "duration_ns")) != NULL) {
		agg->duration_ns += aggregate_window_ns(agg,
		    strtoull(v, NULL, 10));
		agg->durations++;
	}
	error = 0;
out:
	if (native && aggregate_native_done(agg, &nx) != 0)
		error = -ENOMEM;
	aggregate_lines_done(&lc);
	free(counts);
	free(weights);
	free(code_func);
	free(leaf);
	free(group);
	free(tids);
	free(sample_leaf);
	free(first);
	free(order);
	free(path);
	return error;
}

/* Order nodes: total count, self count descending, then name and line. */
static int
aggregate_cmp_nodes(const void *a, const void *b, void *arg)
{
	const struct aggregate	*agg = arg;
	const struct aggregate_node *x = &agg->nodes[*(const uint32_t *)a];
	const struct aggregate_node *y = &agg->nodes[*(const uint32_t *)b];
	const struct aggregate_func *fx = &agg->funcs[x->func];
	const struct aggregate_func *fy = &agg->funcs[y->func];
	int			 r;

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	if (x->self != y->self)
		return x->self > y->self ? -1 : 1;
	if ((r = strcmp(fx->name, fy->name)) != 0)
		return r;
	if ((r = strcmp(fx->file, fy->file)) != 0)
		return r;
	if (fx->firstlineno != fy->firstlineno)
		return fx->firstlineno < fy->firstlineno ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return 0;
}

/* Link every node's children in order. */
int
aggregate_finish(struct aggregate *agg)
{
	uint32_t	*order, *start, n, i, j, p;

	n = (uint32_t)agg->nnodes;
	order = malloc((size_t)n * sizeof *order);
	start = calloc((size_t)n + 1, sizeof *start);
	if (order == NULL || start == NULL) {
		free(order);
		free(start);
		return -ENOMEM;
	}
	/* Group the nodes by parent, then sort each group. */
	for (i = 1; i < n; i++)
		start[agg->nodes[i].parent + 1]++;
	for (i = 0; i < n; i++)
		start[i + 1] += start[i];
	for (i = 1; i < n; i++)
		order[start[agg->nodes[i].parent]++] = i;
	for (i = n; i > 0; i--)
		start[i] = start[i - 1];
	start[0] = 0;
	for (p = 0; p < n; p++) {
		agg->nodes[p].child = AGGREGATE_NONE;
		if (start[p + 1] == start[p])
			continue;
		qsort_r(order + start[p], start[p + 1] - start[p],
		    sizeof *order, aggregate_cmp_nodes, agg);
		agg->nodes[p].child = order[start[p]];
		for (j = start[p]; j < start[p + 1]; j++) {
			agg->nodes[order[j]].sibling = j + 1 < start[p + 1] ?
			    order[j + 1] : AGGREGATE_NONE;
		}
	}
	free(order);
	free(start);
	return 0;
}

/* Order functions: self, total descending, then name, file and line. */
static int
aggregate_cmp_funcs(const void *a, const void *b, void *arg)
{
	const struct aggregate	*agg = arg;
	const struct aggregate_func *x = &agg->funcs[*(const uint32_t *)a];
	const struct aggregate_func *y = &agg->funcs[*(const uint32_t *)b];
	int			 r;

	if (x->self != y->self)
		return x->self > y->self ? -1 : 1;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	if ((r = strcmp(x->name, y->name)) != 0)
		return r;
	if ((r = strcmp(x->file, y->file)) != 0)
		return r;
	if (x->firstlineno != y->firstlineno)
		return x->firstlineno < y->firstlineno ? -1 : 1;
	return 0;
}

/* The function indexes sorted by self count. */
uint32_t *
aggregate_by_self(const struct aggregate *agg)
{
	uint32_t	*order;
	size_t		 i;

	if ((order = malloc((agg->nfuncs + 1) * sizeof *order)) == NULL)
		return NULL;
	for (i = 0; i < agg->nfuncs; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, agg->nfuncs, sizeof *order, aggregate_cmp_funcs,
	    (void *)agg);
	return order;
}

/* Append n bytes to a growing string. */
static int
aggregate_put(struct aggregate_buf *b, const char *s, size_t n)
{
	if (array_grow(&b->s, &b->size, b->len + n + 1, 1) != 0)
		return -1;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

/* Append a name with ';' and control characters replaced. */
static int
aggregate_put_clean(struct aggregate_buf *b, const char *s)
{
	size_t	start = b->len, n = strlen(s), i;
	char	*p;

	if (aggregate_put(b, s, n) != 0)
		return -1;
	for (i = 0, p = b->s + start; i < n; i++, p++) {
		if (*p == ';')
			*p = ',';
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	return 0;
}

/* Append the collapsed text of a node's frame. */
static int
aggregate_put_frame(struct aggregate_buf *b, const struct aggregate *agg,
    const struct aggregate_node *node)
{
	const struct aggregate_func	*f = &agg->funcs[node->func];
	char				 where[4096 + 32];

	if (aggregate_put_clean(b, f->name) != 0)
		return -1;
	aggregate_where(f, node->line, where, sizeof where);
	if (where[0] == '\0')
		return 0;
	if (aggregate_put(b, " (", 2) != 0 ||
	    aggregate_put_clean(b, where) != 0 ||
	    aggregate_put(b, ")", 1) != 0)
		return -1;
	return 0;
}

/* Write where a frame is, without parentheses. */
void
aggregate_where(const struct aggregate_func *f, int line, char *buf,
    size_t size)
{
	if (f->pseudo)
		snprintf(buf, size, "%s", "");
	else if (!f->native && line >= 0)
		snprintf(buf, size, "%s:%d", f->file, line);
	else if (!f->native)
		snprintf(buf, size, "%s:?", f->file);
	else if (f->file[0] != '\0' && line > 0)
		snprintf(buf, size, "%s:%d", aggregate_basename(f->file), line);
	else if (f->file[0] != '\0')
		snprintf(buf, size, "%s", aggregate_basename(f->file));
	else
		snprintf(buf, size, "%s", f->module);
}

/* Order collapsed lines by their text. */
static int
aggregate_cmp_lines(const void *a, const void *b)
{
	return strcmp(((const struct aggregate_line *)a)->text,
	    ((const struct aggregate_line *)b)->text);
}

/* Call fn with the collapsed text and self count of every leaf node. */
int
aggregate_collapsed_each(const struct aggregate *agg,
    int (*fn)(void *, const char *, uint64_t), void *arg)
{
	struct aggregate_buf	 b = { NULL, 0, 0 }, texts = { NULL, 0, 0 };
	uint32_t		*chain = NULL, node;
	size_t			*text_at = NULL, i, j, depth;
	size_t			 chain_size = 0, at;
	int			 error = -ENOMEM;

	/*
	 * Each node's frame text is made once, into texts (text_at: its
	 * offset + 1, 0 not yet): stacks share most of their frames.
	 */
	if ((text_at = calloc(agg->nnodes + 1, sizeof *text_at)) == NULL)
		goto out;
	for (i = 1; i < agg->nnodes; i++) {
		if (agg->nodes[i].self == 0)
			continue;
		depth = agg->nodes[i].depth;
		if (array_grow(&chain, &chain_size, depth,
		    sizeof *chain) != 0)
			goto out;
		for (node = (uint32_t)i, j = depth; j > 0; j--) {
			chain[j - 1] = node;
			node = agg->nodes[node].parent;
		}
		b.len = 0;
		for (j = 0; j < depth; j++) {
			if (text_at[chain[j]] == 0) {
				at = texts.len;
				if (aggregate_put_frame(&texts, agg,
				    &agg->nodes[chain[j]]) != 0 ||
				    aggregate_put(&texts, "", 1) != 0)
					goto out;
				text_at[chain[j]] = at + 1;
			}
			at = text_at[chain[j]] - 1;
			if ((j != 0 && aggregate_put(&b, ";", 1) != 0) ||
			    aggregate_put(&b, texts.s + at,
			    strlen(texts.s + at)) != 0)
				goto out;
		}
		if ((error = fn(arg, b.s != NULL ? b.s : "",
		    agg->nodes[i].self)) != 0)
			goto out;
	}
	error = 0;
out:
	free(chain);
	free(b.s);
	free(text_at);
	free(texts.s);
	return error;
}

/* Lines being collected by aggregate_collapsed(). */
struct aggregate_lines_out {
	struct aggregate_line	*lines;
	size_t			 n;
};

/* Keep a collapsed line. */
static int
aggregate_collect(void *arg, const char *text, uint64_t count)
{
	struct aggregate_lines_out	*o = arg;

	if ((o->lines[o->n].text = strdup(text)) == NULL)
		return -ENOMEM;
	o->lines[o->n++].count = count;
	return 0;
}

/* Sort collapsed lines by text and add up those that read the same. */
size_t
aggregate_lines_merge(struct aggregate_line *lines, size_t n)
{
	size_t	i, k;

	if (n == 0)
		return 0;	/* lines may be NULL */
	qsort(lines, n, sizeof *lines, aggregate_cmp_lines);
	for (i = 0, k = 0; i < n; i++) {
		if (k != 0 && strcmp(lines[k - 1].text, lines[i].text) == 0) {
			lines[k - 1].count += lines[i].count;
			free(lines[i].text);
			continue;
		}
		lines[k++] = lines[i];
	}
	return k;
}

/* The collapsed stacks, sorted. */
int
aggregate_collapsed(const struct aggregate *agg, struct aggregate_line **out,
    size_t *nout)
{
	struct aggregate_lines_out	 o = { NULL, 0 };
	size_t				 i, n = 0;

	*out = NULL;
	*nout = 0;
	for (i = 1; i < agg->nnodes; i++)
		n += agg->nodes[i].self != 0;
	if ((o.lines = calloc(n + 1, sizeof *o.lines)) == NULL)
		return -ENOMEM;
	if (aggregate_collapsed_each(agg, aggregate_collect, &o) != 0) {
		aggregate_lines_free(o.lines, o.n);
		return -ENOMEM;
	}
	/* Different tree paths may read the same: merge them. */
	*nout = aggregate_lines_merge(o.lines, o.n);
	*out = o.lines;
	return 0;
}

/* Free lines from aggregate_collapsed(). */
void
aggregate_lines_free(struct aggregate_line *lines, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(lines[i].text);
	free(lines);
}

/* Order hot lines by function, then line, to add up their nodes. */
static int
aggregate_cmp_hot_key(const void *a, const void *b)
{
	const struct aggregate_hot	*x = a, *y = b;

	if (x->func != y->func)
		return x->func < y->func ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Order hot lines: self descending, then name, file and line. */
static int
aggregate_cmp_hot(const void *a, const void *b, void *arg)
{
	const struct aggregate		*agg = arg;
	const struct aggregate_hot	*x = a, *y = b;
	const struct aggregate_func	*fx = &agg->funcs[x->func];
	const struct aggregate_func	*fy = &agg->funcs[y->func];
	int				 r;

	if (x->self != y->self)
		return x->self > y->self ? -1 : 1;
	if ((r = strcmp(fx->name, fy->name)) != 0)
		return r;
	if ((r = strcmp(fx->file, fy->file)) != 0)
		return r;
	if ((r = strcmp(fx->module, fy->module)) != 0)
		return r;
	if (fx->firstlineno != fy->firstlineno)
		return fx->firstlineno < fy->firstlineno ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Self samples per (function, line), hottest first. */
int
aggregate_hot_lines(const struct aggregate *agg, struct aggregate_hot **out,
    size_t *nout)
{
	struct aggregate_hot	*hot;
	size_t			 i, n = 0, k;

	*out = NULL;
	*nout = 0;
	for (i = 1; i < agg->nnodes; i++)
		n += agg->nodes[i].self != 0;
	if ((hot = calloc(n + 1, sizeof *hot)) == NULL)
		return -ENOMEM;
	for (i = 1, n = 0; i < agg->nnodes; i++) {
		if (agg->nodes[i].self == 0)
			continue;
		hot[n].func = agg->nodes[i].func;
		hot[n].line = agg->nodes[i].line;
		hot[n++].self = agg->nodes[i].self;
	}
	/* The same line under different callers is one line. */
	qsort(hot, n, sizeof *hot, aggregate_cmp_hot_key);
	for (i = 0, k = 0; i < n; i++) {
		if (k != 0 && hot[k - 1].func == hot[i].func &&
		    hot[k - 1].line == hot[i].line)
			hot[k - 1].self += hot[i].self;
		else
			hot[k++] = hot[i];
	}
	qsort_r(hot, k, sizeof *hot, aggregate_cmp_hot, (void *)agg);
	*out = hot;
	*nout = k;
	return 0;
}

/* The index of the function of f's identity in agg, or AGGREGATE_NONE. */
uint32_t
aggregate_find(const struct aggregate *agg, const struct aggregate_func *f)
{
	const struct aggregate_index	*ix = agg->index;
	const struct aggregate_func	*g;
	int				 kind;
	uint64_t			 h;
	size_t				 i, mask;
	uint32_t			 idx;

	if (ix->func_nslots == 0)
		return AGGREGATE_NONE;
	kind = f->pseudo ? KIND_PSEUDO : f->native ? KIND_NATIVE : KIND_PYTHON;
	h = aggregate_func_hash(f->name, f->file, f->module, f->firstlineno,
	    kind);
	mask = ix->func_nslots - 1;
	for (i = h & mask; (idx = ix->func_slots[i]) != AGGREGATE_NONE;
	    i = (i + 1) & mask) {
		g = &agg->funcs[idx];
		if (ix->func_hash[idx] == h &&
		    g->firstlineno == f->firstlineno &&
		    g->pseudo == f->pseudo && g->native == f->native &&
		    strcmp(g->name, f->name) == 0 &&
		    strcmp(g->file, f->file) == 0 &&
		    strcmp(g->module, f->module) == 0)
			return idx;
	}
	return AGGREGATE_NONE;
}

/* The child of parent for (func, line), or AGGREGATE_NONE. */
uint32_t
aggregate_find_child(const struct aggregate *agg, uint32_t parent,
    uint32_t func, int line)
{
	const struct aggregate_index	*ix = agg->index;
	const struct aggregate_node	*n;
	uint64_t			 h = aggregate_node_hash(parent, func,
					     line);
	size_t				 i, mask;
	uint32_t			 idx;

	if (ix->node_nslots == 0)
		return AGGREGATE_NONE;
	mask = ix->node_nslots - 1;
	for (i = h & mask; (idx = ix->node_slots[i]) != AGGREGATE_NONE;
	    i = (i + 1) & mask) {
		n = &agg->nodes[idx];
		if (ix->node_hash[idx] == h && n->parent == parent &&
		    n->func == func && n->line == line)
			return idx;
	}
	return AGGREGATE_NONE;
}
