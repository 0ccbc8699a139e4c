/*
 * The pprof export: a gzip'd profile.proto message (the format of Go's
 * pprof and Google's perftools), for `pprof -http=: out.pb.gz` and the
 * viewers that read it.  What is written (field numbers of the public
 * schema):
 *
 *   Profile   1 sample_type: samples/count, then cpu/nanoseconds (wall
 *               when the profile's header says mode=wall)
 *             2 sample: location_id (1, leaf first), value (2): samples
 *               and nanoseconds, one sample per distinct stack
 *             3 mapping: id 1, memory_start 2, memory_limit 3,
 *               file_offset 4 (the start's address in the file's
 *               symbols), filename 5, build_id 6 (hex), has_functions 7
 *             4 location: id 1, mapping_id 2 and address 3 (native
 *               code), line 4 {function_id 1, line 2}
 *             5 function: id 1, name 2, system_name 3, filename 4,
 *               start_line 5
 *             6 string_table, "" first
 *             9 time_nanos, 10 duration_nanos, 11 period_type,
 *             12 period (1e9 / rate)
 *
 * A Python location is a function and the line executing in it, as in the
 * call tree.  A native location is an address (that of the first sample
 * that reached its tree node: the interrupted instruction at the leaf, a
 * return address above) with one line per function inlined there,
 * innermost first, then the function that holds them.
 */

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "export.h"
#include "format.h"

/* A growing protobuf message. */
struct pprof_buf {
	uint8_t		*p;
	size_t		 len;
	size_t		 size;
	int		 error;	/* out of memory */
};

/* The string table: strings by index, and an index of them by hash. */
struct pprof_strings {
	char		**s;
	size_t		  n;
	size_t		  size;
	uint32_t	 *slots;	/* UINT32_MAX: free */
	size_t		  nslots;	/* a power of two */
};

/*
 * A location seen from the tree: a node and, if it is native, the nodes
 * above it inlined at the same address (bottom is innermost).
 */
struct pprof_loc {
	uint64_t	addr;		/* 0 unless native */
	uint32_t	bottom;
	uint32_t	top;
	uint32_t	len;		/* nodes from bottom to top */
	uint32_t	func_bottom;
	uint32_t	func_top;
	int		line_bottom;
	int		line_top;
};

/* Make room for n more bytes. */
static int
pprof_room(struct pprof_buf *b, size_t n)
{
	uint8_t	*p;
	size_t	 size;

	if (b->error)
		return -1;
	if (b->len + n <= b->size)
		return 0;
	for (size = b->size == 0 ? 4096 : b->size; size < b->len + n; size *= 2)
		;
	if ((p = realloc(b->p, size)) == NULL) {
		b->error = 1;
		return -1;
	}
	b->p = p;
	b->size = size;
	return 0;
}

