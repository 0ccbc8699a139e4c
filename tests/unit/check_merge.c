/*
 * Unit tests for the native+Python merge (src/merge.c): synthetic stacks in
 * the shapes each CPython version gives, written as strings, leaf first.
 *
 * Python stack: function names, '*' after a frame with an entry mark.
 * Native stack: function names in the interpreter (libpython), "mod:name"
 * in another module (libc:qsort, _ctypes:PyCFuncPtr_call, exe:main), '?'
 * for a frame without a name, '@' for one without a name inside the eval
 * function's address range (a stripped interpreter).
 * Merged stack: Python frames as "name()", native frames as "name".
 */

#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"

#define MAXFRAMES	64
#define CANARY		0xa5a5a5a5u
#define NCANARY		8

/* Flags of a case. */
#define PY_CUT		0x1	/* the Python stack was cut at the root */
#define NATIVE_CUT	0x2	/* the native stack was cut at the root */
#define NO_FOLD		0x4	/* keep the plumbing */

/* Two parsed stacks. */
struct stacks {
	char		 pybuf[1024];
	char		 nativebuf[2048];
	const char	*pyname[MAXFRAMES];
	uint8_t		 entry[MAXFRAMES];
	size_t		 npy;
	const char	*nname[MAXFRAMES];
	uint8_t		 kind[MAXFRAMES];
	size_t		 nnative;
};

static const char *result_names[] = {
	"MERGE_OK", "MERGE_NO_NATIVE", "MERGE_PARTIAL", "MERGE_MISMATCH"
};

/* Split a Python stack string into names and entry marks. */
static void
parse_python(struct stacks *s, const char *py)
{
	char	*tok, *last, *star;

	ck_assert_uint_lt(strlen(py), sizeof s->pybuf);
	strcpy(s->pybuf, py);
	s->npy = 0;
	for (tok = strtok_r(s->pybuf, " ", &last); tok != NULL;
	    tok = strtok_r(NULL, " ", &last)) {
		ck_assert_uint_lt(s->npy, MAXFRAMES);
		star = strchr(tok, '*');
		s->entry[s->npy] = star != NULL;
		if (star != NULL)
			*star = '\0';
		s->pyname[s->npy++] = tok;
	}
}

/* Split a native stack string into names and classify each frame. */
static void
parse_native(struct stacks *s, const char *native)
{
	char		*tok, *last, *colon, *name;
	int		 interp, range;

	ck_assert_uint_lt(strlen(native), sizeof s->nativebuf);
	strcpy(s->nativebuf, native);
	s->nnative = 0;
	for (tok = strtok_r(s->nativebuf, " ", &last); tok != NULL;
	    tok = strtok_r(NULL, " ", &last)) {
		ck_assert_uint_lt(s->nnative, MAXFRAMES);
		interp = 1;
		range = 0;
		name = tok;
		if ((colon = strchr(tok, ':')) != NULL) {
			interp = 0;
			name = colon + 1;
		}
		if (strcmp(name, "@") == 0)
			range = 1;
		s->nname[s->nnative] = name;
		s->kind[s->nnative++] = merge_classify(
		    (range || strcmp(name, "?") == 0) ? NULL : name, interp,
		    range);
	}
}

/* Write a merged stack as a string. */
static void
render(const struct stacks *s, const struct merge_frame *out, size_t n,
    char *buf, size_t len)
{
	size_t	i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (out[i].python) {
			ck_assert_uint_lt(out[i].index, s->npy);
			used += snprintf(buf + used, len - used, "%s%s()",
			    i == 0 ? "" : " ", s->pyname[out[i].index]);
		} else {
			ck_assert_uint_lt(out[i].index, s->nnative);
			used += snprintf(buf + used, len - used, "%s%s",
			    i == 0 ? "" : " ", s->nname[out[i].index]);
		}
		ck_assert_uint_lt(used, len);
	}
}

/*
 * Merge two stacks and compare with the result and stack expected.  The
 * output array is exactly npy + nnative long, followed by canaries.
 */
static void
check_merge(const char *py, const char *native, int flags,
    enum merge_result want, const char *expect)
{
	struct stacks		 s;
	struct merge_in		 in;
	struct merge_frame	 out[2 * MAXFRAMES + NCANARY];
	enum merge_result	 got;
	size_t			 cap, n = 12345, i;
	char			 buf[4096];

	parse_python(&s, py);
	parse_native(&s, native);
	memset(&in, 0, sizeof in);
	in.py_entry = s.entry;
	in.npy = s.npy;
	in.py_truncated = (flags & PY_CUT) != 0;
	in.native_kind = s.kind;
	in.nnative = s.nnative;
	in.native_truncated = (flags & NATIVE_CUT) != 0;
	in.fold = (flags & NO_FOLD) == 0;

	cap = s.npy + s.nnative;
	for (i = 0; i < cap + NCANARY; i++)
		out[i].python = out[i].index = CANARY;
	got = merge_stack(&in, out, &n);
	for (i = cap; i < cap + NCANARY; i++) {
		ck_assert_uint_eq(out[i].python, CANARY);
		ck_assert_uint_eq(out[i].index, CANARY);
	}
	ck_assert_uint_le(n, cap);

