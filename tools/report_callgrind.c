/*
 * The callgrind export, for KCacheGrind (and callgrind_annotate):
 *
 *   # callgrind format
 *   version: 1
 *   creator: pysig-report 0.1.0
 *   cmd: python3 app.py
 *   positions: line
 *   event: Samples : Samples
 *   event: ns : CPU time (ns)
 *   events: Samples ns
 *   summary: 1200 12000000000
 *
 *   fl=(1) /src/app.py
 *   fn=(1) compute
 *   12 750 7500000000            self cost at line 12
 *   cfl=(1)
 *   cfn=(2) helper
 *   calls=40 20                  40 samples through the call, helper at 20
 *   13 40 400000000              the inclusive cost of that call, at 13
 *
 * Each function is a block of cost lines (the line executing, its self
 * samples and nanoseconds) and calls: one per callee and line of the
 * caller, with the samples through it as the number of calls and its
 * inclusive cost, a recursive call counted once per stack.  Files and
 * names are written once with an id, "(id)" alone afterwards.  A native
 * function's file is its source file or its library, a pseudo-frame's
 * "~".  Functions of one name in one file (before 3.11, methods of two
 * classes) are told apart as "name:firstline".  Names and files are made
 * valid UTF-8 without control characters, so that each stays on its line.
 */

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"

/* Self cost of one line of a function. */
struct callgrind_cost {
	uint32_t	group;
	int		line;
	uint64_t	samples;
	double		seconds;
};

/* What the writer needs. */
struct callgrind {
	FILE		*out;
	const struct aggregate *agg;
	uint32_t	*rep;		/* a function of each group */
	uint32_t	*file_id;	/* file id of each group */
	uint8_t		*file_seen;	/* per group: its file was written */
	uint8_t		*name_seen;	/* per group: its name was written */
	uint8_t		*name_line;	/* per group: name it "name:line" */
	int		 time;		/* a time event */
};

/* The callgrind identity of a function. */
static void
callgrind_key(const struct aggregate_func *f, struct export_key *k)
{
	k->name = f->name;
	if (f->pseudo) {
		k->file = "~";
		k->line = 0;
	} else if (f->native) {
		k->file = f->file[0] != '\0' ? f->file : f->module;
		k->line = 0;
	} else {
		k->file = f->file;
		k->line = f->firstlineno;
	}
}

/* Write text on one line: valid UTF-8, no control characters. */
static int
callgrind_text(FILE *f, const char *s)
{
	char	*u;

	if ((u = export_utf8(s, 1)) == NULL)
		return -1;
	fputs(u, f);
	free(u);
	return 0;
}

/* Write "fl=(id) file" (or "cfl="), the file only the first time. */
static int
callgrind_file(struct callgrind *cg, const char *what, uint32_t g)
{
	struct export_key	k;
	uint32_t		id = cg->file_id[g];

	fprintf(cg->out, "%s=(%u)", what, id + 1);
	/* Groups of one file share the id: mark it on the first of them. */
	if (!cg->file_seen[id]) {
		cg->file_seen[id] = 1;
		callgrind_key(&cg->agg->funcs[cg->rep[g]], &k);
		fputc(' ', cg->out);
		if (callgrind_text(cg->out, k.file) != 0)
			return -1;
	}
	fputc('\n', cg->out);
	return 0;
}

/* Write "fn=(id) name" (or "cfn="), the name only the first time. */
static int
callgrind_name(struct callgrind *cg, const char *what, uint32_t g)
{
	struct export_key	k;

	fprintf(cg->out, "%s=(%u)", what, g + 1);
	if (!cg->name_seen[g]) {
		cg->name_seen[g] = 1;
		fputc(' ', cg->out);
		callgrind_key(&cg->agg->funcs[cg->rep[g]], &k);
		if (callgrind_text(cg->out, k.name) != 0)
			return -1;
		if (cg->name_line[g])
			fprintf(cg->out, ":%d", k.line);
	}
	fputc('\n', cg->out);
	return 0;
}

/* Nanoseconds of a time in seconds. */
static unsigned long long
callgrind_ns(double s)
{
	return s > 0 ? (unsigned long long)llround(s * 1e9) : 0;
}

