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
/* Room for a time from viewer_us_text: "-9223372036854775.808". */
#define VIEWER_US_MAX	24
/* Format ns as microseconds, up to three decimals; return the length. */
size_t		 viewer_us_text(char *buf, int64_t ns);
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
 * A walk from sample to sample: the path of the last node walked from the
 * root's child down, as nodes and as their functions.  Consecutive samples
 * of a thread mostly share the top of their stacks, and only the frames
 * below the last common node are looked up again.
 */
struct viewer_walk {
	uint32_t		*parent;	/* per node: its parent, */
	uint32_t		*node_func;	/* function, */
	uint32_t		*node_depth;	/* and depth, packed */
	uint32_t		*node;	/* the path, root's child first */
	uint32_t		*func;	/* their functions */
	uint32_t		 size;	/* the deepest node's depth */
	uint32_t		 depth;	/* entries in the path */
	uint32_t		 same;	/* entries the last step kept */
};

/* Start a walk; -1 if out of memory. */
int		 viewer_walk_init(struct viewer_walk *,
		     const struct aggregate *);
/* Walk to node and return its depth; the path's first w->same stay. */
uint32_t	 viewer_walk_to(struct viewer_walk *, uint32_t node);
/* Free what a walk holds. */
void		 viewer_walk_free(struct viewer_walk *);

#endif
