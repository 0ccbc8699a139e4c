/*
 * What the exporters for other viewers share (flamegraph, speedscope,
 * chrome): escaping names for JSON and HTML, telling Python frames from
 * native and interpreter frames, the samples of each thread in time order
 * and how long one sample stands for.
 */

#ifndef PYSIG_VIEWER_H
#define PYSIG_VIEWER_H

#include <stdint.h>
#include <stdio.h>

#include "aggregate.h"
#include "reader.h"

/* What a frame is, for colours and categories. */
enum viewer_kind {
	VIEWER_PYTHON,		/* a Python function */
	VIEWER_NATIVE,		/* native code outside the interpreter */
	VIEWER_INTERPRETER,	/* libpython, or a python executable */
	VIEWER_PSEUDO,		/* [truncated], [thread without Python]... */
};

/* Used when a profile gives no rate at all. */
#define VIEWER_DEFAULT_RATE	100.0

/* Write s as a JSON string, quotes included. */
void		 viewer_json_string(FILE *, const char *s);
/* Write an unsigned number in decimal, faster than fprintf. */
void		 viewer_u64(FILE *, uint64_t);
/* Write a time in nanoseconds as microseconds with three decimals. */
void		 viewer_us(FILE *, int64_t ns);
/* Write s escaped for HTML text and quoted attribute values. */
void		 viewer_html(FILE *, const char *s);
/* Write at most max characters of s for HTML, ".." ending a cut. */
void		 viewer_html_cut(FILE *, const char *s, size_t max);
/* The kind of a function. */
enum viewer_kind viewer_kind(const struct aggregate_func *);
/* The kind's name: "python", "native", "interpreter" or "pseudo". */
const char	*viewer_kind_name(enum viewer_kind);
/*
 * Samples per second of CPU (or wall) time of a profile: its
 * effective_rate, else the rate asked for, else VIEWER_DEFAULT_RATE.
 */
double		 viewer_rate(const struct reader_profile *);
/*
 * The indexes of agg->sample_list ordered by file, thread id and time (file
 * order among equal times): an allocated array, NULL if out of memory (or
 * if there are no samples: check agg->nsample_list).
 */
uint32_t	*viewer_by_thread(const struct aggregate *);
/*
 * The path of a node from the root's child down to node, as node indexes
 * into path (at most size); return its length (the node's depth).
 */
uint32_t	 viewer_path(const struct aggregate *, uint32_t node,
		     uint32_t *path, uint32_t size);
/* The deepest node's depth. */
uint32_t	 viewer_max_depth(const struct aggregate *);

#endif
