/*
 * Shared by the pstats, callgrind and pprof exporters.  The call tree is
 * walked depth first with a count, per function group and per edge, of how
 * many times it is on the current path, so that a recursive function (or
 * edge) adds a subtree's time to its inclusive time only at its outermost
 * occurrence: a sample is counted once per stack, as in the top report.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "export.h"

/* Edges by (caller, callee, line), an open-addressing table of indexes. */
struct export_edges {
	uint32_t	*slots;		/* AGGREGATE_NONE: free */
	size_t		 nslots;	/* a power of two */
	size_t		 size;		/* room in calls->edges */
};

/* Seconds one count of a profile stands for. */
double
export_period(const struct reader_profile *p)
{
	const char	*v;
	double		 rate;
	size_t		 i;
	int		 weighed = 0;

	/*
	 * Samples that carry their weight (format 1.2) are counted by the
	 * aggregate in timer periods of 1/rate; others count one each, for
	 * 1/effective_rate of the process's time.
	 */
	for (i = 0; i < p->nsamples && p->sample_weight != NULL; i++) {
		if (p->sample_weight[i] != 0) {
			weighed = 1;
			break;
		}
	}
	v = reader_kv_get(&p->stats, "effective_rate");
	if (!weighed && v != NULL && (rate = strtod(v, NULL)) > 0)
		return 1.0 / rate;
	v = reader_kv_get(&p->header, "rate");
	if (v != NULL && (rate = strtod(v, NULL)) > 0)
		return 1.0 / rate;
	return 0.0;
}

/* A header value of the first profile that has it. */
const char *
export_header(const struct report *r, const char *key)
{
	const char	*v;
	size_t		 i;

	for (i = 0; i < r->nprofiles; i++) {
		if ((v = reader_kv_get(&r->profiles[i]->header, key)) != NULL)
			return v;
	}
	return NULL;
}

/* Self seconds of every node. */
double *
export_node_seconds(const struct report *r)
{
	const struct aggregate	*agg = r->agg;
	const struct aggregate_sample *as;
	double			*s, *period, mean = 0.0;
	uint64_t		 n = 0;
	size_t			 i;
	int			 same = 1;

	if ((s = calloc(agg->nnodes + 1, sizeof *s)) == NULL)
		return NULL;
	if ((period = calloc(r->nprofiles + 1, sizeof *period)) == NULL) {
		free(s);
		return NULL;
	}
	for (i = 0; i < r->nprofiles; i++) {
		period[i] = export_period(r->profiles[i]);
		same = same && period[i] == period[0];
		mean += period[i] * (double)r->profiles[i]->nsamples;
		n += r->profiles[i]->nsamples;
	}
	if (!same && agg->sample_list != NULL) {
		for (i = 0; i < agg->nsample_list; i++) {
			as = &agg->sample_list[i];
			if (as->file < r->nprofiles && as->node < agg->nnodes)
				s[as->node] += period[as->file];
		}
	} else {
		/* Without the samples, files of different periods average. */
		mean = same ? period[0] : n != 0 ? mean / (double)n : 0.0;
		for (i = 0; i < agg->nnodes; i++)
			s[i] = (double)agg->nodes[i].self * mean;
	}
	free(period);
	return s;
}

/* Hash an edge key. */
static size_t
export_edge_hash(uint32_t caller, uint32_t callee, int line)
{
	uint64_t	h = ((uint64_t)caller << 32) | callee;

	h ^= (uint64_t)(uint32_t)line * 0x9e3779b97f4a7c15ULL;
	h *= 0xff51afd7ed558ccdULL;
	return (size_t)(h ^ (h >> 29));
}

