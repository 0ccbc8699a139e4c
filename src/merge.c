/*
 * Merging a sample's native stack with its Python stack (see merge.h).
 * Both stacks are leaf first.  The Python frames are cut into groups, each
 * ending at a frame with an entry mark; the native frames are walked from
 * the leaf and every eval-loop frame takes the next group.  Counting is all
 * there is to check: as many eval frames as groups, unless one of the stacks
 * was cut.  One pass to merge, two to fold; no allocation.
 */

#include "config.h"

#include <string.h>

#include "merge.h"

/* The eval function; gcc may split it (.cold) or clone it (.constprop.0). */
#define MERGE_EVAL_NAME	"_PyEval_EvalFrameDefault"

/*
 * The interpreter's call machinery, CPython 3.8 to 3.13: functions whose job
 * is to pass a call on (to a function, a builtin, a method, a class, a
 * generator being resumed, the eval loop), not to do work of their own.
 * Folding drops them between frames that are shown, where they say nothing
 * the frames around them do not.
 *
 * An entry matches its name and any name that extends it with a new word:
 * followed by an upper-case letter or '_'.  So PyObject_Call covers
 * PyObject_CallOneArg and PyObject_CallMethod but not PyObject_Calloc, and
 * gen_send covers gen_send_ex2.  A gcc suffix (.part.0, .isra.0, .cold) is
 * ignored before matching.
 *
 * The list is short on purpose, since a frame wrongly folded is lost from
 * the profile.  "call" in a name is not enough: allocators (PyMem_Calloc),
 * type constructors (list_vectorcall builds the list), socket calls
 * (sock_call_ex), the collector (gc_collect_with_callback) and
 * PyCallIter_New do real work.  Nor is "PyEval_": the GIL functions
 * (PyEval_RestoreThread) wait, and waiting is worth seeing.
 */
static const char *merge_plumbing[] = {
	/* The call API, Objects/call.c. */
	"PyObject_Call",
	"_PyObject_Call",
	"PyObject_Vectorcall",
	"_PyObject_Vectorcall",
	"_PyObject_FastCall",
	"_PyObject_MakeTpCall",
	"PyVectorcall_Call",
	"object_vacall",
	"callmethod",

	/* Calling functions, builtins, methods, classes and their slots. */
	"_PyFunction_Vectorcall",
	"_PyFunction_FastCall",
	"function_code_fastcall",
	"PyCFunction_Call",
	"_PyCFunction_Vectorcall",
	"_PyCFunction_FastCall",
	"_PyCFunctionWithKeywords_TrampolineCall",
	"_PyMethodDef_RawFastCall",
	"cfunction_call",
	"cfunction_vectorcall",
	"method_vectorcall",
	"methoddescr_call",
	"classmethoddescr_call",
	"wrapperdescr_call",
	"wrapperdescr_raw_call",
	"wrapper_call",
	"instancemethod_call",
	"sm_call",
	"slot_tp_call",
	"type_call",
	"call_method",
	"vectorcall_method",
	"vectorcall_unbound",
	"vectorcall_maybe",
	"partial_call",
	"partial_vectorcall",

	/* Into the eval loop, and out of it to trace or monitor. */
	"_PyEval_Eval",
	"PyEval_Eval",
	"_PyEval_Vector",
	"PyEval_Call",
	"_PyEval_CallTracing",
	"call_function",
	"trace_call_function",
	"do_call_core",
	"call_trace",
	"call_exc_trace",
	"trace_trampoline",
	"profile_trampoline",
	"_Py_call_instrumentation",
	"call_instrumentation_vector",

	/* Resuming generators and coroutines, iterating. */
	"gen_send",
	"gen_iternext",
	"gen_throw",
	"_gen_throw",
	"_PyGen_Send",
	"PyIter_Send",
	"PyIter_Next",
	"calliter_iternext",
	"coro_wrapper_iternext",
	"coro_wrapper_send",
	"coro_wrapper_throw",
};

/* Whether name (its first len characters) is word or extends it. */
static int
merge_extends(const char *name, size_t len, const char *word)
{
	size_t	wlen = strlen(word);
	char	c;

	if (wlen > len || strncmp(name, word, wlen) != 0)
		return 0;
	if (wlen == len)
		return 1;
	c = name[wlen];
	return c == '_' || (c >= 'A' && c <= 'Z');
}

/* Classify a native frame for the merge. */
enum merge_kind
merge_classify(const char *name, int in_interpreter, int in_eval_range)
{
	size_t	len, i, elen = strlen(MERGE_EVAL_NAME);

	if (in_eval_range)
		return MERGE_EVAL;
	if (name == NULL)
		return MERGE_OTHER;

	/*
	 * By name even outside the interpreter's module: some builds put the
	 * eval loop elsewhere than where the caller looks for it.
	 */
	if (strncmp(name, MERGE_EVAL_NAME, elen) == 0 &&
	    (name[elen] == '\0' || name[elen] == '.'))
		return MERGE_EVAL;

	if (!in_interpreter)
		return MERGE_OTHER;
	len = strcspn(name, ".");
	for (i = 0; i < sizeof merge_plumbing / sizeof merge_plumbing[0]; i++) {
		if (merge_extends(name, len, merge_plumbing[i]))
			return MERGE_PLUMBING;
	}
	return MERGE_OTHER;
}

