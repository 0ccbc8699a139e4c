/*
 * Print the CPython struct offsets that pysig's frame reader needs, computed
 * by the compiler from one interpreter's own headers.  Built and run by
 * tests/integration/layout.sh against every interpreter present, and compared
 * with the tables in src/pylayout.c.
 */

#define Py_BUILD_CORE 1
#include <Python.h>
#include <frameobject.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#if PY_VERSION_HEX >= 0x030B0000
#include <internal/pycore_frame.h>
#endif
#if PY_VERSION_HEX >= 0x03090000
#include <internal/pycore_runtime.h>
#else
#include <internal/pycore_pystate.h>
#endif
#if PY_VERSION_HEX >= 0x030C0000
#include <internal/pycore_interp.h>
#endif
#include <internal/pycore_gil.h>

int
main(void)
{
	PyASCIIObject a;
	unsigned int word;

	/* Locate the bitfields of the string state word. */
	memset(&a, 0, sizeof a);
	a.state.kind = 7;
	memcpy(&word, &a.state, sizeof word);
	printf("minor %d\n", PY_MINOR_VERSION);
	printf("uni_kind_shift %d\n", __builtin_ctz(word));
	memset(&a, 0, sizeof a);
	a.state.compact = 1;
	memcpy(&word, &a.state, sizeof word);
	printf("uni_compact_shift %d\n", __builtin_ctz(word));
	memset(&a, 0, sizeof a);
	a.state.ascii = 1;
	memcpy(&word, &a.state, sizeof word);
	printf("uni_ascii_shift %d\n", __builtin_ctz(word));

#if PY_VERSION_HEX >= 0x030C0000
	printf("runtime_tss %zu\n", offsetof(_PyRuntimeState, autoTSSkey));
#else
	printf("runtime_tss %zu\n", offsetof(_PyRuntimeState, gilstate.autoTSSkey));
#endif
	printf("ob_type %zu\n", offsetof(PyObject, ob_type));
	printf("type_dealloc %zu\n", offsetof(PyTypeObject, tp_dealloc));
	printf("var_size %zu\n", offsetof(PyVarObject, ob_size));
	printf("bytes_data %zu\n", offsetof(PyBytesObject, ob_sval));
	printf("uni_length %zu\n", offsetof(PyASCIIObject, length));
	printf("uni_hash %zu\n", offsetof(PyASCIIObject, hash));
	printf("uni_state %zu\n", offsetof(PyASCIIObject, state));
	printf("uni_ascii_size %zu\n", sizeof(PyASCIIObject));
	printf("uni_compact_size %zu\n", sizeof(PyCompactUnicodeObject));
	printf("uni_data_any %zu\n", offsetof(PyUnicodeObject, data));

	printf("code_filename %zu\n", offsetof(PyCodeObject, co_filename));
	printf("code_name %zu\n", offsetof(PyCodeObject, co_name));
	printf("code_firstlineno %zu\n", offsetof(PyCodeObject, co_firstlineno));
#if PY_VERSION_HEX >= 0x030B0000
	printf("code_qualname %zu\n", offsetof(PyCodeObject, co_qualname));
	printf("code_linetable %zu\n", offsetof(PyCodeObject, co_linetable));
	printf("code_code %zu\n", offsetof(PyCodeObject, co_code_adaptive));
#elif PY_VERSION_HEX >= 0x030A0000
	printf("code_qualname -1\n");
	printf("code_linetable %zu\n", offsetof(PyCodeObject, co_linetable));
	printf("code_code -1\n");
#else
	printf("code_qualname -1\n");
	printf("code_linetable %zu\n", offsetof(PyCodeObject, co_lnotab));
	printf("code_code -1\n");
#endif

#if PY_VERSION_HEX >= 0x030D0000
	printf("ts_frame %zu\n", offsetof(PyThreadState, current_frame));
	printf("ts_cframe -1\n");
	printf("cframe_frame -1\n");
	printf("cframe_previous -1\n");
	printf("ts_root_cframe -1\n");
#elif PY_VERSION_HEX >= 0x030B0000
	printf("ts_frame -1\n");
	printf("ts_cframe %zu\n", offsetof(PyThreadState, cframe));
	printf("cframe_frame %zu\n", offsetof(_PyCFrame, current_frame));
	printf("cframe_previous %zu\n", offsetof(_PyCFrame, previous));
	printf("ts_root_cframe %zu\n", offsetof(PyThreadState, root_cframe));
#else
	printf("ts_frame %zu\n", offsetof(PyThreadState, frame));
	printf("ts_cframe -1\n");
	printf("cframe_frame -1\n");
	printf("cframe_previous -1\n");
	printf("ts_root_cframe -1\n");
#endif

#if PY_VERSION_HEX >= 0x030B0000
	printf("frame_back %zu\n", offsetof(_PyInterpreterFrame, previous));
#if PY_VERSION_HEX >= 0x030D0000
	printf("frame_code %zu\n", offsetof(_PyInterpreterFrame, f_executable));
	printf("frame_instr %zu\n", offsetof(_PyInterpreterFrame, instr_ptr));
#else
	printf("frame_code %zu\n", offsetof(_PyInterpreterFrame, f_code));
	printf("frame_instr %zu\n", offsetof(_PyInterpreterFrame, prev_instr));
#endif
	printf("frame_lasti -1\n");
#if PY_VERSION_HEX < 0x030C0000
	printf("frame_is_entry %zu\n", offsetof(_PyInterpreterFrame, is_entry));
#else
	printf("frame_is_entry -1\n");
#endif
	printf("frame_owner %zu\n", offsetof(_PyInterpreterFrame, owner));
#else
	printf("frame_back %zu\n", offsetof(PyFrameObject, f_back));
	printf("frame_code %zu\n", offsetof(PyFrameObject, f_code));
	printf("frame_instr -1\n");
	printf("frame_lasti %zu\n", offsetof(PyFrameObject, f_lasti));
	printf("frame_is_entry -1\n");
	printf("frame_owner -1\n");
#endif

	/* The GIL: in _PyRuntime up to 3.11, the interpreter's from 3.12. */
#if PY_VERSION_HEX >= 0x030C0000
	printf("runtime_gil -1\n");
	printf("ts_interp %zu\n", offsetof(PyThreadState, interp));
	printf("interp_gil %zu\n", offsetof(PyInterpreterState, ceval.gil));
#else
	printf("runtime_gil %zu\n", offsetof(_PyRuntimeState, ceval.gil));
	printf("ts_interp -1\n");
	printf("interp_gil -1\n");
#endif
	printf("gil_locked %zu\n", offsetof(struct _gil_runtime_state, locked));
	printf("gil_holder %zu\n",
	    offsetof(struct _gil_runtime_state, last_holder));
	return 0;
}
