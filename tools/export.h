/*
 * What the exporters for other tools' viewers (pstats, callgrind, pprof)
 * share: the time a sample stands for, per-node times, and the function
 * and call-edge totals of the call tree with recursion counted once per
 * stack.
 */

#ifndef PYSIG_EXPORT_H
#define PYSIG_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"

/* One caller -> callee pair of the call tree. */
struct export_edge {
	uint32_t	caller;		/* group */
	uint32_t	callee;		/* group */
	int		line;		/* caller's line, or 0 (no lines) */
	uint64_t	calls;		/* samples through it, every frame */
	uint64_t	samples;	/* samples through it, once per stack */
	uint64_t	self;		/* samples with the callee as leaf */
	double		self_s;
	double		total_s;	/* once per stack */
};

/*
 * Totals per group of functions: the caller gives group[f] for each
 * function of the aggregate (functions that the output format cannot tell
 * apart go into one group), or NULL for one group per function.
 */
struct export_calls {
	size_t			 ngroups;
	uint64_t		*self;		/* samples with it as the leaf */
	uint64_t		*calls;		/* samples, every frame of it */
	uint64_t		*total;		/* samples, once per stack */
	double			*self_s;
	double			*total_s;	/* once per stack */
	struct export_edge	*edges;		/* in the order found */
	size_t			 nedges;
};

/*
 * Seconds one count of the aggregate stands for in a profile: a timer
 * period, 1/rate, when its samples carry their weights (format 1.2);
 * otherwise 1/effective_rate from its STATS or TRAILER, else 1/rate; 0 if
 * neither is known.
 */
double		 export_period(const struct reader_profile *);
/*
 * Self seconds of every node of the report's aggregate (an allocated array
 * of nnodes entries), each sample weighing its own file's period; NULL if
 * out of memory.  Files of different periods need the aggregate's
 * sample list (keep_samples).
 */
double		*export_node_seconds(const struct report *);
/*
 * Walk the call tree and fill calls; with lines, edges are told apart by
 * the line of the caller too.  Return 0 or -1 if out of memory.
 */
int		 export_calls_make(const struct report *, const double *node_s,
		     const uint32_t *group, size_t ngroups, int lines,
		     struct export_calls *);
/* Free what export_calls_make() allocated. */
void		 export_calls_free(struct export_calls *);
/*
 * A copy of s as valid UTF-8: bytes that are not part of a valid sequence
 * become U+FFFD; with control set, control characters (and DEL) become '?'.
 * NULL if out of memory.
 */
char		*export_utf8(const char *s, int control);
/*
 * Gives a function's identity in an output format: its file, line and
 * name, pointing into the aggregate or to constants.
 */
struct export_key {
	const char	*file;
	int		 line;
	const char	*name;
};
/*
 * Group the aggregate's functions by key: *group gets each function's
 * group (allocated, nfuncs entries), *rep each group's first function
 * (allocated), *ngroups their number.  Return 0 or -1 if out of memory.
 */
int		 export_group(const struct aggregate *,
		     void (*)(const struct aggregate_func *,
		     struct export_key *), uint32_t **group, uint32_t **rep,
		     size_t *ngroups);
/* A header value of the first profile that has it, or NULL. */
const char	*export_header(const struct report *, const char *key);

#endif
