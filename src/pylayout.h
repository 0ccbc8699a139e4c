/*
 * What the frame reader needs to know about one CPython minor version:
 * struct offsets (from that version's own headers, checked by
 * tests/integration/layout.sh) and how frames are linked.  Data only; the
 * walker in sample.c interprets it.
 */

#ifndef PYSIG_PYLAYOUT_H
#define PYSIG_PYLAYOUT_H

#include <stdint.h>

/* How a version links and positions its frames. */
enum pylayout_frames {
	PYFRAMES_OBJECT,	/* 3.8-3.10: PyFrameObject, f_back, f_lasti */
	PYFRAMES_INTERP,	/* 3.11+: _PyInterpreterFrame, previous */
};

/* Offsets in bytes; -1 where the field does not exist in that version. */
struct pylayout {
	int		minor;		/* 3.minor */
	int		frames;		/* enum pylayout_frames */
	int		lasti_scale;	/* f_lasti to bytes: 1 (3.8, 3.9), 2 */
	int		table_kind;	/* enum format_linetable */
	int		owner_cstack;	/* owner value of C-stack shims, or -1 */

	int		runtime_tss;	/* _PyRuntime: Py_tss_t autoTSSkey */

	int		ob_type;
	int		type_dealloc;		/* PyTypeObject.tp_dealloc */
	int		var_size;
	int		bytes_data;

	int		uni_length;
	int		uni_hash;
	int		uni_state;
	int		uni_kind_shift;
	int		uni_compact_shift;
	int		uni_ascii_shift;
	int		uni_ascii_size;		/* sizeof(PyASCIIObject) */
	int		uni_compact_size;	/* sizeof(PyCompactUnicodeObject) */
	int		uni_data_any;		/* PyUnicodeObject.data */

	int		code_filename;
	int		code_name;
	int		code_qualname;
	int		code_firstlineno;
	int		code_linetable;		/* co_lnotab before 3.10 */
	int		code_code;		/* co_code_adaptive (3.11+) */

	int		ts_frame;		/* frame (<3.11), current_frame (3.13) */
	int		ts_cframe;		/* cframe (3.11, 3.12) */
	int		cframe_frame;		/* _PyCFrame.current_frame */
	int		cframe_previous;	/* _PyCFrame.previous */
	int		ts_root_cframe;		/* root_cframe (3.11, 3.12) */

	int		frame_back;
	int		frame_code;		/* f_code, f_executable (3.13) */
	int		frame_instr;		/* prev_instr, instr_ptr (3.11+) */
	int		frame_lasti;		/* f_lasti (int, < 3.11) */
	int		frame_is_entry;		/* 3.11 */
	int		frame_owner;		/* 3.11+ */

	/* The GIL (struct _gil_runtime_state) and whose thread state holds it. */
	int		runtime_gil;		/* in _PyRuntime (< 3.12) */
	int		ts_interp;		/* PyThreadState.interp (3.12+) */
	int		interp_gil;		/* ceval.gil, a pointer (3.12+) */
	int		gil_locked;
	int		gil_holder;		/* last_holder */
};

/* The layout for CPython 3.minor, or NULL if unsupported. */
const struct pylayout	*pylayout_find(int major, int minor);
/* The supported versions as text, for messages ("3.8-3.13"). */
const char		*pylayout_supported(void);

#endif
