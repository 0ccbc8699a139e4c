/*
 * The collapsed report ("folded stacks"): one line per distinct stack,
 * root first, frames joined by ';', a space and the sample count:
 *
 *   <module> (app.py:30);main (app.py:22);compute (app.py:12) 750
 *
 * for flamegraph.pl, speedscope and inferno.  Lines are sorted by text;
 * aggregate_collapsed() keeps names from breaking the format.  With
 * --min-percent, stacks with fewer samples are left out.
 */

#include "config.h"

#include "report.h"

/* Print the collapsed report. */
int
report_collapsed(struct report *r)
{
	struct aggregate_line	*lines;
	size_t			 n, i;

	if (aggregate_collapsed(r->agg, &lines, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (report_percent(r, lines[i].count) < r->min_percent)
			continue;
		fprintf(r->out, "%s %llu\n", lines[i].text,
		    (unsigned long long)lines[i].count);
	}
	aggregate_lines_free(lines, n);
	return 0;
}