	render(&s, out, n, buf, sizeof buf);
	ck_assert_msg(got == want, "result %s, not %s (stack \"%s\")",
	    result_names[got], result_names[want], buf);
	ck_assert_str_eq(buf, expect);
}

/*
 * 3.8 to 3.10: every Python frame is an entry, one eval frame each, with
 * call plumbing between them.
 */
START_TEST(test_py38_shape)
{
	const char	*py = "inner* outer* <module>*";
	const char	*native = "builtin_len _PyCFunction_Vectorcall "
	    "_PyEval_EvalFrameDefault function_code_fastcall "
	    "_PyFunction_Vectorcall _PyEval_EvalFrameDefault "
	    "function_code_fastcall _PyFunction_Vectorcall "
	    "_PyEval_EvalFrameDefault _PyEval_EvalCodeWithName "
	    "PyEval_EvalCodeEx PyEval_EvalCode run_mod PyRun_FileExFlags "
	    "PyRun_SimpleFileExFlags pymain_run_python Py_RunMain "
	    "Py_BytesMain exe:main";

	/* The builtin on top, plumbing folded, the root kept. */
	check_merge(py, native, 0, MERGE_OK,
	    "builtin_len inner() outer() <module>() _PyEval_EvalCodeWithName "
	    "PyEval_EvalCodeEx PyEval_EvalCode run_mod PyRun_FileExFlags "
	    "PyRun_SimpleFileExFlags pymain_run_python Py_RunMain "
	    "Py_BytesMain main");
	check_merge(py, native, NO_FOLD, MERGE_OK,
	    "builtin_len _PyCFunction_Vectorcall inner() "
	    "function_code_fastcall _PyFunction_Vectorcall outer() "
	    "function_code_fastcall _PyFunction_Vectorcall <module>() "
	    "_PyEval_EvalCodeWithName PyEval_EvalCodeEx PyEval_EvalCode "
	    "run_mod PyRun_FileExFlags PyRun_SimpleFileExFlags "
	    "pymain_run_python Py_RunMain Py_BytesMain main");
}
END_TEST

START_TEST(test_py310_shape)
{
	const char	*py = "f* <module>*";

	/* f(*args): do_call_core and PyObject_Call between the frames. */
	check_merge(py, "_PyEval_EvalFrameDefault _PyEval_Vector "
	    "_PyFunction_Vectorcall PyObject_Call do_call_core "
	    "_PyEval_EvalFrameDefault _PyEval_Vector PyEval_EvalCode "
	    "run_eval_code_obj run_mod exe:main", 0, MERGE_OK,
	    "f() <module>() _PyEval_Vector PyEval_EvalCode run_eval_code_obj "
	    "run_mod main");

	/* The CPU in the call machinery itself: the plumbing stays. */
	check_merge(py, "_PyObject_MakeTpCall.cold PyObject_Vectorcall "
	    "_PyEval_EvalFrameDefault _PyEval_Vector _PyFunction_Vectorcall "
	    "_PyEval_EvalFrameDefault _PyEval_Vector PyEval_EvalCode exe:main",
	    0, MERGE_OK, "_PyObject_MakeTpCall.cold PyObject_Vectorcall f() "
	    "<module>() _PyEval_Vector PyEval_EvalCode main");
}
END_TEST

/*
 * 3.11: Python-to-Python calls stay in the same eval frame; only the
 * outermost frame of each eval frame is an entry.
 */
START_TEST(test_py311_shape)
{
	const char	*py = "d c* b a <module>*";
	const char	*native = "math_sqrt cfunction_vectorcall_O "
	    "_PyEval_EvalFrameDefault _PyEval_Vector _PyFunction_Vectorcall "
	    "map_next list_extend list_vectorcall _PyEval_EvalFrameDefault "
	    "_PyEval_Vector PyEval_EvalCode run_eval_code_obj run_mod "
	    "pyrun_file _PyRun_SimpleFileObject _PyRun_AnyFileObject "
	    "pymain_run_python Py_RunMain Py_BytesMain exe:main";

	/* list(map(c, xs)) in a, c calls d which calls math.sqrt. */
	check_merge(py, native, 0, MERGE_OK,
	    "math_sqrt d() c() map_next list_extend list_vectorcall b() a() "
	    "<module>() _PyEval_Vector PyEval_EvalCode run_eval_code_obj "
	    "run_mod pyrun_file _PyRun_SimpleFileObject _PyRun_AnyFileObject "
	    "pymain_run_python Py_RunMain Py_BytesMain main");
	check_merge(py, native, NO_FOLD, MERGE_OK,
	    "math_sqrt cfunction_vectorcall_O d() c() _PyEval_Vector "
	    "_PyFunction_Vectorcall map_next list_extend list_vectorcall b() "
	    "a() <module>() _PyEval_Vector PyEval_EvalCode run_eval_code_obj "
	    "run_mod pyrun_file _PyRun_SimpleFileObject _PyRun_AnyFileObject "
	    "pymain_run_python Py_RunMain Py_BytesMain main");

	/* A sample in the eval loop's cold part: the same frame. */
	check_merge("c b a <module>*", "_PyEval_EvalFrameDefault.cold "
	    "_PyEval_Vector PyEval_EvalCode exe:main", 0, MERGE_OK,
	    "c() b() a() <module>() _PyEval_Vector PyEval_EvalCode main");
}
END_TEST

