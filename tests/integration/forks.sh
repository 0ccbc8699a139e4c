#!/bin/sh
# Every Python process of a tree writes its own complete profile: children
# made by os.fork, multiprocessing (fork, forkserver, spawn) and subprocess;
# PYSIG_FOLLOW=0 leaves them unprofiled; "%p" in PYSIG_OUTPUT; and
# pysig-report --per-process merges the files under a root per process.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

WORK=$PYDIR/forks.py
CHECKER=$PYDIR/checkforks.py

# forks_one LABEL MINOR PYTHON: eight checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
forks_one() {
	d=$tmp/$1
	pysig_profile "$d.osfork" PYSIG_QUIET=1 "$3" "$WORK" osfork
	for m in fork forkserver spawn; do
		pysig_profile "$d.mp-$m" PYSIG_QUIET=1 "$3" "$WORK" mp "$m"
	done
	pysig_profile "$d.sub" PYSIG_QUIET=1 "$3" "$WORK" subprocess
	pysig_profile "$d.nofollow" PYSIG_QUIET=1 PYSIG_FOLLOW=0 "$3" "$WORK" \
	    osfork
	pysig_profile "$d.pattern" PYSIG_QUIET=1 PYSIG_OUTPUT="$d.pattern/p%p.prof" \
	    "$3" "$WORK" osfork
	"$CHECK_PYTHON" "$CHECKER" "$2" "$d" "$PYSIG_REPORT" \
	    >"$tmp/check.out" 2>&1
	tap_feed "$1" 8 "$tmp/check.out"
}

pysig_for_each_python 8 forks_one
exit 0