/* Write a cost line: position, samples and (with time) nanoseconds. */
static void
callgrind_cost_line(struct callgrind *cg, int line, uint64_t samples,
    double seconds)
{
	fprintf(cg->out, "%d %llu", line > 0 ? line : 0,
	    (unsigned long long)samples);
	if (cg->time)
		fprintf(cg->out, " %llu", callgrind_ns(seconds));
	fputc('\n', cg->out);
}

/* Order group indexes by file and name (the groups' array is arg). */
static int
callgrind_cmp_names(const void *a, const void *b, void *arg)
{
	const struct callgrind	*cg = arg;
	struct export_key	 x, y;
	int			 c;

	callgrind_key(&cg->agg->funcs[cg->rep[*(const uint32_t *)a]], &x);
	callgrind_key(&cg->agg->funcs[cg->rep[*(const uint32_t *)b]], &y);
	if ((c = strcmp(x.file, y.file)) != 0)
		return c;
	return strcmp(x.name, y.name);
}

/*
 * Mark the groups whose file and name are another's (Python functions of
 * one name in one file, such as two classes' __init__ before 3.11's
 * qualified names): viewers key functions by file and name, so these are
 * written "name:firstline".  Return 0 or -1 if out of memory.
 */
static int
callgrind_same_names(struct callgrind *cg, size_t ngroups)
{
	uint32_t	*order;
	size_t		 i;

	if ((order = malloc((ngroups + 1) * sizeof *order)) == NULL)
		return -1;
	for (i = 0; i < ngroups; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, ngroups, sizeof *order, callgrind_cmp_names, cg);
	for (i = 1; i < ngroups; i++) {
		if (callgrind_cmp_names(&order[i - 1], &order[i], cg) == 0)
			cg->name_line[order[i - 1]] = cg->name_line[order[i]] = 1;
	}
	free(order);
	return 0;
}