/*
 * 3.12 and 3.13: the entry is the frame above a C-stack shim.  A generator
 * resumed from Python runs in the same eval frame, one resumed from C in
 * its own.
 */
START_TEST(test_py312_shape)
{
	const char	*root = "_PyEval_EvalFrameDefault PyEval_EvalCode "
	    "run_eval_code_obj run_mod pyrun_file _PyRun_SimpleFileObject "
	    "_PyRun_AnyFileObject pymain_run_python Py_RunMain Py_BytesMain "
	    "exe:main";
	const char	*merged_root = "PyEval_EvalCode run_eval_code_obj "
	    "run_mod pyrun_file _PyRun_SimpleFileObject _PyRun_AnyFileObject "
	    "pymain_run_python Py_RunMain Py_BytesMain main";
	char		 native[1024], expect[1024];

	/* for x in produce(): inlined, FOR_ITER_GEN. */
	snprintf(native, sizeof native, "%s", root);
	snprintf(expect, sizeof expect, "produce() consume() <module>() %s",
	    merged_root);
	check_merge("produce consume <module>*", native, 0, MERGE_OK, expect);

	/* list(produce()): resumed by list_extend through gen_iternext. */
	snprintf(native, sizeof native, "_PyEval_EvalFrameDefault "
	    "gen_send_ex2 gen_iternext list_extend list_vectorcall %s", root);
	snprintf(expect, sizeof expect, "produce() list_extend "
	    "list_vectorcall consume() <module>() %s", merged_root);
	check_merge("produce* consume <module>*", native, 0, MERGE_OK,
	    expect);
	snprintf(expect, sizeof expect, "produce() gen_send_ex2 gen_iternext "
	    "list_extend list_vectorcall consume() <module>() %s",
	    merged_root);
	check_merge("produce* consume <module>*", native, NO_FOLD, MERGE_OK,
	    expect);

	/* 3.13, coro.send(None): nothing but plumbing between the frames. */
	snprintf(native, sizeof native, "_PyEval_EvalFrameDefault "
	    "gen_send_ex2.constprop.0 gen_send method_vectorcall_O %s", root);
	snprintf(expect, sizeof expect, "coro() drive() <module>() %s",
	    merged_root);
	check_merge("coro* drive <module>*", native, 0, MERGE_OK, expect);

	/* 3.13, time.sleep() waiting for the GIL: the wait is shown. */
	snprintf(native, sizeof native, "libc:pthread_cond_timedwait "
	    "take_gil PyEval_RestoreThread pysleep time_sleep "
	    "cfunction_vectorcall_O %s", root);
	snprintf(expect, sizeof expect, "pthread_cond_timedwait take_gil "
	    "PyEval_RestoreThread pysleep time_sleep nap() <module>() %s",
	    merged_root);
	check_merge("nap <module>*", native, 0, MERGE_OK, expect);
}
END_TEST

/*
 * Python calls a C function through ctypes, which calls qsort, which calls
 * back into Python: both Python frames, the extension frames between them
 * in order, the plumbing folded.
 */
START_TEST(test_ctypes_callback)
{
	const char	*native = "_PyEval_EvalFrameDefault _PyEval_Vector "
	    "_PyFunction_Vectorcall _ctypes:_CallPythonObject "
	    "_ctypes:closure_fcn ffi:ffi_closure_unix64_inner "
	    "ffi:ffi_closure_unix64 libc:msort_with_tmp libc:msort_with_tmp "
	    "libc:qsort_r ffi:ffi_call_unix64 ffi:ffi_call_int "
	    "_ctypes:_call_function_pointer _ctypes:_ctypes_callproc "
	    "_ctypes:PyCFuncPtr_call _PyObject_MakeTpCall "
	    "_PyEval_EvalFrameDefault _PyEval_Vector PyEval_EvalCode "
	    "run_eval_code_obj run_mod pyrun_file _PyRun_SimpleFileObject "
	    "_PyRun_AnyFileObject pymain_run_python Py_RunMain Py_BytesMain "
	    "exe:main libc:__libc_start_call_main libc:__libc_start_main "
	    "exe:_start";

	check_merge("compare* sort_it <module>*", native, 0, MERGE_OK,
	    "compare() _CallPythonObject closure_fcn ffi_closure_unix64_inner "
	    "ffi_closure_unix64 msort_with_tmp msort_with_tmp qsort_r "
	    "ffi_call_unix64 ffi_call_int _call_function_pointer "
	    "_ctypes_callproc PyCFuncPtr_call sort_it() <module>() "
	    "_PyEval_Vector PyEval_EvalCode run_eval_code_obj run_mod "
	    "pyrun_file _PyRun_SimpleFileObject _PyRun_AnyFileObject "
	    "pymain_run_python Py_RunMain Py_BytesMain main "
	    "__libc_start_call_main __libc_start_main _start");
	check_merge("compare* sort_it <module>*", native, NO_FOLD, MERGE_OK,
	    "compare() _PyEval_Vector _PyFunction_Vectorcall "
	    "_CallPythonObject closure_fcn ffi_closure_unix64_inner "
	    "ffi_closure_unix64 msort_with_tmp msort_with_tmp qsort_r "
	    "ffi_call_unix64 ffi_call_int _call_function_pointer "
	    "_ctypes_callproc PyCFuncPtr_call _PyObject_MakeTpCall sort_it() "
	    "<module>() _PyEval_Vector PyEval_EvalCode run_eval_code_obj "
	    "run_mod pyrun_file _PyRun_SimpleFileObject _PyRun_AnyFileObject "
	    "pymain_run_python Py_RunMain Py_BytesMain main "
	    "__libc_start_call_main __libc_start_main _start");
}
END_TEST

