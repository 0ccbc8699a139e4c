/*
 * The top report: functions sorted by self samples.
 *
 *   1 file, 1200 samples, 1.204 s
 *
 *    self%  total%   samples  function  file:line
 *    62.5%   62.5%       750  compute   /src/app.py:10
 *
 * file:line is where the function starts (a native function: its source
 * or object file); samples counts self samples.
 * Functions the filters left without samples, and with --min-percent
 * those whose self% is below it, are left out.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "report.h"

#define TOP_MAX_NAME_WIDTH	60

/*
 * Print the file:line column of a function; a native function has no
 * first line: its source file (DWARF) or object file.
 */
static void
top_where(FILE *f, const struct aggregate_func *fn)
{
	char	where[4096 + 32];

	if (fn->pseudo) {
		fputc('-', f);
		return;
	}
	if (fn->native) {
		aggregate_where(fn, -1, where, sizeof where);
		report_text(f, where);
		return;
	}
	report_text(f, fn->file);
	fprintf(f, ":%d", fn->firstlineno);
}

/* Print the top report. */
int
report_top(struct report *r)
{
	const struct aggregate		*agg = r->agg;
	const struct aggregate_func	*fn;
	uint32_t			*order;
	size_t				 n, i, w, width = strlen("function");
	size_t				 rows = 0;

	if ((order = aggregate_by_self(agg)) == NULL)
		return -1;
	/*
	 * By self, then total: functions the filters left without samples
	 * come last, and those below --min-percent before them.
	 */
	for (rows = 0; rows < agg->nfuncs &&
	    agg->funcs[order[rows]].total != 0; rows++)
		;
	for (n = 0; n < rows && report_percent(r,
	    agg->funcs[order[n]].self) >= r->min_percent; n++)
		;
	if (r->limit != 0 && n > r->limit)
		n = r->limit;
	for (i = 0; i < n; i++) {
		w = report_width(agg->funcs[order[i]].name);
		if (w > width)
			width = w > TOP_MAX_NAME_WIDTH ? TOP_MAX_NAME_WIDTH : w;
	}

	report_summary(r);
	fprintf(r->out, "\n  self%%  total%%   samples  %-*s  file:line\n",
	    (int)width, "function");
	for (i = 0; i < n; i++) {
		fn = &agg->funcs[order[i]];
		fprintf(r->out, "%6.1f%%  %5.1f%%  %8llu  ",
		    report_percent(r, fn->self), report_percent(r, fn->total),
		    (unsigned long long)fn->self);
		report_text(r->out, fn->name);
		for (w = report_width(fn->name); w < width; w++)
			fputc(' ', r->out);
		fputs("  ", r->out);
		top_where(r->out, fn);
		fputc('\n', r->out);
	}
	if (rows > n)
		fprintf(r->out, "(%zu more functions; -n 0%s shows all)\n",
		    rows - n, r->min_percent > 0 ? " --min-percent=0" : "");
	free(order);
	return 0;
}