/* Order costs by group, then line. */
static int
callgrind_cmp_costs(const void *a, const void *b)
{
	const struct callgrind_cost	*x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Order edges by caller, line, callee. */
static int
callgrind_cmp_edges(const void *a, const void *b)
{
	const struct export_edge	*x = a, *y = b;

	if (x->caller != y->caller)
		return x->caller < y->caller ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->callee < y->callee ? -1 : x->callee > y->callee;
}

/* Write the header: creator, command, events and summary. */
static int
callgrind_header(struct callgrind *cg, const struct report *r,
    uint64_t samples, unsigned long long ns)
{
	const struct reader_kvlist	*h;
	const char			*mode;
	size_t				 i;

	fprintf(cg->out, "# callgrind format\nversion: 1\n"
	    "creator: pysig-report %s\n", PACKAGE_VERSION);
	if (r->nprofiles != 0) {
		h = &r->profiles[0]->header;
		fputs("cmd:", cg->out);
		for (i = 0; i < h->n; i++) {
			if (strcmp(h->pairs[i].key, "arg") != 0)
				continue;
			fputc(' ', cg->out);
			if (callgrind_text(cg->out, h->pairs[i].value) != 0)
				return -1;
		}
		fputc('\n', cg->out);
		if (r->nprofiles == 1 &&
		    (mode = reader_kv_get(h, "pid")) != NULL &&
		    strspn(mode, "0123456789") == strlen(mode) && *mode != '\0')
			fprintf(cg->out, "pid: %s\n", mode);
	}
	mode = export_header(r, "mode");
	fputs("positions: line\nevent: Samples : Samples\n", cg->out);
	if (cg->time)
		fprintf(cg->out, "event: ns : %s time (ns)\n",
		    mode != NULL && strcmp(mode, "wall") == 0 ? "Wall" : "CPU");
	fprintf(cg->out, "events: Samples%s\nsummary: %llu", cg->time ?
	    " ns" : "", (unsigned long long)samples);
	if (cg->time)
		fprintf(cg->out, " %llu", ns);
	fputs("\n\n", cg->out);
	return 0;
}

/* Write the callgrind export. */
int
report_callgrind(struct report *r)
{
	const struct aggregate		*agg = r->agg;
	const struct aggregate_node	*nd;
	const struct export_edge	*e;
	struct callgrind		 cg;
	struct callgrind_cost		*costs = NULL;
	struct export_calls		 c;
	struct export_key		 k, pk;
	double				*node_s;
	uint32_t			*group = NULL, g;
	size_t				 ngroups, ncosts = 0, i, j, ie;
	uint64_t			 samples = 0;
	unsigned long long		 ns = 0;
	int				 error = -1;

	memset(&c, 0, sizeof c);
	memset(&cg, 0, sizeof cg);
	cg.out = r->out;
	cg.agg = agg;
	for (i = 0; i < r->nprofiles; i++)
		cg.time = cg.time || export_period(r->profiles[i]) > 0;
	if ((node_s = export_node_seconds(r)) == NULL)
		return -1;
	if (export_group(agg, callgrind_key, &group, &cg.rep, &ngroups) != 0 ||
	    export_calls_make(r, node_s, group, ngroups, 1, &c) != 0)
		goto out;
	cg.file_id = calloc(ngroups + 1, sizeof *cg.file_id);
	cg.file_seen = calloc(ngroups + 1, 1);
	cg.name_seen = calloc(ngroups + 1, 1);
	cg.name_line = calloc(ngroups + 1, 1);
	costs = calloc(agg->nnodes + 1, sizeof *costs);
	if (cg.file_id == NULL || cg.file_seen == NULL ||
	    cg.name_seen == NULL || cg.name_line == NULL || costs == NULL ||
	    callgrind_same_names(&cg, ngroups) != 0)
		goto out;
	/* Groups are sorted by file: one id per run of the same file. */
	pk.file = "";
	for (g = 0; g < ngroups; g++) {
		callgrind_key(&agg->funcs[cg.rep[g]], &k);
		cg.file_id[g] = g == 0 ? 0 : cg.file_id[g - 1] +
		    (strcmp(k.file, pk.file) != 0);
		pk = k;
	}

	/* Self costs per function and line, summed over the tree. */
	for (i = 1; i < agg->nnodes; i++) {
		nd = &agg->nodes[i];
		if (nd->self == 0)
			continue;
		costs[ncosts].group = group[nd->func];
		costs[ncosts].line = nd->line > 0 ? nd->line : 0;
		costs[ncosts].samples = nd->self;
		costs[ncosts++].seconds = node_s[i];
	}
	qsort(costs, ncosts, sizeof *costs, callgrind_cmp_costs);
	for (i = 0, j = 0; i < ncosts; i++) {
		if (j != 0 && callgrind_cmp_costs(&costs[j - 1], &costs[i]) == 0) {
			costs[j - 1].samples += costs[i].samples;
			costs[j - 1].seconds += costs[i].seconds;
		} else
			costs[j++] = costs[i];
	}
	ncosts = j;
	for (i = 0; i < ncosts; i++) {
		samples += costs[i].samples;
		ns += callgrind_ns(costs[i].seconds);
	}
	/* No calls: no array (qsort wants one even for none). */
	if (c.nedges != 0)
		qsort(c.edges, c.nedges, sizeof *c.edges,
		    callgrind_cmp_edges);
	if (callgrind_header(&cg, r, samples, ns) != 0)
		goto out;

	for (g = 0, i = 0, ie = 0; g < ngroups; g++) {
		if (c.total[g] == 0)
			continue;
		if (callgrind_file(&cg, "fl", g) != 0 ||
		    callgrind_name(&cg, "fn", g) != 0)
			goto out;
		for (; i < ncosts && costs[i].group == g; i++)
			callgrind_cost_line(&cg, costs[i].line,
			    costs[i].samples, costs[i].seconds);
		for (; ie < c.nedges && c.edges[ie].caller == g; ie++) {
			e = &c.edges[ie];
			if (e->samples == 0)
				continue;
			callgrind_key(&agg->funcs[cg.rep[e->callee]], &k);
			if (callgrind_file(&cg, "cfl", e->callee) != 0 ||
			    callgrind_name(&cg, "cfn", e->callee) != 0)
				goto out;
			fprintf(cg.out, "calls=%llu %d\n",
			    (unsigned long long)e->samples,
			    k.line > 0 ? k.line : 0);
			callgrind_cost_line(&cg, e->line, e->samples,
			    e->total_s);
		}
		fputc('\n', cg.out);
	}
	fprintf(cg.out, "totals: %llu", (unsigned long long)samples);
	if (cg.time)
		fprintf(cg.out, " %llu", ns);
	fputc('\n', cg.out);
	error = 0;

out:
	export_calls_free(&c);
	free(costs);
	free(cg.file_id);
	free(cg.file_seen);
	free(cg.name_seen);
	free(cg.name_line);
	free(cg.rep);
	free(group);
	free(node_s);
	return error;
}