/* sorted(xs, key=lambda ...): the lambda on list.sort, list.sort on rank. */
START_TEST(test_sorted_key)
{
	const char	*native = "_PyEval_EvalFrameDefault _PyEval_Vector "
	    "_PyFunction_Vectorcall list_sort_impl list_sort "
	    "cfunction_vectorcall_FASTCALL_KEYWORDS PyObject_Vectorcall "
	    "builtin_sorted cfunction_vectorcall_FASTCALL_KEYWORDS "
	    "_PyEval_EvalFrameDefault PyEval_EvalCode run_eval_code_obj "
	    "exe:main";

	check_merge("<lambda>* rank <module>*", native, 0, MERGE_OK,
	    "<lambda>() list_sort_impl list_sort builtin_sorted rank() "
	    "<module>() PyEval_EvalCode run_eval_code_obj main");
	check_merge("<lambda>* rank <module>*", native, NO_FOLD, MERGE_OK,
	    "<lambda>() _PyEval_Vector _PyFunction_Vectorcall list_sort_impl "
	    "list_sort cfunction_vectorcall_FASTCALL_KEYWORDS "
	    "PyObject_Vectorcall builtin_sorted "
	    "cfunction_vectorcall_FASTCALL_KEYWORDS rank() <module>() "
	    "PyEval_EvalCode run_eval_code_obj main");
}
END_TEST

/* A stripped interpreter: eval frames known by address range only. */
START_TEST(test_stripped)
{
	check_merge("f* <module>*", "@ ? @ ? exe:main", 0, MERGE_OK,
	    "f() ? <module>() ? main");
	/* No range either: no eval frame, so the Python stack alone. */
	check_merge("f* <module>*", "? ? ? ? exe:main", 0, MERGE_MISMATCH,
	    "f() <module>()");
}
END_TEST

/*
 * One eval frame more than groups, both stacks whole: the innermost eval
 * frame was caught entering or leaving (its Python frame not linked), so
 * the groups match from the root and it stays a native frame.
 */
START_TEST(test_entering)
{
	check_merge("f* <module>*", "_PyEval_EvalFrameDefault _PyEval_Vector "
	    "_PyFunction_Vectorcall _PyEval_EvalFrameDefault _PyEval_Vector "
	    "_PyFunction_Vectorcall _PyEval_EvalFrameDefault _PyEval_Vector "
	    "PyEval_EvalCode exe:main", 0, MERGE_OK, "_PyEval_EvalFrameDefault "
	    "f() <module>() _PyEval_Vector PyEval_EvalCode main");
	/* 3.8: leaving, in _Py_CheckFunctionResult after tstate->frame. */
	check_merge("by_key* <module>*", "_Py_CheckFunctionResult "
	    "_PyEval_EvalFrameDefault _PyEval_EvalCodeWithName "
	    "_PyFunction_Vectorcall PyObject_CallFunctionObjArgs list_sort_impl "
	    "_PyEval_EvalFrameDefault function_code_fastcall "
	    "_PyEval_EvalFrameDefault PyEval_EvalCode exe:main", 0, MERGE_OK,
	    "_Py_CheckFunctionResult _PyEval_EvalFrameDefault list_sort_impl "
	    "by_key() <module>() PyEval_EvalCode main");
	/* Not when a stack was cut: then the leaf side is what is known. */
	check_merge("f* <module>", "_PyEval_EvalFrameDefault _PyEval_Vector "
	    "_PyEval_EvalFrameDefault _PyEval_Vector _PyEval_EvalFrameDefault",
	    PY_CUT, MERGE_PARTIAL, "f() <module>() _PyEval_Vector");
}
END_TEST

