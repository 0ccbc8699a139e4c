#!/bin/sh
# Native stacks merged with the Python stacks: C code that runs between two
# Python frames is shown between them (libc's qsort calling a ctypes
# callback, a C extension built here calling back into Python, the list
# sort calling a key function), C code called by a Python function sits
# right under it (the extension's static function by name and line, numpy),
# --python-only and --native-only give one kind of frame each, nearly every
# sample merges, and PYSIG_NATIVE=0 records no native frames.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require
# The default reports of this test are the mixed view.
PYSIG_REPORT_VIEW=

EXT_SRC=$top_srcdir/tests/integration/ext/pysigext.c
# CPU seconds of each workload, sampled at up to 1000/s (the kernel's
# tick may allow fewer: 250/s gives about 375 samples), so that the 1%
# bound on merge_mismatch is not missed by chance on a few samples.
SECONDS_EACH=1.5
RATE=1000

# native_build_ext DIR PYTHON: build the extension for PYTHON as
# DIR/extmod/pysigext.so, or say in DIR/ext.skip why it cannot be built.
# Missing headers or compiler skip its checks; a failed build fails them
# (the workload cannot import it).
# shellcheck disable=SC2317 # called by native_one
native_build_ext() {
	_inc=$("$2" -c 'import sysconfig; print(sysconfig.get_paths()["include"])' \
	    2>/dev/null)
	if [ -z "$_inc" ] || [ ! -f "$_inc/Python.h" ]; then
		echo "no ${_inc:-include directory}/Python.h to build the" \
		    "extension (install this Python's headers)" >"$1/ext.skip"
		return 0
	fi
	_cc=${CC:-cc}
	if ! command -v "${_cc%% *}" >/dev/null 2>&1; then
		echo "no C compiler ($_cc) to build the extension" >"$1/ext.skip"
		return 0
	fi
	mkdir -p "$1/extmod"
	# shellcheck disable=SC2086 # CC may hold options
	if ! $_cc -shared -fPIC -g -O2 -I"$_inc" \
	    -o "$1/extmod/pysigext.so" "$EXT_SRC" >"$1/cc.log" 2>&1; then
		echo "# building pysigext.c against $_inc failed:"
		tap_diag "$1/cc.log"
	fi
	return 0
}

# native_views DIR: the --python-only and --native-only reports of
# DIR/out.prof, as report/out.prof.python-only.{collapsed,info} and so on.
# shellcheck disable=SC2317 # called by native_one
native_views() {
	[ -f "$1/out.prof" ] || return 0
	for _view in python-only native-only; do
		_b=$1/report/out.prof.$_view
		for _fmt in collapsed info; do
			timeout -k 10 120 "$PYSIG_REPORT" --format="$_fmt" \
			    --"$_view" "$1/out.prof" >"$_b.$_fmt" 2>"$_b.$_fmt.err"
			echo $? >"$_b.$_fmt.status"
		done
	done
}

# native_profile DIR PYTHON WORKLOAD ARGS...: profile one workload of
# py/native_WORKLOAD.py and make its extra views.
# shellcheck disable=SC2317 # called by native_one
native_profile() {
	_d=$1
	_py=$2
	_w=$3
	shift 3
	pysig_profile "$_d" PYSIG_RATE="$RATE" "$_py" "$PYDIR/native_$_w.py" "$@"
	native_views "$_d"
}

# native_one LABEL MINOR PYTHON: fifteen checks (see checkprof.py's
# check_native).
# shellcheck disable=SC2317 # called by pysig_for_each_python
native_one() {
	d=$tmp/$1
	mkdir -p "$d"
	native_profile "$d/ctypes" "$3" ctypes "$SECONDS_EACH"
	native_build_ext "$d" "$3"
	[ -f "$d/ext.skip" ] ||
	    native_profile "$d/ext" "$3" ext "$d/extmod" "$SECONDS_EACH"
	native_profile "$d/sort" "$3" sort "$SECONDS_EACH"
	if timeout -k 10 60 "$3" -c 'import numpy' >/dev/null 2>&1; then
		native_profile "$d/numpy" "$3" numpy "$SECONDS_EACH"
	else
		echo "import numpy fails with $3" >"$d/numpy.skip"
	fi
	pysig_profile "$d/nonative" PYSIG_RATE="$RATE" PYSIG_NATIVE=0 "$3" \
	    "$PYDIR/native_ctypes.py" 0.5
	checkprof native "$2" "$d" "$EXT_SRC"
	tap_feed "$1" 15 "$tmp/check.out"
}

pysig_for_each_python 15 native_one
exit 0
