/*
 * pysig-report: what the output formats share.  Each format is one file,
 * report_<format>.c, with one function that writes the whole report.
 */

#ifndef PYSIG_REPORT_H
#define PYSIG_REPORT_H

#include <stdio.h>

#include "aggregate.h"
#include "reader.h"

struct report {
	FILE			 *out;
	struct reader_profile	**profiles;
	size_t			  nprofiles;
	struct aggregate	 *agg;		/* all profiles, finished */
	struct aggregate	 *base;		/* --diff: the base, or NULL */
	size_t			  limit;	/* top, lines: rows, 0 for all */
	double			  min_percent;	/* smallest row or node shown */
	int			  icicle;	/* flamegraph: root at the top */
	int			  frame_args;	/* chrome: category, location */
};

/* The formats; each returns 0, or -1 if out of memory. */
int	report_top(struct report *);
int	report_tree(struct report *);
int	report_collapsed(struct report *);
int	report_info(struct report *);
/* --lines: the hottest lines, their source quoted. */
int	report_lines(struct report *);
/* --diff: top, collapsed and a flame graph comparing r->agg with r->base. */
int	report_diff_top(struct report *);
int	report_diff_collapsed(struct report *);
int	report_diffgraph(struct report *);
int	report_pstats(struct report *);
int	report_callgrind(struct report *);
int	report_pprof(struct report *);
int	report_flamegraph(struct report *);
int	report_speedscope(struct report *);
int	report_chrome(struct report *);

/* Print a string with control characters shown as '?'. */
void	report_text(FILE *, const char *);
/* The number of characters (not bytes) of a UTF-8 string. */
size_t	report_width(const char *);
/* Print the one-line summary of an aggregate: files, samples, duration. */
void	report_summary(struct report *);
void	report_summary_of(FILE *, const struct aggregate *);
/* A count as a percentage of all samples (of agg). */
double	report_percent(const struct report *, uint64_t);
double	report_percent_of(const struct aggregate *, uint64_t);

#endif