/* Counts that do not add up: the Python stack alone. */
START_TEST(test_mismatch)
{
	/* Two eval frames extra. */
	check_merge("f* <module>*", "_PyEval_EvalFrameDefault _PyEval_Vector "
	    "_PyEval_EvalFrameDefault _PyEval_Vector "
	    "_PyFunction_Vectorcall _PyEval_EvalFrameDefault _PyEval_Vector "
	    "_PyFunction_Vectorcall _PyEval_EvalFrameDefault _PyEval_Vector "
	    "PyEval_EvalCode exe:main", 0, MERGE_MISMATCH, "f() <module>()");
	/* More groups than eval frames. */
	check_merge("g* f* <module>*", "_PyEval_EvalFrameDefault "
	    "_PyEval_Vector _PyFunction_Vectorcall _PyEval_EvalFrameDefault "
	    "PyEval_EvalCode exe:main", 0, MERGE_MISMATCH,
	    "g() f() <module>()");
	/* The same without folding. */
	check_merge("g* f* <module>*", "_PyEval_EvalFrameDefault "
	    "_PyEval_Vector _PyFunction_Vectorcall _PyEval_EvalFrameDefault "
	    "PyEval_EvalCode exe:main", NO_FOLD, MERGE_MISMATCH,
	    "g() f() <module>()");
}
END_TEST

/* A native stack cut short: what is left of Python goes on the root side. */
START_TEST(test_native_cut)
{
	const char	*native = "_PyEval_EvalFrameDefault _PyEval_Vector "
	    "_PyFunction_Vectorcall _ctypes:_CallPythonObject "
	    "_ctypes:closure_fcn ffi:ffi_closure_unix64_inner "
	    "ffi:ffi_closure_unix64 libc:msort_with_tmp libc:qsort_r";

	check_merge("compare* sort_it <module>*", native, NATIVE_CUT,
	    MERGE_PARTIAL, "compare() _CallPythonObject closure_fcn "
	    "ffi_closure_unix64_inner ffi_closure_unix64 msort_with_tmp "
	    "qsort_r sort_it() <module>()");
	check_merge("compare* sort_it <module>*", native,
	    NATIVE_CUT | NO_FOLD, MERGE_PARTIAL, "compare() _PyEval_Vector "
	    "_PyFunction_Vectorcall _CallPythonObject closure_fcn "
	    "ffi_closure_unix64_inner ffi_closure_unix64 msort_with_tmp "
	    "qsort_r sort_it() <module>()");
	/* Not known to be cut: a mismatch. */
	check_merge("compare* sort_it <module>*", native, 0, MERGE_MISMATCH,
	    "compare() sort_it() <module>()");
	/* Cut, but every group matched: nothing is missing from the merge. */
	check_merge("f* <module>*", "_PyEval_EvalFrameDefault _PyEval_Vector "
	    "_PyFunction_Vectorcall _PyEval_EvalFrameDefault", NATIVE_CUT,
	    MERGE_OK, "f() <module>()");
}
END_TEST

/* A Python stack cut short: the merge stops at the first eval frame left. */
START_TEST(test_python_cut)
{
	const char	*native = "_PyEval_EvalFrameDefault gen_send_ex2 "
	    "gen_iternext list_extend _PyEval_EvalFrameDefault _PyEval_Vector "
	    "_PyFunction_Vectorcall map_next list_extend "
	    "_PyEval_EvalFrameDefault PyEval_EvalCode run_eval_code_obj "
	    "exe:main";

	/*
	 * The plumbing under a() stays: nothing is known to be under it,
	 * since the Python frames further down were cut.
	 */
	check_merge("c b* a*", native, PY_CUT, MERGE_PARTIAL,
	    "c() b() list_extend a() _PyEval_Vector _PyFunction_Vectorcall "
	    "map_next list_extend");
	check_merge("c b* a*", native, PY_CUT | NO_FOLD, MERGE_PARTIAL,
	    "c() b() gen_send_ex2 gen_iternext list_extend a() _PyEval_Vector "
	    "_PyFunction_Vectorcall map_next list_extend");
	/*
	 * Not known to be cut, one eval frame more than groups: taken for an
	 * eval frame caught entering, matched from the root.
	 */
	check_merge("c b* a*", native, 0, MERGE_OK, "_PyEval_EvalFrameDefault "
	    "list_extend c() b() map_next list_extend a() PyEval_EvalCode "
	    "run_eval_code_obj main");
	/* Two more: a mismatch. */
	check_merge("c*", native, 0, MERGE_MISMATCH, "c()");
	/* Both cut, the counts right: the last group had no entry mark. */
	check_merge("c b* a", "_PyEval_EvalFrameDefault gen_iternext "
	    "_PyEval_EvalFrameDefault _PyEval_Vector", PY_CUT | NATIVE_CUT,
	    MERGE_OK, "c() b() a() _PyEval_Vector");
}
END_TEST

/* Any non-zero entry mark ends a group. */
START_TEST(test_entry_marks)
{
	static const uint8_t	entry[] = { 0, 2, 0, 255 };
	static const uint8_t	kind[] = { MERGE_EVAL, MERGE_EVAL };
	struct merge_in		in = { entry, 4, 0, kind, 2, 0, 1 };
	struct merge_frame	out[6];
	size_t			n, i;

	ck_assert_int_eq(merge_stack(&in, out, &n), MERGE_OK);
	ck_assert_uint_eq(n, 4);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(out[i].python, 1);
		ck_assert_uint_eq(out[i].index, i);
	}
	in.nnative = 1;
	ck_assert_int_eq(merge_stack(&in, out, &n), MERGE_MISMATCH);
}
END_TEST

