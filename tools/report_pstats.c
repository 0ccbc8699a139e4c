/*
 * The pstats export: the marshal'd dictionary that Python's
 * pstats.Stats(path) loads (and so SnakeViz, gprof2dot, python -m pstats):
 *
 *   {(file, line, name): (cc, nc, tt, ct, {(file, line, name):
 *                                          (nc, cc, tt, ct), ...}), ...}
 *
 * keyed by function, the inner dictionary holding its callers.  Times are
 * in seconds, each sample weighing 1/effective_rate of its file: tt is the
 * self time, ct the inclusive time with a recursive function counted once
 * per stack.  Call counts are sample counts: cc ("primitive calls") is the
 * number of samples with the function on the stack, nc the number of its
 * frames in them (more than cc under recursion, which pstats shows as
 * "nc/cc").  A caller's entry is the same for the callee's frames directly
 * under that caller.  A Python function is (co_filename, co_firstlineno,
 * name), a native one (source file or library, 0, symbol), a pseudo-frame
 * ("~", 0, "[truncated]") like cProfile's built-ins.
 *
 * The marshal format (version 2 and later, which every Python 3 reads):
 * '{' pairs '0' for a dict, ')' count items for a small tuple, 'i' int32
 * or 'l' 15-bit digits for an int, 'g' a little-endian IEEE double, 'z'
 * (short ASCII) or 'u' (UTF-8) strings with their length.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "export.h"

/* The pstats identity of a function. */
static void
pstats_key(const struct aggregate_func *f, struct export_key *k)
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

/* Write a little-endian 32-bit integer. */
static void
pstats_u32(FILE *f, uint32_t v)
{
	fputc((int)(v & 0xff), f);
	fputc((int)((v >> 8) & 0xff), f);
	fputc((int)((v >> 16) & 0xff), f);
	fputc((int)((v >> 24) & 0xff), f);
}

/* Write a non-negative integer. */
static void
pstats_int(FILE *f, uint64_t v)
{
	uint64_t	x;
	uint32_t	ndigits = 0;

	if (v <= INT32_MAX) {
		fputc('i', f);
		pstats_u32(f, (uint32_t)v);
		return;
	}
	/* A long: its number of 15-bit digits, then the digits, low first. */
	for (x = v; x != 0; x >>= 15)
		ndigits++;
	fputc('l', f);
	pstats_u32(f, ndigits);
	for (x = v; x != 0; x >>= 15) {
		fputc((int)(x & 0xff), f);
		fputc((int)((x >> 8) & 0x7f), f);
	}
}

/* Write a float (binary, TYPE_BINARY_FLOAT). */
static void
pstats_float(FILE *f, double d)
{
	uint64_t	bits;
	int		i;

	memcpy(&bits, &d, sizeof bits);
	fputc('g', f);
	for (i = 0; i < 8; i++)
		fputc((int)((bits >> (8 * i)) & 0xff), f);
}

/* Write a string: valid UTF-8 made of it.  Return 0 or -1 if no memory. */
static int
pstats_str(FILE *f, const char *s)
{
	char	*u;
	size_t	 len, i;
	int	 ascii = 1;

	if ((u = export_utf8(s, 0)) == NULL)
		return -1;
	len = strlen(u);
	for (i = 0; i < len; i++)
		ascii = ascii && (unsigned char)u[i] < 0x80;
	if (ascii && len < 256) {
		fputc('z', f);
		fputc((int)len, f);
	} else {
		fputc('u', f);
		pstats_u32(f, (uint32_t)len);
	}
	fwrite(u, 1, len, f);
	free(u);
	return 0;
}

/* Write a function's key tuple. */
static int
pstats_func_key(FILE *f, const struct aggregate_func *fn)
{
	struct export_key	k;

	pstats_key(fn, &k);
	fputc(')', f);
	fputc(3, f);
	if (pstats_str(f, k.file) != 0)
		return -1;
	pstats_int(f, (uint64_t)(k.line < 0 ? 0 : k.line));
	return pstats_str(f, k.name);
}

/* Order edge indexes by callee, then caller. */
static int
pstats_cmp_edges(const void *a, const void *b, void *arg)
{
	const struct export_calls	*c = arg;
	const struct export_edge	*x = &c->edges[*(const uint32_t *)a];
	const struct export_edge	*y = &c->edges[*(const uint32_t *)b];

	if (x->callee != y->callee)
		return x->callee < y->callee ? -1 : 1;
	return x->caller < y->caller ? -1 : x->caller > y->caller;
}

/* Write the pstats export. */
int
report_pstats(struct report *r)
{
	const struct aggregate	*agg = r->agg;
	const struct export_edge *e;
	struct export_calls	 c;
	double			*node_s;
	uint32_t		*group = NULL, *rep = NULL, *order = NULL;
	size_t			 ngroups, g, i, k;
	int			 error = -1;

	memset(&c, 0, sizeof c);
	if ((node_s = export_node_seconds(r)) == NULL)
		return -1;
	if (export_group(agg, pstats_key, &group, &rep, &ngroups) != 0 ||
	    export_calls_make(r, node_s, group, ngroups, 0, &c) != 0)
		goto out;
	if ((order = malloc((c.nedges + 1) * sizeof *order)) == NULL)
		goto out;
	for (i = 0; i < c.nedges; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, c.nedges, sizeof *order, pstats_cmp_edges, &c);

	fputc('{', r->out);
	for (g = 0, k = 0; g < ngroups; g++) {
		if (c.total[g] == 0)
			continue;
		if (pstats_func_key(r->out, &agg->funcs[rep[g]]) != 0)
			goto out;
		fputc(')', r->out);
		fputc(5, r->out);
		pstats_int(r->out, c.total[g]);
		pstats_int(r->out, c.calls[g]);
		pstats_float(r->out, c.self_s[g]);
		pstats_float(r->out, c.total_s[g]);
		fputc('{', r->out);
		while (k < c.nedges && c.edges[order[k]].callee < g)
			k++;
		for (; k < c.nedges && c.edges[order[k]].callee == g; k++) {
			e = &c.edges[order[k]];
			if (pstats_func_key(r->out,
			    &agg->funcs[rep[e->caller]]) != 0)
				goto out;
			fputc(')', r->out);
			fputc(4, r->out);
			pstats_int(r->out, e->calls);
			pstats_int(r->out, e->samples);
			pstats_float(r->out, e->self_s);
			pstats_float(r->out, e->total_s);
		}
		fputc('0', r->out);
	}
	fputc('0', r->out);
	error = 0;

out:
	export_calls_free(&c);
	free(order);
	free(group);
	free(rep);
	free(node_s);
	return error;
}
