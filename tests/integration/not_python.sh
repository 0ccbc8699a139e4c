#!/bin/sh
# Programs that are not Python, run with LD_PRELOAD=libpysig.so, are left
# alone: same exit status and output, nothing on stderr, no file created.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

# Each case: a name, then the command (run by sh -c).
cat >"$tmp/cases" <<'END'
sh-c echo "from sh"; exit 7
ls ls -a /
true true
loop i=0; while [ $i -lt 200000 ]; do i=$((i + 1)); done; echo "$i"
pipeline seq 1 50000 | sort -r | head -n 3
END

tap_plan $((3 * $(wc -l <"$tmp/cases")))
while read -r name command; do
	d=$tmp/$name
	pysig_run "$d.base" sh -c "$command"
	pysig_run "$d.pre" env LD_PRELOAD="$PYSIG_LIB" sh -c "$command"
	checkprof not_python 0 "$tmp" "$name"
	tap_feed "not Python" 3 "$tmp/check.out"
done <"$tmp/cases"
exit 0