/* No native stack: the Python stack. */
START_TEST(test_no_native)
{
	check_merge("f* <module>*", "", 0, MERGE_NO_NATIVE, "f() <module>()");
	check_merge("f <module>*", "", NATIVE_CUT | PY_CUT, MERGE_NO_NATIVE,
	    "f() <module>()");
	check_merge("", "", 0, MERGE_NO_NATIVE, "");
}
END_TEST

/* Threads without Python frames keep their native stack. */
START_TEST(test_no_python)
{
	/* A thread that never ran Python. */
	check_merge("", "libc:read exe:reader_loop libc:start_thread "
	    "libc:clone3", 0, MERGE_OK,
	    "read reader_loop start_thread clone3");
	/* Plumbing without Python frames is never folded. */
	check_merge("", "libc:pthread_cond_timedwait take_gil "
	    "PyEval_RestoreThread PyGILState_Ensure PyObject_Call "
	    "_ctypes:_CallPythonObject libc:start_thread", 0, MERGE_OK,
	    "pthread_cond_timedwait take_gil PyEval_RestoreThread "
	    "PyGILState_Ensure PyObject_Call _CallPythonObject start_thread");
	/* One eval frame and no Python frames: caught entering. */
	check_merge("", "take_gil PyEval_RestoreThread time_sleep "
	    "cfunction_vectorcall_O _PyEval_EvalFrameDefault PyEval_EvalCode "
	    "exe:main", 0, MERGE_OK, "take_gil PyEval_RestoreThread "
	    "time_sleep cfunction_vectorcall_O _PyEval_EvalFrameDefault "
	    "PyEval_EvalCode main");
	/* ... or up to the first one if the Python stack was cut. */
	check_merge("", "take_gil PyEval_RestoreThread time_sleep "
	    "cfunction_vectorcall_O _PyEval_EvalFrameDefault PyEval_EvalCode "
	    "exe:main", PY_CUT, MERGE_PARTIAL, "take_gil PyEval_RestoreThread "
	    "time_sleep cfunction_vectorcall_O");
}
END_TEST

/* What merge_classify() says of a name, in or out of the interpreter. */
struct classify_case {
	const char	*name;
	int		 in_interpreter;
	int		 in_eval_range;
	enum merge_kind	 kind;
};

