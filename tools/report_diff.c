/*
 * --diff: the profiles given (new, r->agg) against a base (r->base), each
 * counted in percentages of its own samples, so that profiles of different
 * lengths or rates compare.
 *
 * top: one row per function sampled in either, sorted by the size of the
 * change of its self%, then of its total%:
 *
 *   base: 1 file, 1000 samples, 2.000 s
 *   new:  1 file, 1200 samples, 2.400 s
 *
 *   self%: base     new  change   total%: base     new  change  function ...
 *          60.0%   10.0%  -50.0          60.0%   10.0%  -50.0  phase_a  ...
 *
 * collapsed: "stack base new" per stack of either (difffolded.pl's output,
 * the input of flamegraph.pl and inferno-flamegraph for a differential
 * flame graph), base counts scaled to the new total, as difffolded.pl -n
 * does, so that a stack whose share did not change has equal counts.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "report.h"

#define DIFF_MAX_NAME_WIDTH	60

/* A function and its counts in both. */
struct diff_row {
	const struct aggregate_func	*fn;
	uint64_t			 base_self;
	uint64_t			 base_total;
	uint64_t			 new_self;
	uint64_t			 new_total;
	double				 change;	/* self%, new - base */
	double				 total_change;
};

/* The larger absolute value first. */
static int
diff_cmp_abs(double x, double y)
{
	x = x < 0 ? -x : x;
	y = y < 0 ? -y : y;
	if (x != y)
		return x > y ? -1 : 1;
	return 0;
}

/* Order rows: largest change of self%, then total%, then name and file. */
static int
diff_cmp_rows(const void *a, const void *b)
{
	const struct diff_row	*x = a, *y = b;
	int			 r;

	if ((r = diff_cmp_abs(x->change, y->change)) != 0)
		return r;
	if ((r = diff_cmp_abs(x->total_change, y->total_change)) != 0)
		return r;
	if ((r = strcmp(x->fn->name, y->fn->name)) != 0)
		return r;
	if ((r = strcmp(x->fn->file, y->fn->file)) != 0)
		return r;
	if (x->fn->firstlineno != y->fn->firstlineno)
		return x->fn->firstlineno < y->fn->firstlineno ? -1 : 1;
	return strcmp(x->fn->module, y->fn->module);
}

/* Print where a function is: file:first line, or its object file. */
static void
diff_where(FILE *f, const struct aggregate_func *fn)
{
	char	where[4096 + 32];

	if (fn->pseudo) {
		fputc('-', f);
		return;
	}
	if (!fn->native) {
		report_text(f, fn->file);
		fprintf(f, ":%d", fn->firstlineno);
		return;
	}
	aggregate_where(fn, -1, where, sizeof where);
	report_text(f, where);
}

/* Print the top report of the differences. */
int
report_diff_top(struct report *r)
{
	const struct aggregate	*agg = r->agg, *base = r->base;
	const struct aggregate_func *fn;
	struct diff_row		*rows, *row;
	size_t			 n = 0, shown, i, w, width = strlen("function");
	uint32_t		 k;

	if ((rows = calloc(agg->nfuncs + base->nfuncs + 1,
	    sizeof *rows)) == NULL)
		return -1;
	for (i = 0; i < agg->nfuncs; i++) {
		fn = &agg->funcs[i];
		if (fn->total == 0)
			continue;
		row = &rows[n++];
		row->fn = fn;
		row->new_self = fn->self;
		row->new_total = fn->total;
		if ((k = aggregate_find(base, fn)) != AGGREGATE_NONE) {
			row->base_self = base->funcs[k].self;
			row->base_total = base->funcs[k].total;
		}
	}
	for (i = 0; i < base->nfuncs; i++) {
		fn = &base->funcs[i];
		if (fn->total == 0 || ((k = aggregate_find(agg, fn)) !=
		    AGGREGATE_NONE && agg->funcs[k].total != 0))
			continue;
		row = &rows[n++];
		row->fn = fn;
		row->base_self = fn->self;
		row->base_total = fn->total;
	}
	for (i = 0; i < n; i++) {
		rows[i].change = report_percent_of(agg, rows[i].new_self) -
		    report_percent_of(base, rows[i].base_self);
		rows[i].total_change = report_percent_of(agg,
		    rows[i].new_total) - report_percent_of(base,
		    rows[i].base_total);
	}
	qsort(rows, n, sizeof *rows, diff_cmp_rows);

	/* --min-percent: rows with that much self% in either profile. */
	for (i = 0, shown = 0; i < n; i++) {
		if (report_percent_of(agg, rows[i].new_self) >=
		    r->min_percent || report_percent_of(base,
		    rows[i].base_self) >= r->min_percent)
			rows[shown++] = rows[i];
	}
	n = shown;
	if (r->limit != 0 && shown > r->limit)
		shown = r->limit;
	for (i = 0; i < shown; i++) {
		w = report_width(rows[i].fn->name);
		if (w > width)
			width = w > DIFF_MAX_NAME_WIDTH ? DIFF_MAX_NAME_WIDTH : w;
	}

	fputs("base: ", r->out);
	report_summary_of(r->out, base);
	fputs("new:  ", r->out);
	report_summary_of(r->out, agg);
	fprintf(r->out, "\nself%%: base     new  change   total%%: base     "
	    "new  change  %-*s  file:line\n", (int)width, "function");
	for (i = 0; i < shown; i++) {
		row = &rows[i];
		fprintf(r->out, "     %6.1f%%  %5.1f%%  %+6.1f         "
		    "%6.1f%%  %5.1f%%  %+6.1f  ",
		    report_percent_of(base, row->base_self),
		    report_percent_of(agg, row->new_self), row->change,
		    report_percent_of(base, row->base_total),
		    report_percent_of(agg, row->new_total), row->total_change);
		report_text(r->out, row->fn->name);
		for (w = report_width(row->fn->name); w < width; w++)
			fputc(' ', r->out);
		fputs("  ", r->out);
		diff_where(r->out, row->fn);
		fputc('\n', r->out);
	}
	if (n > shown)
		fprintf(r->out, "(%zu more functions; -n 0 shows all)\n",
		    n - shown);
	free(rows);
	return 0;
}

