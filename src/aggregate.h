/*
 * Aggregation of profiles into what the reports show: functions with their
 * self and total sample counts, and the call tree.  A function is its
 * (name, file, first line), whichever code ids and files it came from; a
 * tree node is a function and the line executing in it, under its caller's
 * node.  Samples with no Python frame to show get a pseudo-frame:
 *
 *   [thread without Python]  the thread had no Python thread state
 *   [no Python frames]       a Python thread with an empty stack
 *   [truncated]              root side of a stack cut at max_depth
 *   [invalid frame]          root side of a stack whose walk stopped at a
 *                            frame that failed validation or faulted
 *
 * With per_process, every stack has a root frame "[process PID ARGS...]";
 * with per_thread, a root frame (under the process's) "[thread TID NAME]"
 * (the Python thread name if known, else the OS name).
 *
 * [truncated] and [invalid frame] sit above (root side of) the frames that
 * were kept, [truncated] first when a stack has both.
 *
 * With native stacks (format 1.1), the mixed view merges each sample's
 * native and Python stacks (merge.h): native frames are symbolized
 * (symbol.h), one address giving the functions inlined there too, and the
 * interpreter's call plumbing between frames shown is folded away unless
 * asked for.  A native function is its (name, source file, object file):
 *
 *   [unknown]                an address no symbol covers
 *   [no native stack]        --native-only, a sample without one
 *
 * Filters choose the samples every report sees, before anything is
 * counted: a time window (since_us, until_us), then focus and exclude
 * regular expressions tried on each frame of a stack's path as the reports
 * show it (merged and folded): its function name, its "file:line" (native:
 * "file.c:line" or the object file) and, native, its object file.  A sample
 * is kept if its stack has a frame matching any focus expression (or there
 * is none) and no frame matching any exclude expression; a kept stack is
 * kept whole.  Percentages are of the samples kept.
 */

#ifndef PYSIG_AGGREGATE_H
#define PYSIG_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "reader.h"

#define AGGREGATE_NONE		UINT32_MAX

#define AGGREGATE_NOPY		"[thread without Python]"
#define AGGREGATE_EMPTY		"[no Python frames]"
#define AGGREGATE_TRUNCATED	"[truncated]"
#define AGGREGATE_INVALID	"[invalid frame]"
#define AGGREGATE_ENTERING	"[entering Python]"
#define AGGREGATE_UNKNOWN	"[unknown]"
#define AGGREGATE_NO_NATIVE	"[no native stack]"

/* Which stacks the reports show. */
enum aggregate_view {
	AGGREGATE_VIEW_MIXED,	/* merged where there is a native stack */
	AGGREGATE_VIEW_PYTHON,	/* Python frames only */
	AGGREGATE_VIEW_NATIVE,	/* native frames only */
};

struct aggregate_func {
	char		*name;
	char		*file;		/* "" for a pseudo-frame or no DWARF */
	char		*module;	/* native: object file's basename, or "" */
	int		 firstlineno;	/* 0 for native functions */
	int		 pseudo;	/* one of the [bracketed] frames */
	int		 native;	/* a native function */
	uint64_t	 self;		/* samples with it as the leaf */
	uint64_t	 total;		/* samples with it anywhere, once */
};

struct aggregate_node {
	uint32_t	func;		/* AGGREGATE_NONE for the root */
	int		line;		/* line executing there, -1 unknown */
	uint32_t	parent;		/* AGGREGATE_NONE for the root */
	uint32_t	depth;		/* 0 for the root */
	uint32_t	child;		/* first child (aggregate_finish) */
	uint32_t	sibling;	/* next sibling (aggregate_finish) */
	/*
	 * Native frames: the address of the sample that made the node (the
	 * interrupted instruction at the leaf, a return address above), and
	 * whether the function was inlined into its parent's at that
	 * address.  0 for other frames.
	 */
	int		inlined;
	uint64_t	addr;
	uint64_t	self;
	uint64_t	total;
};

/*
 * One sample, in file order within each profile, profiles in the order
 * added: what the time-line formats (chrome, speedscope) and time windows
 * need.  Kept only with the keep_samples option.
 */
struct aggregate_sample {	/* 32 bytes: there may be millions */
	int64_t		time_us;	/* since that profile's start_mono_ns */
	uint64_t	weight_ns;	/* time it stands for, 0 unknown (1.2) */
	uint32_t	file;		/* profile, in the order added */
	uint32_t	tid;		/* Linux thread id */
	uint32_t	node;		/* leaf node of its stack */
	unsigned int	flags;		/* SAMPLE_* (format.h, 1.2) */
};

/* Self samples of one line of one function (aggregate_hot_lines). */
struct aggregate_hot {
	uint32_t	func;
	int		line;		/* -1 unknown */
	uint64_t	self;
};

/* A line of the collapsed (folded) stack output. */
struct aggregate_line {
	char		*text;		/* root;...;leaf */
	uint64_t	 count;
};

struct aggregate_index;

struct aggregate {
	/* Options: set before the first aggregate_add(). */
	enum aggregate_view	 view;
	int			 no_fold;	/* keep the call plumbing */
	const char		*debug_dirs;	/* NULL: elfutils' default */
	int			 keep_samples;	/* fill sample_list */
	/*
	 * The time window, in µs from each profile's start_mono_ns: samples
	 * at since_us or later and before until_us are kept.  INT64_MIN and
	 * INT64_MAX (the defaults): no limit.
	 */
	int64_t			 since_us;
	int64_t			 until_us;
	/* Patterns given to aggregate_focus() and aggregate_exclude(). */
	char			**focus;
	size_t			 nfocus;
	char			**exclude;
	size_t			 nexclude;