/* Double the edge table. */
static int
export_edges_grow(struct export_edges *t, const struct export_calls *c)
{
	uint32_t		*slots;
	size_t			 n = t->nslots == 0 ? 256 : t->nslots * 2, i, j;
	const struct export_edge *e;

	if ((slots = malloc(n * sizeof *slots)) == NULL)
		return -1;
	memset(slots, 0xff, n * sizeof *slots);
	for (i = 0; i < c->nedges; i++) {
		e = &c->edges[i];
		for (j = export_edge_hash(e->caller, e->callee, e->line) &
		    (n - 1); slots[j] != AGGREGATE_NONE; j = (j + 1) & (n - 1))
			;
		slots[j] = (uint32_t)i;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
	return 0;
}

/* The index of an edge, added if new; AGGREGATE_NONE if out of memory. */
static uint32_t
export_edge(struct export_edges *t, struct export_calls *c, uint32_t caller,
    uint32_t callee, int line)
{
	struct export_edge	*e;
	size_t			 i, mask;
	uint32_t		 idx;

	if ((c->nedges + 1) * 2 > t->nslots && export_edges_grow(t, c) != 0)
		return AGGREGATE_NONE;
	mask = t->nslots - 1;
	for (i = export_edge_hash(caller, callee, line) & mask;
	    (idx = t->slots[i]) != AGGREGATE_NONE; i = (i + 1) & mask) {
		e = &c->edges[idx];
		if (e->caller == caller && e->callee == callee &&
		    e->line == line)
			return idx;
	}
	if (c->nedges + 1 > t->size) {
		t->size = t->size == 0 ? 256 : t->size * 2;
		e = realloc(c->edges, t->size * sizeof *c->edges);
		if (e == NULL)
			return AGGREGATE_NONE;
		c->edges = e;
	}
	e = &c->edges[c->nedges];
	memset(e, 0, sizeof *e);
	e->caller = caller;
	e->callee = callee;
	e->line = line;
	t->slots[i] = (uint32_t)c->nedges;
	return (uint32_t)c->nedges++;
}

/* Free what export_calls_make() allocated. */
void
export_calls_free(struct export_calls *c)
{
	free(c->self);
	free(c->calls);
	free(c->total);
	free(c->self_s);
	free(c->total_s);
	free(c->edges);
	memset(c, 0, sizeof *c);
}

/* Walk the call tree and fill c. */
int
export_calls_make(const struct report *r, const double *node_s,
    const uint32_t *group, size_t ngroups, int lines, struct export_calls *c)
{
	const struct aggregate		*agg = r->agg;
	const struct aggregate_node	*nd;
	struct export_edges		 t = { NULL, 0, 0 };
	struct export_edge		*e;
	double				*tot_s = NULL;
	uint32_t			*on_path = NULL, *edge_on = NULL;
	uint32_t			*node_edge = NULL, n, g, pg;
	size_t				 i, edge_on_size = 0;
	int				 error = -1;

	memset(c, 0, sizeof *c);
	if (group == NULL)
		ngroups = agg->nfuncs;
	c->ngroups = ngroups;
	c->self = calloc(ngroups + 1, sizeof *c->self);
	c->calls = calloc(ngroups + 1, sizeof *c->calls);
	c->total = calloc(ngroups + 1, sizeof *c->total);
	c->self_s = calloc(ngroups + 1, sizeof *c->self_s);
	c->total_s = calloc(ngroups + 1, sizeof *c->total_s);
	on_path = calloc(ngroups + 1, sizeof *on_path);
	tot_s = calloc(agg->nnodes + 1, sizeof *tot_s);
	node_edge = malloc((agg->nnodes + 1) * sizeof *node_edge);
	if (c->self == NULL || c->calls == NULL || c->total == NULL ||
	    c->self_s == NULL || c->total_s == NULL || on_path == NULL ||
	    tot_s == NULL || node_edge == NULL)
		goto out;

	/* A child is always made after its parent: sum from the end. */
	for (i = agg->nnodes; i > 0; i--) {
		tot_s[i - 1] += node_s[i - 1];
		if (i - 1 != 0)
			tot_s[agg->nodes[i - 1].parent] += tot_s[i - 1];
	}

	n = agg->nnodes != 0 ? agg->nodes[0].child : AGGREGATE_NONE;
	while (n != AGGREGATE_NONE) {
		/* Enter n. */
		nd = &agg->nodes[n];
		g = group != NULL ? group[nd->func] : nd->func;
		c->self[g] += nd->self;
		c->self_s[g] += node_s[n];
		c->calls[g] += nd->total;
		if (on_path[g]++ == 0) {
			c->total[g] += nd->total;
			c->total_s[g] += tot_s[n];
		}
		node_edge[n] = AGGREGATE_NONE;
		if (nd->parent != 0) {
			nd = &agg->nodes[nd->parent];
			pg = group != NULL ? group[nd->func] : nd->func;
			node_edge[n] = export_edge(&t, c, pg, g,
			    lines ? nd->line : 0);
			if (node_edge[n] == AGGREGATE_NONE)
				goto out;
			if (t.size > edge_on_size) {
				uint32_t *p = realloc(edge_on,
				    t.size * sizeof *edge_on);

				if (p == NULL)
					goto out;
				memset(p + edge_on_size, 0,
				    (t.size - edge_on_size) * sizeof *p);
				edge_on = p;
				edge_on_size = t.size;
			}
			nd = &agg->nodes[n];
			e = &c->edges[node_edge[n]];
			e->calls += nd->total;
			e->self += nd->self;
			e->self_s += node_s[n];
			if (edge_on[node_edge[n]]++ == 0) {
				e->samples += nd->total;
				e->total_s += tot_s[n];
			}
		}
		if (agg->nodes[n].child != AGGREGATE_NONE) {
			n = agg->nodes[n].child;
			continue;
		}
		/* Leave n and the ancestors whose last child it was. */
		for (;;) {
			nd = &agg->nodes[n];
			g = group != NULL ? group[nd->func] : nd->func;
			on_path[g]--;
			if (node_edge[n] != AGGREGATE_NONE)
				edge_on[node_edge[n]]--;
			if (nd->sibling != AGGREGATE_NONE) {
				n = nd->sibling;
				break;
			}
			n = nd->parent;
			if (n == 0 || n == AGGREGATE_NONE) {
				n = AGGREGATE_NONE;
				break;
			}
		}
	}
	error = 0;

out:
	if (error != 0)
		export_calls_free(c);
	free(t.slots);
	free(tot_s);
	free(on_path);
	free(edge_on);
	free(node_edge);
	return error;
}

/* The length of the valid UTF-8 sequence at s, or 0. */
static size_t
export_utf8_seq(const unsigned char *s)
{
	size_t		n, i;
	uint32_t	cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and past U+10FFFF are invalid. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* A copy of s as valid UTF-8, control characters optionally as '?'. */
char *
export_utf8(const char *s, int control)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out, *o;
	size_t			 k;

	/* A bad byte (1) may become U+FFFD (3). */
	if ((out = malloc(strlen(s) * 3 + 1)) == NULL)
		return NULL;
	for (o = out; *p != '\0'; p += k) {
		if ((k = export_utf8_seq(p)) == 0) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			k = 1;
		} else if (control && k == 1 && (*p < 0x20 || *p == 0x7f))
			*o++ = '?';
		else {
			memcpy(o, p, k);
			o += k;
		}
	}
	*o = '\0';
	return out;
}

