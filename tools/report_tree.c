/*
 * The tree report: the call tree from the root, one node per function and
 * line executing in it, children by total count.
 *
 *   total%  self%  function (file:line)
 *   100.0%   0.0%  <module> (/src/app.py:30)
 *    80.0%  60.0%    compute (/src/app.py:12)
 *
 * Written without recursion: a hostile profile may be millions deep.  For
 * the same reason the indentation stops growing at TREE_MAX_DEPTH levels;
 * deeper nodes say their depth instead ("[depth 1234] name").
 */

#include "config.h"

#include "report.h"

#define TREE_INDENT	2
#define TREE_MAX_DEPTH	1000

/* Print one node. */
static void
tree_node(struct report *r, const struct aggregate_node *node)
{
	static const char		 tree_spaces[256] = { [0 ... 255] = ' ' };
	const struct aggregate_func	*fn = &r->agg->funcs[node->func];
	uint32_t			 i, n;

	fprintf(r->out, "%5.1f%%  %5.1f%%  ", report_percent(r, node->total),
	    report_percent(r, node->self));
	/* One write for the indentation: a deep tree has many levels. */
	for (i = 1; i < node->depth && i <= TREE_MAX_DEPTH; i += n) {
		n = node->depth - i;
		if (n > TREE_MAX_DEPTH + 1 - i)
			n = TREE_MAX_DEPTH + 1 - i;
		if (n > sizeof tree_spaces / TREE_INDENT)
			n = sizeof tree_spaces / TREE_INDENT;
		fwrite(tree_spaces, TREE_INDENT, n, r->out);
	}
	if (node->depth > TREE_MAX_DEPTH)
		fprintf(r->out, "[depth %u] ", node->depth);
	report_text(r->out, fn->name);
	if (!fn->pseudo) {
		fputs(" (", r->out);
		report_text(r->out, fn->file);
		if (node->line >= 0)
			fprintf(r->out, ":%d)", node->line);
		else
			fputs(":?)", r->out);
	}
	fputc('\n', r->out);
}

/* Print the tree report. */
int
report_tree(struct report *r)
{
	const struct aggregate_node	*nodes = r->agg->nodes;
	uint32_t			 n;
	int				 shown;

	report_summary(r);
	fprintf(r->out, "\ntotal%%   self%%  function (file:line)\n");
	n = nodes[0].child;
	while (n != AGGREGATE_NONE) {
		shown = report_percent(r, nodes[n].total) >= r->min_percent;
		if (shown)
			tree_node(r, &nodes[n]);
		if (shown && nodes[n].child != AGGREGATE_NONE) {
			n = nodes[n].child;
			continue;
		}
		/* Next sibling, or that of the nearest ancestor with one. */
		while (n != 0 && nodes[n].sibling == AGGREGATE_NONE)
			n = nodes[n].parent;
		n = n == 0 ? AGGREGATE_NONE : nodes[n].sibling;
	}
	return 0;
}
