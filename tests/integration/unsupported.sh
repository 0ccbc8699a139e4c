#!/bin/sh
# Pythons pysig cannot read (2.7, 3.6, 3.7) get exactly one "pysig:" line
# saying so, and run as without pysig: same output, same exit status, no
# profile.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

: >"$tmp/pythons"
for v in 2.7 3.6 3.7; do
	found=-
	for p in /root/.pyenv/versions/"$v".*/bin/python"$v"; do
		[ -x "$p" ] && found=$p
	done
	echo "$v $found" >>"$tmp/pythons"
done

tap_plan $((3 * $(wc -l <"$tmp/pythons")))
while read -r v python; do
	if [ "$python" = - ]; then
		tap_skip_n 3 "$v: /root/.pyenv/versions/$v.* not installed"
		continue
	fi
	d=$tmp/$v
	pysig_run "$d/baseline" "$python" "$PYDIR/unsupported.py"
	pysig_profile "$d/preload" "$python" "$PYDIR/unsupported.py"
	checkprof unsupported 0 "$d" "$v"
	tap_feed "$v" 3 "$tmp/check.out"
done <"$tmp/pythons"
exit 0
