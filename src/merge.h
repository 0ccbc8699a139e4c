/*
 * Merging a sample's native stack with its Python stack.  Every native
 * frame of the eval loop (_PyEval_EvalFrameDefault) is replaced by the
 * Python frames it was running: the Python frames are cut into groups, each
 * ending (towards the root) at a frame marked "entry" in the profile, and
 * the groups are matched with the eval frames from the leaf.  The profile's
 * entry marks carry each version's rule: every frame up to 3.10, is_entry
 * on 3.11, the frame above a C-stack shim on 3.12 and 3.13.  Native frames
 * between Python frames (a C extension calling back into Python) are kept.
 * Pure logic on classified frames; normal context.
 */

#ifndef PYSIG_MERGE_H
#define PYSIG_MERGE_H

#include <stddef.h>
#include <stdint.h>

/* What a native frame is to the merge. */
enum merge_kind {
	MERGE_OTHER,		/* any other code */
	MERGE_EVAL,		/* the eval loop: stands for Python frames */
	MERGE_PLUMBING,		/* the interpreter's call machinery */
};

/*
 * Classify a native frame from the outermost function at its address (NULL
 * if unknown), whether the address lies in the interpreter's module
 * (libpython, or the executable when it is linked statically) and whether
 * it lies in the eval function's recorded address range.
 */
enum merge_kind	merge_classify(const char *name, int in_interpreter,
		    int in_eval_range);

/* One sample's stacks, innermost (leaf) first. */
struct merge_in {
	const uint8_t	*py_entry;	/* per Python frame: entry mark, 0 or not */
	size_t		 npy;
	int		 py_truncated;	/* root side of the Python stack cut */
	const uint8_t	*native_kind;	/* per native frame: enum merge_kind */
	size_t		 nnative;
	int		 native_truncated; /* root side of the native stack cut */
	int		 fold;		/* drop plumbing between frames shown */
};

/* A frame of the merged stack: an index into the Python or native frames. */
struct merge_frame {
	uint32_t	python;		/* 1: a Python frame, 0: native */
	uint32_t	index;
};

enum merge_result {
	MERGE_OK,		/* all matched (bar one eval frame entering) */
	MERGE_NO_NATIVE,	/* no native frames: the Python stack */
	MERGE_PARTIAL,		/* a stack was cut; merged as far as known */
	MERGE_MISMATCH,		/* no match: fell back to one stack alone */
};

/*
 * Merge into out, which has room for npy + nnative frames; set *nout.
 * On MERGE_MISMATCH out holds the Python frames alone (or the native frames
 * alone when there are no Python frames).  With fold, a plumbing frame is
 * dropped when a Python frame lies towards the root of it and a frame that
 * is not plumbing towards the leaf.
 */
enum merge_result merge_stack(const struct merge_in *,
		    struct merge_frame *out, size_t *nout);

#endif