/* Append one frame. */
static void
merge_put(struct merge_frame *out, size_t *n, int python, size_t index)
{
	out[*n].python = python;
	out[*n].index = (uint32_t)index;
	(*n)++;
}

/* Whether a merged frame is a native plumbing frame. */
static int
merge_is_plumbing(const struct merge_in *in, const struct merge_frame *f)
{
	return !f->python && in->native_kind[f->index] == MERGE_PLUMBING;
}

/*
 * Drop the plumbing frames with a Python frame somewhere on their root side
 * and a frame that is not plumbing somewhere on their leaf side: those sit
 * between two frames that are shown.  Plumbing at the leaf (the CPU is in
 * the call machinery) and below the outermost Python frame (main,
 * Py_RunMain, PyEval_EvalCode) stays.  Return the new count.
 */
static size_t
merge_fold(const struct merge_in *in, struct merge_frame *out, size_t n)
{
	size_t	first = n, last = 0, i, j;
	int	python = 0;

	for (i = 0; i < n; i++) {
		if (first == n && !merge_is_plumbing(in, &out[i]))
			first = i;
		if (out[i].python) {
			last = i;
			python = 1;
		}
	}
	if (!python)
		return n;
	for (i = j = 0; i < n; i++) {
		if (i > first && i < last && merge_is_plumbing(in, &out[i]))
			continue;
		out[j++] = out[i];
	}
	return j;
}

/* Fall back to one stack alone: the Python one if there is one. */
static void
merge_alone(const struct merge_in *in, struct merge_frame *out, size_t *nout)
{
	size_t	i;

	*nout = 0;
	if (in->npy != 0) {
		for (i = 0; i < in->npy; i++)
			merge_put(out, nout, 1, i);
	} else {
		for (i = 0; i < in->nnative; i++)
			merge_put(out, nout, 0, i);
	}
}

/*
 * Merge the stacks.  Each eval frame, from the leaf, is replaced by the next
 * group of Python frames: the frames up to and including the next one with
 * an entry mark (any non-zero mark), or up to the root if none has one.
 *
 * An eval frame with no group left is the signal of a count gone wrong
 * unless the Python stack was cut: then the merge stops there and drops
 * the native frames towards the root, whose Python frames are unknown.
 * Groups left over are a mismatch unless the native stack was cut: then
 * they go on the root side.  A cut stack whose frames all matched is
 * MERGE_OK.  The one exception, an eval frame caught entering or leaving,
 * is below.
 */
enum merge_result
merge_stack(const struct merge_in *in, struct merge_frame *out, size_t *nout)
{
	enum merge_result	result = MERGE_OK;
	size_t			py = 0, n = 0, i, evals = 0, groups = 0;
	size_t			skip = SIZE_MAX;

	if (in->nnative == 0) {
		merge_alone(in, out, nout);
		return MERGE_NO_NATIVE;
	}

	/*
	 * Both stacks whole, one eval frame more than groups: the innermost
	 * eval frame has not linked its Python frame yet or has unlinked it
	 * already (the signal came in its prologue or epilogue: 3.8-3.10 set
	 * tstate->frame inside the eval function, 3.11+ link and unlink the
	 * entry frame there).  Match the groups from the root and keep that
	 * eval frame as a native frame: it is where the time went.
	 */
	if (!in->py_truncated && !in->native_truncated) {
		for (i = 0; i < in->nnative; i++)
			if (in->native_kind[i] == MERGE_EVAL && evals++ == 0)
				skip = i;
		for (i = 0; i < in->npy; i++)
			if (in->py_entry[i] != 0 || i == in->npy - 1)
				groups++;
		if (evals != groups + 1)
			skip = SIZE_MAX;
	}

	for (i = 0; i < in->nnative; i++) {
		if (in->native_kind[i] != MERGE_EVAL || i == skip) {
			merge_put(out, &n, 0, i);
			continue;
		}
		if (py == in->npy) {
			if (!in->py_truncated)
				goto mismatch;
			result = MERGE_PARTIAL;
			break;
		}
		while (py < in->npy) {
			merge_put(out, &n, 1, py);
			if (in->py_entry[py++] != 0)
				break;
		}
	}
	if (py < in->npy) {
		if (!in->native_truncated)
			goto mismatch;
		while (py < in->npy)
			merge_put(out, &n, 1, py++);
		result = MERGE_PARTIAL;
	}

	if (in->fold)
		n = merge_fold(in, out, n);
	*nout = n;
	return result;

mismatch:
	merge_alone(in, out, nout);
	return MERGE_MISMATCH;
}
