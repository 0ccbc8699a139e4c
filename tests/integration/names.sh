#!/bin/sh
# Functions of every kind are named as CPython names them: co_qualname from
# 3.11 (Class.method, outer.<locals>.inner), co_name before; lambdas,
# generators, generator expressions, coroutines, exec-generated code;
# non-ASCII names and file names come out as UTF-8.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

# names_one LABEL MINOR PYTHON: eleven checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
names_one() {
	d=$tmp/$1
	mkdir -p "$d/files"
	pysig_profile "$d" PYSIG_RATE=1000 "$3" "$PYDIR/names.py" "$d/files"
	checkprof names "$2" "$d"
	tap_feed "$1" 11 "$tmp/check.out"
}

pysig_for_each_python 11 names_one
exit 0