/*
 * The base's stacks matched against the new ones: counts per new line, and
 * the base's stacks that are not among them.  The base is read one line at
 * a time so that only one side's texts are held in memory, and looked up
 * in a hash table of the new lines: deep stacks share long prefixes, which
 * a binary search would compare again and again.
 */
struct diff_match {
	const struct aggregate_line	*lines;		/* new, sorted */
	size_t				 n;
	uint64_t			*base;		/* per new line */
	size_t				*slots;		/* line + 1, 0 free */
	size_t				 nslots;	/* a power of two */
	struct aggregate_line		*extra;		/* base only */
	size_t				 nextra;
	size_t				 extra_size;
};

/* Hash a line's text (FNV-1a). */
static uint64_t
diff_hash(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	while (*s != '\0') {
		h ^= (uint8_t)*s++;
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

/* Index the new lines by text; 0 or -1 if out of memory. */
static int
diff_match_index(struct diff_match *m)
{
	size_t	i, j;

	for (m->nslots = 64; m->nslots < m->n * 2; m->nslots *= 2)
		;
	if ((m->slots = calloc(m->nslots, sizeof *m->slots)) == NULL)
		return -1;
	for (i = 0; i < m->n; i++) {
		for (j = diff_hash(m->lines[i].text) & (m->nslots - 1);
		    m->slots[j] != 0; j = (j + 1) & (m->nslots - 1))
			;
		m->slots[j] = i + 1;
	}
	return 0;
}

/* Count a line of the base. */
static int
diff_match_line(void *arg, const char *text, uint64_t count)
{
	struct diff_match	*m = arg;
	struct aggregate_line	*extra;
	size_t			 j;

	for (j = diff_hash(text) & (m->nslots - 1); m->slots[j] != 0;
	    j = (j + 1) & (m->nslots - 1)) {
		if (strcmp(m->lines[m->slots[j] - 1].text, text) == 0) {
			m->base[m->slots[j] - 1] += count;
			return 0;
		}
	}
	if (m->nextra == m->extra_size) {
		m->extra_size = m->extra_size == 0 ? 64 : m->extra_size * 2;
		extra = realloc(m->extra, m->extra_size * sizeof *extra);
		if (extra == NULL)
			return -1;
		m->extra = extra;
	}
	if ((m->extra[m->nextra].text = strdup(text)) == NULL)
		return -1;
	m->extra[m->nextra++].count = count;
	return 0;
}

/* Print a line of both unless --min-percent leaves it out. */
static void
diff_collapsed_line(struct report *r, const char *text, uint64_t b,
    uint64_t n, double scale)
{
	uint64_t	scaled = (uint64_t)((double)b * scale + 0.5);

	if (report_percent_of(r->base, b) < r->min_percent &&
	    report_percent_of(r->agg, n) < r->min_percent)
		return;
	if (scaled == 0 && n == 0)
		return;
	fprintf(r->out, "%s %llu %llu\n", text, (unsigned long long)scaled,
	    (unsigned long long)n);
}

/* Print the collapsed report of both: "stack base new". */
int
report_diff_collapsed(struct report *r)
{
	const struct aggregate	*agg = r->agg, *base = r->base;
	struct aggregate_line	*nl;
	struct diff_match	 m;
	size_t			 nn, i = 0, j = 0;
	double			 scale = 1.0;
	int			 error = -1;

	if (aggregate_collapsed(agg, &nl, &nn) != 0)
		return -1;
	memset(&m, 0, sizeof m);
	m.lines = nl;
	m.n = nn;
	if ((m.base = calloc(nn + 1, sizeof *m.base)) == NULL ||
	    diff_match_index(&m) != 0 ||
	    aggregate_collapsed_each(base, diff_match_line, &m) != 0)
		goto out;
	m.nextra = aggregate_lines_merge(m.extra, m.nextra);
	if (base->samples != 0 && agg->samples != 0)
		scale = (double)agg->samples / (double)base->samples;
	/* Both sorted by text, and no text in both: merge them. */
	while (i < m.nextra || j < nn) {
		if (j == nn || (i < m.nextra &&
		    strcmp(m.extra[i].text, nl[j].text) < 0)) {
			diff_collapsed_line(r, m.extra[i].text,
			    m.extra[i].count, 0, scale);
			i++;
		} else {
			diff_collapsed_line(r, nl[j].text, m.base[j],
			    nl[j].count, scale);
			j++;
		}
	}
	error = 0;
out:
	aggregate_lines_free(nl, nn);
	aggregate_lines_free(m.extra, m.nextra);
	free(m.base);
	free(m.slots);
	return error;
}