/* What export_group() sorts. */
struct export_keyed {
	struct export_key	key;
	uint32_t		func;
};

/* Order keyed functions by file, line, name, then index. */
static int
export_cmp_keyed(const void *a, const void *b)
{
	const struct export_keyed	*x = a, *y = b;
	int				 c;

	if ((c = strcmp(x->key.file, y->key.file)) != 0)
		return c;
	if (x->key.line != y->key.line)
		return x->key.line < y->key.line ? -1 : 1;
	if ((c = strcmp(x->key.name, y->key.name)) != 0)
		return c;
	return x->func < y->func ? -1 : x->func > y->func;
}

/* Group the aggregate's functions by key. */
int
export_group(const struct aggregate *agg,
    void (*keyfn)(const struct aggregate_func *, struct export_key *),
    uint32_t **group, uint32_t **rep, size_t *ngroups)
{
	struct export_keyed	*k;
	size_t			 i, n = 0;

	*group = malloc((agg->nfuncs + 1) * sizeof **group);
	*rep = malloc((agg->nfuncs + 1) * sizeof **rep);
	k = malloc((agg->nfuncs + 1) * sizeof *k);
	if (*group == NULL || *rep == NULL || k == NULL) {
		free(*group);
		free(*rep);
		free(k);
		return -1;
	}
	for (i = 0; i < agg->nfuncs; i++) {
		keyfn(&agg->funcs[i], &k[i].key);
		k[i].func = (uint32_t)i;
	}
	qsort(k, agg->nfuncs, sizeof *k, export_cmp_keyed);
	for (i = 0; i < agg->nfuncs; i++) {
		if (i == 0 || strcmp(k[i - 1].key.file, k[i].key.file) != 0 ||
		    k[i - 1].key.line != k[i].key.line ||
		    strcmp(k[i - 1].key.name, k[i].key.name) != 0)
			(*rep)[n++] = k[i].func;
		(*group)[k[i].func] = (uint32_t)(n - 1);
	}
	*ngroups = n;
	free(k);
	return 0;
}
