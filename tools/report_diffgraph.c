/*
 * The diffgraph report (--format=diffgraph --diff=BASE): a differential
 * flame graph as one self-contained SVG file, no script and no network.
 * Each frame of the new profiles' call tree is a box, root at the bottom,
 * as wide as its samples in the new profiles; its colour is the change of
 * its total share from the base: red grew, blue shrank, the stronger the
 * more (scaled to the largest change), grey about the same (under 0.1
 * point); a frame the base does not have grew from 0.  Hovering
 * over a box shows its name, place, both shares and the change.  The base
 * is matched frame by frame along the new tree, by function and line.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "viewer.h"

#define DG_WIDTH	1200.0	/* pixels of the whole width */
#define DG_FRAME	16	/* pixels per level */
#define DG_PAD		30	/* pixels above and below */
#define DG_MIN_WIDTH	0.1	/* boxes narrower are left out */
#define DG_CHAR		7.0	/* pixels per character of the labels */
#define DG_SAME		0.1	/* a change under this (points) is none */

/* Print the label of a node: "name (where)", at most max_chars. */
static void
dg_label(FILE *f, const struct aggregate *agg,
    const struct aggregate_node *node, size_t max_chars)
{
	const struct aggregate_func	*fn = &agg->funcs[node->func];
	char				 where[4096 + 32];
	size_t				 n = report_width(fn->name);

	viewer_html_cut(f, fn->name, max_chars);
	aggregate_where(fn, node->line, where, sizeof where);
	if (where[0] == '\0' || n + 3 >= max_chars)
		return;
	fputs(" (", f);
	viewer_html_cut(f, where, max_chars - n - 3);
	if (n + 3 + report_width(where) <= max_chars)
		fputc(')', f);
}

/* The fill colour of a change, given the largest change. */
static void
dg_colour(FILE *f, double change, double largest)
{
	double	v = largest > 0 ? change / largest : 0;
	int	c;

	if (change < DG_SAME && change > -DG_SAME) {
		fputs("rgb(221,221,221)", f);
		return;
	}
	c = (int)(210 - 170 * (v < 0 ? -v : v));
	if (v > 0)
		fprintf(f, "rgb(255,%d,%d)", c, c);
	else
		fprintf(f, "rgb(%d,%d,255)", c, c);
}

/* Print the box of a node at left, w pixels wide. */
static void
dg_box(struct report *r, const struct aggregate_node *node, uint32_t b,
    double change, double largest, double left, double w, int height)
{
	const struct aggregate	*agg = r->agg, *base = r->base;
	int			 y = height - DG_PAD - (int)node->depth * DG_FRAME;

	fputs("<g><title>", r->out);
	dg_label(r->out, agg, node, SIZE_MAX);
	fprintf(r->out, "\nnew: %llu samples, %.2f%%\nbase: %.2f%%\n"
	    "change: %+.2f points</title>", (unsigned long long)node->total,
	    report_percent_of(agg, node->total), b == AGGREGATE_NONE ? 0.0 :
	    report_percent_of(base, base->nodes[b].total), change);
	fprintf(r->out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
	    "height=\"%d\" fill=\"", 10 + left, y, w, DG_FRAME - 1);
	dg_colour(r->out, change, largest);
	fputs("\" rx=\"2\"/>", r->out);
	if (w >= 3 * DG_CHAR) {
		fprintf(r->out, "<text x=\"%.1f\" y=\"%d\">", 13 + left,
		    y + 11);
		dg_label(r->out, agg, node, (size_t)((w - 6) / DG_CHAR));
		fputs("</text>", r->out);
	}
	fputs("</g>\n", r->out);
}

/* Print the diffgraph report. */
int
report_diffgraph(struct report *r)
{
	const struct aggregate		*agg = r->agg, *base = r->base;
	const struct aggregate_node	*nodes = agg->nodes, *node;
	uint32_t			*fmap, *nmap, n, b;
	double				*next, *change, per, w, left;
	double				 largest = 0;
	uint32_t			 depth = 1, i;
	int				 height, error = -1;

	fmap = calloc(agg->nfuncs + 1, sizeof *fmap);
	nmap = calloc(agg->nnodes, sizeof *nmap);
	next = calloc(agg->nnodes, sizeof *next);
	change = calloc(agg->nnodes, sizeof *change);
	if (fmap == NULL || nmap == NULL || next == NULL || change == NULL)
		goto out;
	for (i = 0; i < agg->nfuncs; i++)
		fmap[i] = aggregate_find(base, &agg->funcs[i]);
	/* Parents come before their children. */
	nmap[0] = 0;
	for (i = 1; i < agg->nnodes; i++) {
		b = nmap[nodes[i].parent];
		if (b != AGGREGATE_NONE && fmap[nodes[i].func] != AGGREGATE_NONE)
			b = aggregate_find_child(base, b, fmap[nodes[i].func],
			    nodes[i].line);
		else
			b = AGGREGATE_NONE;
		nmap[i] = b;
		change[i] = report_percent_of(agg, nodes[i].total) -
		    (b == AGGREGATE_NONE ? 0 :
		    report_percent_of(base, base->nodes[b].total));
		if (change[i] > largest)
			largest = change[i];
		if (-change[i] > largest)
			largest = -change[i];
		if (nodes[i].depth > depth && nodes[i].total != 0)
			depth = nodes[i].depth;
	}

	per = agg->samples == 0 ? 0 : DG_WIDTH / (double)agg->samples;
	height = (int)depth * DG_FRAME + 2 * DG_PAD;
	fprintf(r->out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"monospace\" "
	    "font-size=\"11\">\n", (int)DG_WIDTH + 20, height,
	    (int)DG_WIDTH + 20, height);
	fprintf(r->out, "<rect width=\"100%%\" height=\"100%%\" "
	    "fill=\"#f8f8f8\"/>\n<text x=\"10\" y=\"18\" font-size=\"13\">"
	    "Differential flame graph: width = new samples (%llu), red = "
	    "grew, blue = shrank since the base (%llu samples)</text>\n",
	    (unsigned long long)agg->samples,
	    (unsigned long long)base->samples);

	/*
	 * Depth first, children in order; next[n] is where the next child of
	 * n starts: at n's left edge, then after each sibling.
	 */
	next[0] = 0;
	n = nodes[0].child;
	while (n != AGGREGATE_NONE) {
		node = &nodes[n];
		left = next[node->parent];
		w = (double)node->total * per;
		next[node->parent] += w;
		next[n] = left;
		if (w >= DG_MIN_WIDTH)
			dg_box(r, node, nmap[n], change[n], largest, left, w,
			    height);
		if (w >= DG_MIN_WIDTH && node->child != AGGREGATE_NONE) {
			n = node->child;
			continue;
		}
		while (n != 0 && nodes[n].sibling == AGGREGATE_NONE)
			n = nodes[n].parent;
		n = n == 0 ? AGGREGATE_NONE : nodes[n].sibling;
	}
	fputs("</svg>\n", r->out);
	error = 0;
out:
	free(fmap);
	free(nmap);
	free(next);
	free(change);
	return error;
}