/* Append a varint. */
static void
pprof_varint(struct pprof_buf *b, uint64_t v)
{
	if (pprof_room(b, 10) != 0)
		return;
	while (v >= 0x80) {
		b->p[b->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->p[b->len++] = (uint8_t)v;
}

/* Append a varint field (wire type 0). */
static void
pprof_field(struct pprof_buf *b, unsigned int field, uint64_t v)
{
	pprof_varint(b, (uint64_t)field << 3);
	pprof_varint(b, v);
}

/* Append a length-delimited field (wire type 2). */
static void
pprof_bytes(struct pprof_buf *b, unsigned int field, const void *p,
    size_t len)
{
	pprof_varint(b, (uint64_t)field << 3 | 2);
	pprof_varint(b, len);
	if (pprof_room(b, len) != 0)
		return;
	if (len != 0)
		memcpy(b->p + b->len, p, len);
	b->len += len;
}

/* Append a message as a field, and empty it for the next. */
static void
pprof_message(struct pprof_buf *b, unsigned int field, struct pprof_buf *m)
{
	if (m->error)
		b->error = 1;
	pprof_bytes(b, field, m->p, m->len);
	m->len = 0;
}

/* Hash a string (FNV-1a). */
static uint64_t
pprof_hash(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	while (*s != '\0') {
		h ^= (uint8_t)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Double the string index. */
static int
pprof_strings_grow(struct pprof_strings *t)
{
	uint32_t	*slots;
	size_t		 n = t->nslots == 0 ? 1024 : t->nslots * 2, i, j;

	if ((slots = malloc(n * sizeof *slots)) == NULL)
		return -1;
	memset(slots, 0xff, n * sizeof *slots);
	for (i = 0; i < t->n; i++) {
		for (j = pprof_hash(t->s[i]) & (n - 1); slots[j] != UINT32_MAX;
		    j = (j + 1) & (n - 1))
			;
		slots[j] = (uint32_t)i;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
	return 0;
}

/*
 * The index of a string in the table (valid UTF-8 made of it, as protobuf
 * strings must be), added if new; -1 if out of memory.
 */
static int64_t
pprof_string(struct pprof_strings *t, const char *raw)
{
	char	*s, **bigger;
	size_t	 i, mask;
	uint32_t idx;

	if ((s = export_utf8(raw, 0)) == NULL)
		return -1;
	if ((t->n + 1) * 2 > t->nslots && pprof_strings_grow(t) != 0)
		goto fail;
	mask = t->nslots - 1;
	for (i = pprof_hash(s) & mask; (idx = t->slots[i]) != UINT32_MAX;
	    i = (i + 1) & mask) {
		if (strcmp(t->s[idx], s) == 0) {
			free(s);
			return idx;
		}
	}
	if (t->n + 1 > t->size) {
		t->size = t->size == 0 ? 1024 : t->size * 2;
		if ((bigger = realloc(t->s, t->size * sizeof *t->s)) == NULL)
			goto fail;
		t->s = bigger;
	}
	t->s[t->n] = s;
	t->slots[i] = (uint32_t)t->n;
	return (int64_t)t->n++;

fail:
	free(s);
	return -1;
}

/* Free the string table. */
static void
pprof_strings_free(struct pprof_strings *t)
{
	size_t	i;

	for (i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	free(t->slots);
}

/* Order locations by what makes them different. */
static int
pprof_cmp_locs(const void *a, const void *b)
{
	const struct pprof_loc	*x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->func_bottom != y->func_bottom)
		return x->func_bottom < y->func_bottom ? -1 : 1;
	if (x->line_bottom != y->line_bottom)
		return x->line_bottom < y->line_bottom ? -1 : 1;
	if (x->func_top != y->func_top)
		return x->func_top < y->func_top ? -1 : 1;
	if (x->line_top != y->line_top)
		return x->line_top < y->line_top ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* The location whose innermost node is b. */
static void
pprof_loc_make(const struct aggregate *agg, uint32_t b, struct pprof_loc *l)
{
	const struct aggregate_node	*nd = &agg->nodes[b];

	memset(l, 0, sizeof *l);
	l->addr = nd->addr;
	l->bottom = l->top = b;
	l->len = 1;
	while (agg->nodes[l->top].inlined && nd->parent != 0) {
		l->top = nd->parent;
		nd = &agg->nodes[l->top];
		l->len++;
	}
	l->func_bottom = agg->nodes[b].func;
	l->line_bottom = agg->nodes[b].line;
	l->func_top = nd->func;
	l->line_top = nd->line;
}

/* Append a location message, its lines innermost first. */
static void
pprof_location(const struct aggregate *agg, const struct pprof_loc *l,
    uint64_t id, const uint32_t *func_map, struct pprof_buf *b,
    struct pprof_buf *m, struct pprof_buf *sub)
{
	const struct aggregate_node	*nd;
	uint32_t			 n = l->bottom, k;

	pprof_field(m, 1, id);
	if (func_map[l->func_bottom] != 0)
		pprof_field(m, 2, func_map[l->func_bottom]);
	if (l->addr != 0)
		pprof_field(m, 3, l->addr);
	for (k = 0; k < l->len; k++, n = nd->parent) {
		nd = &agg->nodes[n];
		pprof_field(sub, 1, (uint64_t)nd->func + 1);
		if (nd->line > 0)
			pprof_field(sub, 2, (uint64_t)nd->line);
		pprof_message(m, 4, sub);
	}
	pprof_message(b, 4, m);
}

/* The last component of a path. */
static const char *
pprof_basename(const char *path)
{
	const char	*slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* A ValueType message: type and unit. */
static void
pprof_value_type(struct pprof_buf *b, unsigned int field,
    struct pprof_buf *m, int64_t type, int64_t unit)
{
	pprof_field(m, 1, (uint64_t)type);
	pprof_field(m, 2, (uint64_t)unit);
	pprof_message(b, field, m);
}

/*
 * The mappings of every profile (the same file once), and for each
 * function the id of the mapping of its object file (0: none).  Return 0
 * or -1 if out of memory.
 */
static int
pprof_mappings(const struct report *r, struct pprof_buf *b,
    struct pprof_buf *m, struct pprof_strings *st, uint32_t *func_map)
{
	const struct aggregate		*agg = r->agg;
	const struct reader_mapping	*mp;
	const char			**paths = NULL;
	char				 hex[2 * 64 + 1];
	size_t				 n = 0, size = 0, i, j, k;
	int64_t				 file, id;

	for (i = 0; i < r->nprofiles; i++)
		size += r->profiles[i]->nmappings;
	if ((paths = calloc(size + 1, sizeof *paths)) == NULL)
		return -1;
	for (i = 0; i < r->nprofiles; i++) {
		for (j = 0; j < r->profiles[i]->nmappings; j++) {
			mp = &r->profiles[i]->mappings[j];
			if ((mp->flags & MAPPING_ANON) || mp->path[0] == '\0')
				continue;
			for (k = 0; k < n && strcmp(paths[k], mp->path) != 0;
			    k++)
				;
			if (k < n)
				continue;
			paths[n++] = mp->path;
			for (k = 0; k < mp->build_id_len && k < 64; k++)
				snprintf(hex + 2 * k, 3, "%02x",
				    mp->build_id[k]);
			hex[2 * k] = '\0';
			if ((file = pprof_string(st, mp->path)) < 0 ||
			    (id = pprof_string(st, hex)) < 0)
				goto fail;
			pprof_field(m, 1, n);
			pprof_field(m, 2, mp->start);
			pprof_field(m, 3, mp->end);
			pprof_field(m, 4, mp->start - mp->bias);
			pprof_field(m, 5, (uint64_t)file);
			if (id != 0)
				pprof_field(m, 6, (uint64_t)id);
			pprof_field(m, 7, 1);
			pprof_message(b, 3, m);
		}
	}
	/* A native function's module is its mapping's basename. */
	for (i = 0; i < agg->nfuncs; i++) {
		func_map[i] = 0;
		if (!agg->funcs[i].native || agg->funcs[i].module[0] == '\0')
			continue;
		for (k = 0; k < n; k++) {
			if (strcmp(pprof_basename(paths[k]),
			    agg->funcs[i].module) == 0) {
				func_map[i] = (uint32_t)k + 1;
				break;
			}
		}
	}
	free(paths);
	return 0;

fail:
	free(paths);
	return -1;
}

/* Time and duration of the profiles: from the first start to the last end. */
static void
pprof_times(const struct report *r, struct pprof_buf *b)
{
	const char	*v, *d;
	uint64_t	 start = UINT64_MAX, end = 0, s;
	size_t		 i;
	int		 all = r->nprofiles != 0;

	for (i = 0; i < r->nprofiles; i++) {
		v = reader_kv_get(&r->profiles[i]->header, "start_time_ns");
		d = reader_kv_get(&r->profiles[i]->stats, "duration_ns");
		if (v == NULL) {
			all = 0;
			continue;
		}
		s = strtoull(v, NULL, 10);
		if (s < start)
			start = s;
		if (d != NULL && s + strtoull(d, NULL, 10) > end)
			end = s + strtoull(d, NULL, 10);
		all = all && d != NULL;
	}
	if (start != UINT64_MAX)
		pprof_field(b, 9, start);
	if (all && end > start)
		pprof_field(b, 10, end - start);
	else if (r->agg->duration_ns != 0)
		pprof_field(b, 10, r->agg->duration_ns);
}

/* Compress the message with gzip onto the output. */
static int
pprof_gzip(FILE *out, const struct pprof_buf *b)
{
	z_stream	z;
	uint8_t		chunk[65536];
	int		ret;

	memset(&z, 0, sizeof z);
	/* 15 + 16: a gzip header and trailer around the deflate stream. */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	z.next_in = b->p;
	z.avail_in = (uInt)b->len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof chunk;
		ret = deflate(&z, Z_FINISH);
		if (ret == Z_STREAM_ERROR) {
			deflateEnd(&z);
			return -1;
		}
		fwrite(chunk, 1, sizeof chunk - z.avail_out, out);
	} while (ret != Z_STREAM_END);
	deflateEnd(&z);
	return 0;
}

/* Write the pprof export. */
int
report_pprof(struct report *r)
{
	const struct aggregate		*agg = r->agg;
	const struct aggregate_func	*f;
	const struct aggregate_node	*nd;
	struct pprof_buf		 b, m, sub;
	struct pprof_strings		 st;
	struct pprof_loc		*locs = NULL;
	double				*node_s = NULL, rate;
	uint32_t			*node_loc = NULL, *func_map = NULL;
	uint32_t			*node_up = NULL;
	uint32_t			 n;
	size_t				 nlocs = 0, i, j;
	int64_t				 kind, unit, count, name, file;
	const char			*v;
	int				 error = -1;

	memset(&b, 0, sizeof b);
	memset(&m, 0, sizeof m);
	memset(&sub, 0, sizeof sub);
	memset(&st, 0, sizeof st);
	if ((node_s = export_node_seconds(r)) == NULL)
		goto out;
	node_loc = calloc(agg->nnodes + 1, sizeof *node_loc);
	node_up = calloc(agg->nnodes + 1, sizeof *node_up);
	func_map = calloc(agg->nfuncs + 1, sizeof *func_map);
	locs = calloc(agg->nnodes + 1, sizeof *locs);
	if (node_loc == NULL || node_up == NULL || func_map == NULL ||
	    locs == NULL)
		goto out;

	v = export_header(r, "mode");
	if (pprof_string(&st, "") != 0 ||
	    (count = pprof_string(&st, "samples")) < 0 ||
	    (unit = pprof_string(&st, "count")) < 0)
		goto out;
	pprof_value_type(&b, 1, &m, count, unit);
	if ((kind = pprof_string(&st, v != NULL && strcmp(v, "wall") == 0 ?
	    "wall" : "cpu")) < 0 || (unit = pprof_string(&st,
	    "nanoseconds")) < 0)
		goto out;
	pprof_value_type(&b, 1, &m, kind, unit);
	pprof_value_type(&b, 11, &m, kind, unit);
	if ((v = export_header(r, "rate")) != NULL &&
	    (rate = strtod(v, NULL)) > 0)
		pprof_field(&b, 12, (uint64_t)llround(1e9 / rate));
	pprof_times(r, &b);
	if (pprof_mappings(r, &b, &m, &st, func_map) != 0)
		goto out;

	/* Functions that are in the tree; their ids are index + 1. */
	for (i = 0; i < agg->nfuncs; i++) {
		f = &agg->funcs[i];
		if (f->total == 0)
			continue;
		if ((name = pprof_string(&st, f->name)) < 0 ||
		    (file = pprof_string(&st, f->native && f->file[0] == '\0' ?
		    f->module : f->file)) < 0)
			goto out;
		pprof_field(&m, 1, i + 1);
		pprof_field(&m, 2, (uint64_t)name);
		pprof_field(&m, 3, (uint64_t)name);
		if (file != 0)
			pprof_field(&m, 4, (uint64_t)file);
		if (!f->native && !f->pseudo && f->firstlineno > 0)
			pprof_field(&m, 5, (uint64_t)f->firstlineno);
		pprof_message(&b, 5, &m);
	}

	/*
	 * Locations: the distinct (function, line) pairs of the tree, or
	 * for native code an address and the functions inlined there.
	 */
	for (i = 1; i < agg->nnodes; i++) {
		/* Bottoms: leaves, and callers of a function not inlined. */
		nd = &agg->nodes[i];
		if (nd->self != 0)
			node_up[i] = 1;
		if (!nd->inlined)
			node_up[nd->parent] = 1;
	}
	for (i = 1; i < agg->nnodes; i++) {
		if (node_up[i])
			pprof_loc_make(agg, (uint32_t)i, &locs[nlocs++]);
	}
	qsort(locs, nlocs, sizeof *locs, pprof_cmp_locs);
	for (i = 0, j = 0; i < nlocs; i++) {
		if (i == 0 || pprof_cmp_locs(&locs[i - 1], &locs[i]) != 0)
			pprof_location(agg, &locs[i], ++j, func_map, &b, &m,
			    &sub);
		node_loc[locs[i].bottom] = (uint32_t)j;
		node_up[locs[i].bottom] = agg->nodes[locs[i].top].parent;
	}

	/* A sample per node with self samples: its stack, leaf first. */
	for (i = 1; i < agg->nnodes; i++) {
		nd = &agg->nodes[i];
		if (nd->self == 0)
			continue;
		for (n = (uint32_t)i; n != 0; n = node_up[n])
			pprof_varint(&sub, node_loc[n]);
		pprof_message(&m, 1, &sub);
		pprof_varint(&sub, nd->self);
		pprof_varint(&sub, (uint64_t)llround(node_s[i] * 1e9));
		pprof_message(&m, 2, &sub);
		pprof_message(&b, 2, &m);
	}

	for (i = 0; i < st.n; i++)
		pprof_bytes(&b, 6, st.s[i], strlen(st.s[i]));
	if (b.error || m.error || sub.error)
		goto out;
	error = pprof_gzip(r->out, &b);

out:
	pprof_strings_free(&st);
	free(b.p);
	free(m.p);
	free(sub.p);
	free(locs);
	free(node_loc);
	free(node_up);
	free(func_map);
	free(node_s);
	return error;
}
