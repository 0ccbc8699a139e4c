/*
 * Print pysig's own layout table for one CPython minor version, in the
 * format of tests/layout_dump.c, for tests/integration/layout.sh.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "pylayout.h"

int
main(int argc, char **argv)
{
	const struct pylayout	*l;

	if (argc != 2) {
		fprintf(stderr, "usage: layout_print MINOR\n");
		return 2;
	}
	l = pylayout_find(3, atoi(argv[1]));
	if (l == NULL) {
		fprintf(stderr, "layout_print: 3.%s not in the table\n", argv[1]);
		return 1;
	}
#define P(f)	printf(#f " %d\n", l->f)
	P(minor);
	P(uni_kind_shift);
	P(uni_compact_shift);
	P(uni_ascii_shift);
	P(runtime_tss);
	P(ob_type);
	P(type_dealloc);
	P(var_size);
	P(bytes_data);
	P(uni_length);
	P(uni_hash);
	P(uni_state);
	P(uni_ascii_size);
	P(uni_compact_size);
	P(uni_data_any);
	P(code_filename);
	P(code_name);
	P(code_firstlineno);
	P(code_qualname);
	P(code_linetable);
	P(code_code);
	P(ts_frame);
	P(ts_cframe);
	P(cframe_frame);
	P(cframe_previous);
	P(ts_root_cframe);
	P(frame_back);
	P(frame_code);
	P(frame_instr);
	P(frame_lasti);
	P(frame_is_entry);
	P(frame_owner);
	P(runtime_gil);
	P(ts_interp);
	P(interp_gil);
	P(gil_locked);
	P(gil_holder);
#undef P
	return 0;
}