	int			 per_process;	/* a root per process (file) */
	int			 per_thread;	/* a root per thread */
	const char		*thread;	/* only this thread: id or name */
	int			 no_idle;	/* leave out idle samples */
	int			 gil_only;	/* only samples holding the GIL */

	/*
	 * Counts are of timer periods: a signal that stood for several
	 * (a CPU-time timer checked at ticks) counts that many.
	 */
	size_t			 files;
	uint64_t		 samples_read;	/* in the files */
	uint64_t		 samples_window; /* of those, in the window */
	uint64_t		 filtered;	/* of those, left out by the
						   thread, idle and GIL filters */
	uint64_t		 samples;	/* kept by all the filters */
	uint64_t		 weight_ns;	/* time the samples kept stand for */
	uint64_t		 idle;		/* samples in the window, idle */
	uint64_t		 duration_ns;	/* sum of the files', windowed */
	size_t			 durations;	/* files that gave one */

	/* Every function of the files, also those filtered out (total 0). */
	struct aggregate_func	*funcs;
	size_t			 nfuncs;
	/* nodes[0] is the root; children sorted by aggregate_finish(). */
	struct aggregate_node	*nodes;
	size_t			 nnodes;

	/* Samples with a native stack, and how their merge went. */
	uint64_t		 native_samples;
	uint64_t		 merge_partial;
	uint64_t		 merge_mismatch;
	/* Symbolization problems (missing or changed files), one per line. */
	char			**problems;
	size_t			 nproblems;

	/* With keep_samples: every sample added, in order. */
	struct aggregate_sample	*sample_list;
	size_t			 nsample_list;

	struct aggregate_index	*index;
};

/* Create an empty aggregate; NULL if out of memory. */
struct aggregate	*aggregate_create(void);
/* Free an aggregate. */
void			 aggregate_free(struct aggregate *);
/*
 * Keep only the samples whose stack has a frame matching a POSIX extended
 * regular expression (any of those given); before the first
 * aggregate_add().  Return 0, -EINVAL with *cause set to an allocated
 * message if the expression is bad, or -ENOMEM.
 */
int			 aggregate_focus(struct aggregate *, const char *regex,
			     char **cause);
/* Drop the samples whose stack has a frame matching regex; the same. */
int			 aggregate_exclude(struct aggregate *,
			     const char *regex, char **cause);
/* Add the samples of a profile.  Return 0 or -ENOMEM. */
int			 aggregate_add(struct aggregate *,
			     const struct reader_profile *);
/*
 * Link every node's children, sorted by total count (then self count,
 * name, line), after the last aggregate_add().  Return 0 or -ENOMEM.
 */
int			 aggregate_finish(struct aggregate *);
/*
 * The function indexes sorted by self count, then total count, name, file
 * and line: an allocated array of nfuncs entries, NULL if out of memory.
 */
uint32_t		*aggregate_by_self(const struct aggregate *);
/*
 * The collapsed stacks: one line per distinct stack, root first, frames
 * joined by ';', in byte order of the text.  A Python frame reads
 * "name (file:line)", "name (file:?)" when its line is unknown; in names
 * and files ';' becomes ',' and control characters '?', so a line always
 * splits back into its frames.  Return 0 with an allocated array of *n
 * lines, or -ENOMEM.
 */
int			 aggregate_collapsed(const struct aggregate *,
			     struct aggregate_line **, size_t *n);
/*
 * Call fn(arg, text, count) for each leaf node with samples, in no
 * particular order, with its collapsed text (as aggregate_collapsed(),
 * valid during the call) and self count; two nodes may read the same.
 * Memory for one line at a time: for big reports.  Return 0, -ENOMEM, or
 * the first non-zero value fn returned.
 */
int			 aggregate_collapsed_each(const struct aggregate *,
			     int (*fn)(void *, const char *, uint64_t),
			     void *arg);
/*
 * Sort collapsed lines by text and add up those that read the same (their
 * texts freed).  Return the number of lines left.
 */
size_t			 aggregate_lines_merge(struct aggregate_line *,
			     size_t);
/*
 * Write where a frame is, without parentheses, into buf: "file:line" for a
 * Python frame (line -1: "file:?"), "file.c:line" for a native frame with
 * DWARF, its object file's basename otherwise; "" for a pseudo-frame.
 */
void			 aggregate_where(const struct aggregate_func *,
			     int line, char *buf, size_t size);
/* Free lines from aggregate_collapsed(). */
void			 aggregate_lines_free(struct aggregate_line *, size_t);
/*
 * Self samples per (function, line executing), over every node of the
 * tree: the pairs with samples, hottest first (then by name, file and
 * line).  Return 0 with an allocated array of *n, or -ENOMEM.
 */
int			 aggregate_hot_lines(const struct aggregate *,
			     struct aggregate_hot **, size_t *n);
/*
 * The child node of parent for (func, line), or AGGREGATE_NONE: to walk
 * another aggregate's tree along this one's.
 */
uint32_t		 aggregate_find_child(const struct aggregate *,
			     uint32_t parent, uint32_t func, int line);
/*
 * The index in agg of the function of the same identity (name, file,
 * module, first line, kind) as f, from another aggregate; AGGREGATE_NONE
 * if agg has none.
 */
uint32_t		 aggregate_find(const struct aggregate *agg,
			     const struct aggregate_func *f);

#endif