static const struct classify_case classify_cases[] = {
	/* The eval loop, by name (even elsewhere) or by address range. */
	{ "_PyEval_EvalFrameDefault", 1, 0, MERGE_EVAL },
	{ "_PyEval_EvalFrameDefault", 0, 0, MERGE_EVAL },
	{ "_PyEval_EvalFrameDefault.cold", 1, 0, MERGE_EVAL },
	{ "_PyEval_EvalFrameDefault.constprop.0", 0, 0, MERGE_EVAL },
	{ "_PyEval_EvalFrameDefault.part.0.cold", 1, 0, MERGE_EVAL },
	{ NULL, 1, 1, MERGE_EVAL },
	{ NULL, 0, 1, MERGE_EVAL },
	{ "PyObject_Call", 1, 1, MERGE_EVAL },
	{ "_PyEval_EvalFrameDefaultX", 0, 0, MERGE_OTHER },
	{ "_PyEval_EvalFrameDefaultX", 1, 0, MERGE_PLUMBING },
	{ "x_PyEval_EvalFrameDefault", 1, 0, MERGE_OTHER },
	{ "_PyEval_EvalFrame", 0, 0, MERGE_OTHER },

	/* The call machinery, 3.8 to 3.13. */
	{ "PyObject_Call", 1, 0, MERGE_PLUMBING },
	{ "PyObject_CallOneArg", 1, 0, MERGE_PLUMBING },
	{ "PyObject_CallMethodObjArgs", 1, 0, MERGE_PLUMBING },
	{ "PyObject_Vectorcall", 1, 0, MERGE_PLUMBING },
	{ "_PyObject_MakeTpCall", 1, 0, MERGE_PLUMBING },
	{ "_PyObject_VectorcallTstate", 1, 0, MERGE_PLUMBING },
	{ "_PyObject_Call_Prepend", 1, 0, MERGE_PLUMBING },
	{ "_PyObject_FastCallDictTstate", 1, 0, MERGE_PLUMBING },
	{ "object_vacall", 1, 0, MERGE_PLUMBING },
	{ "cfunction_call", 1, 0, MERGE_PLUMBING },
	{ "cfunction_vectorcall_O", 1, 0, MERGE_PLUMBING },
	{ "cfunction_vectorcall_FASTCALL_KEYWORDS_METHOD", 1, 0,
	    MERGE_PLUMBING },
	{ "method_vectorcall_NOARGS", 1, 0, MERGE_PLUMBING },
	{ "method_vectorcall", 1, 0, MERGE_PLUMBING },
	{ "_PyFunction_Vectorcall", 1, 0, MERGE_PLUMBING },
	{ "function_code_fastcall", 1, 0, MERGE_PLUMBING },
	{ "_PyCFunctionWithKeywords_TrampolineCall", 1, 0, MERGE_PLUMBING },
	{ "slot_tp_call", 1, 0, MERGE_PLUMBING },
	{ "vectorcall_method", 1, 0, MERGE_PLUMBING },
	{ "call_function", 1, 0, MERGE_PLUMBING },
	{ "do_call_core", 1, 0, MERGE_PLUMBING },
	{ "_PyEval_Vector", 1, 0, MERGE_PLUMBING },
	{ "_PyEval_EvalCodeWithName", 1, 0, MERGE_PLUMBING },
	{ "_PyEval_EvalFrame", 1, 0, MERGE_PLUMBING },
	{ "PyEval_EvalCode", 1, 0, MERGE_PLUMBING },
	{ "PyEval_EvalCodeEx", 1, 0, MERGE_PLUMBING },
	{ "PyEval_CallObjectWithKeywords", 1, 0, MERGE_PLUMBING },
	{ "_Py_call_instrumentation_2args", 1, 0, MERGE_PLUMBING },
	{ "gen_send_ex", 1, 0, MERGE_PLUMBING },
	{ "gen_send_ex2", 1, 0, MERGE_PLUMBING },
	{ "gen_iternext", 1, 0, MERGE_PLUMBING },
	{ "_PyGen_Send", 1, 0, MERGE_PLUMBING },
	{ "PyIter_Send", 1, 0, MERGE_PLUMBING },
	{ "calliter_iternext", 1, 0, MERGE_PLUMBING },

	/* gcc suffixes count as their base name. */
	{ "PyObject_Call.cold", 1, 0, MERGE_PLUMBING },
	{ "gen_send_ex2.part.0", 1, 0, MERGE_PLUMBING },
	{ "method_vectorcall_O.isra.0", 1, 0, MERGE_PLUMBING },
	{ "_PyObject_VectorcallMethodId.constprop.0", 1, 0, MERGE_PLUMBING },
	{ "callmethod.part.0.isra.0", 1, 0, MERGE_PLUMBING },
	{ "list_sort_impl.part.0", 1, 0, MERGE_OTHER },

	/* Outside the interpreter nothing is plumbing. */
	{ "PyObject_Call", 0, 0, MERGE_OTHER },
	{ "_PyFunction_Vectorcall", 0, 0, MERGE_OTHER },
	{ "gen_send_ex2", 0, 0, MERGE_OTHER },
	{ "PyCFuncPtr_call", 0, 0, MERGE_OTHER },
	{ "_ctypes_callproc", 0, 0, MERGE_OTHER },
	{ "ffi_call", 0, 0, MERGE_OTHER },
	{ "__libc_start_call_main", 0, 0, MERGE_OTHER },
	{ "qsort", 0, 0, MERGE_OTHER },

	/* Real work, in the interpreter, even with "call" in the name. */
	{ NULL, 1, 0, MERGE_OTHER },
	{ NULL, 0, 0, MERGE_OTHER },
	{ "", 1, 0, MERGE_OTHER },
	{ "list_sort_impl", 1, 0, MERGE_OTHER },
	{ "builtin_sorted", 1, 0, MERGE_OTHER },
	{ "PyNumber_Add", 1, 0, MERGE_OTHER },
	{ "dictiter_iternextitem", 1, 0, MERGE_OTHER },
	{ "PyObject_RichCompare", 1, 0, MERGE_OTHER },
	{ "unicode_concatenate", 1, 0, MERGE_OTHER },
	{ "PyCallIter_New", 1, 0, MERGE_OTHER },
	{ "PyCallable_Check", 1, 0, MERGE_OTHER },
	{ "builtin_callable", 1, 0, MERGE_OTHER },
	{ "PyObject_Calloc", 1, 0, MERGE_OTHER },
	{ "_PyObject_Calloc", 1, 0, MERGE_OTHER },
	{ "PyMem_Calloc", 1, 0, MERGE_OTHER },
	{ "list_vectorcall", 1, 0, MERGE_OTHER },
	{ "sock_call_ex", 1, 0, MERGE_OTHER },
	{ "gc_collect_with_callback", 1, 0, MERGE_OTHER },
	{ "lru_cache_call", 1, 0, MERGE_OTHER },
	{ "PyEval_RestoreThread", 1, 0, MERGE_OTHER },
	{ "PyEval_SaveThread", 1, 0, MERGE_OTHER },
	{ "take_gil", 1, 0, MERGE_OTHER },
	{ "_PyEval_SliceIndex", 1, 0, MERGE_OTHER },
	{ "_PyEvalFramePushAndInit", 1, 0, MERGE_OTHER },
	{ "gen_sendx", 1, 0, MERGE_OTHER },
	{ "PyObject_Callx", 1, 0, MERGE_OTHER },
	{ "slot_tp_richcompare", 1, 0, MERGE_OTHER },
	{ "Py_RunMain", 1, 0, MERGE_OTHER },
};

#define NCLASSIFY	(sizeof classify_cases / sizeof classify_cases[0])

START_TEST(test_classify)
{
	const struct classify_case	*c = &classify_cases[_i];
	enum merge_kind			 kind;

	kind = merge_classify(c->name, c->in_interpreter, c->in_eval_range);
	ck_assert_msg(kind == c->kind, "%s (interpreter %d, eval range %d): "
	    "kind %d, not %d", c->name == NULL ? "(null)" : c->name,
	    c->in_interpreter, c->in_eval_range, (int)kind, (int)c->kind);
}
END_TEST

/*
 * What is wrong with a random merge, or NULL.  Plain tests, not ck_assert:
 * check records every assertion that passes, too slow for this many.
 */
static const char *
random_wrong(const struct merge_in *in, enum merge_result r,
    const struct merge_frame *out, size_t n)
{
	size_t	i, cap = in->npy + in->nnative, npyout = 0, neval = 0;
	size_t	next[2] = { 0, 0 };

	for (i = cap; i < cap + NCANARY; i++) {
		if (out[i].python != CANARY || out[i].index != CANARY)
			return "written past npy + nnative";
	}
	if (n > cap)
		return "more frames than npy + nnative";
	if (r > MERGE_MISMATCH)
		return "no such result";
	for (i = 0; i < n; i++) {
		if (out[i].python > 1)
			return "neither Python nor native";
		if (out[i].index >= (out[i].python ? in->npy : in->nnative))
			return "index out of range";
		if (out[i].index < next[out[i].python])
			return "frames out of order";
		next[out[i].python] = out[i].index + 1;
		if (out[i].python)
			npyout++;
		else if (in->native_kind[out[i].index] == MERGE_EVAL)
			neval++;
	}
	switch (r) {
	case MERGE_OK:
	case MERGE_NO_NATIVE:
		if (npyout != in->npy)
			return "Python frames lost";
		/* At most the innermost eval frame, caught entering. */
		if (neval > 1 || (neval == 1 &&
		    (in->py_truncated || in->native_truncated)))
			return "eval frames left";
		break;
	case MERGE_PARTIAL:
		if (!in->py_truncated && !in->native_truncated)
			return "partial but nothing cut";
		if (npyout != in->npy)
			return "Python frames lost";
		if (neval != 0)
			return "eval frames left";
		break;
	case MERGE_MISMATCH:
		if (n != (in->npy != 0 ? in->npy : in->nnative))
			return "mismatch but not one stack alone";
		break;
	}
	return NULL;
}

/*
 * Random stacks, random kinds (some out of range) and entry marks: the
 * output stays within npy + nnative frames, in order, and a merge keeps
 * every Python frame it does not drop for a cut.
 */
START_TEST(test_random)
{
	struct merge_frame	 out[2 * MAXFRAMES + NCANARY];
	uint8_t			 entry[MAXFRAMES], kind[MAXFRAMES];
	struct merge_in		 in;
	enum merge_result	 r;
	unsigned int		 seed = 42;
	size_t			 i, j, n;
	const char		*wrong;

	for (i = 0; i < 200000; i++) {
		memset(&in, 0, sizeof in);
		in.npy = (size_t)rand_r(&seed) % MAXFRAMES;
		in.nnative = (size_t)rand_r(&seed) % MAXFRAMES;
		for (j = 0; j < in.npy; j++)
			entry[j] = rand_r(&seed) % 3 == 0 ? 1 + j % 2 : 0;
		for (j = 0; j < in.nnative; j++) {
			kind[j] = (uint8_t)(rand_r(&seed) % 4);
			if (kind[j] == 3)
				kind[j] = (uint8_t)rand_r(&seed);
		}
		in.py_entry = entry;
		in.native_kind = kind;
		in.py_truncated = rand_r(&seed) % 2;
		in.native_truncated = rand_r(&seed) % 2;
		in.fold = rand_r(&seed) % 2;

		for (j = 0; j < in.npy + in.nnative + NCANARY; j++)
			out[j].python = out[j].index = CANARY;
		r = merge_stack(&in, out, &n);
		if ((wrong = random_wrong(&in, r, out, n)) != NULL)
			ck_abort_msg("case %zu (%zu Python, %zu native): %s",
			    i, in.npy, in.nnative, wrong);
	}
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("merge");
	TCase	*tc = tcase_create("merge");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_py38_shape);
	tcase_add_test(tc, test_py310_shape);
	tcase_add_test(tc, test_py311_shape);
	tcase_add_test(tc, test_py312_shape);
	tcase_add_test(tc, test_ctypes_callback);
	tcase_add_test(tc, test_sorted_key);
	tcase_add_test(tc, test_stripped);
	tcase_add_test(tc, test_entering);
	tcase_add_test(tc, test_mismatch);
	tcase_add_test(tc, test_native_cut);
	tcase_add_test(tc, test_python_cut);
	tcase_add_test(tc, test_entry_marks);
	tcase_add_test(tc, test_no_native);
	tcase_add_test(tc, test_no_python);
	tcase_add_loop_test(tc, test_classify, 0, (int)NCLASSIFY);
	tcase_add_test(tc, test_random);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
