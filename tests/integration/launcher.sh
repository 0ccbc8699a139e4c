#!/bin/sh
# The launcher: "pysig record" preloads the library it finds itself, sets
# the options as PYSIG_* variables and passes the program's exit status
# through; "pysig report" runs pysig-report; bad options are usage errors.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

PYSIG=$top_builddir/pysig

# launcher_one LABEL MINOR PYTHON: two checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
launcher_one() {
	d=$tmp/$1
	pysig_run "$d.rec" "$PYSIG" record -o "$d.rec/app.prof" --rate 500 \
	    --mode wall --no-native -- "$3" "$PYDIR/control.py" window 0.2 0.3
	r=$d.rec/report/app.prof
	if [ "$(cat "$d.rec/status")" = 0 ] && [ -f "$d.rec/app.prof" ] &&
	    grep -q '^mode: wall$' "$r.info" && grep -q '^rate: 500$' "$r.info" &&
	    grep -q '^native: 0$' "$r.info" && grep -q 'b_work (' "$r.collapsed"
	then
		tap_ok "$1: pysig record -o --rate 500 --mode wall --no-native"
	else
		tap_not_ok "$1: pysig record -o --rate 500 --mode wall --no-native"
		tap_diag "$d.rec/stderr"
		tap_diag "$r.info"
	fi
	pysig_run "$d.exit" "$PYSIG" record -o "$d.exit/x.prof" "$3" -c \
	    'import sys; print("hello"); sys.exit(3)'
	if [ "$(cat "$d.exit/status")" = 3 ] && [ -f "$d.exit/x.prof" ] &&
	    [ "$(cat "$d.exit/stdout")" = hello ]; then
		tap_ok "$1: the program's exit status 3 passes through"
	else
		tap_not_ok "$1: the program's exit status 3 passes through" \
		    "(got $(cat "$d.exit/status"))"
		tap_diag "$d.exit/stderr"
	fi
}

# Two checks per interpreter, then two that need none.
pysig_pythons >"$tmp/pythons"
tap_plan $((2 * $(wc -l <"$tmp/pythons") + 2))
while read -r _label _minor _python _reason; do
	if [ "$_python" = - ]; then
		tap_skip_n 2 "$_label: $_reason"
	else
		launcher_one "$_label" "$_minor" "$_python" </dev/null
	fi
done <"$tmp/pythons"
# Interpreter-independent: report, help, usage errors, a missing program.
n=$tap_n
"$PYSIG" report --format=info "$tmp"/*.rec/app.prof >"$tmp/rep.out" 2>&1
if grep -q '^format_version: ' "$tmp/rep.out"; then
	echo "ok $((n + 1)) - pysig report runs pysig-report"
else
	echo "not ok $((n + 1)) - pysig report runs pysig-report"
	tap_diag "$tmp/rep.out"
fi
"$PYSIG" --help >"$tmp/help" 2>&1
s1=$?
"$PYSIG" record --rate 0 -- true >/dev/null 2>"$tmp/bad"
s2=$?
"$PYSIG" record --mode=idle -- true >/dev/null 2>>"$tmp/bad"
s3=$?
"$PYSIG" record -- /nonexistent/program >/dev/null 2>>"$tmp/bad"
s4=$?
if [ $s1 = 0 ] && grep -q 'pysig record' "$tmp/help" && [ $s2 = 2 ] &&
    [ $s3 = 2 ] && [ $s4 = 127 ]; then
	echo "ok $((n + 2)) - --help 0, bad --rate and --mode 2, missing program 127"
else
	echo "not ok $((n + 2)) - --help 0, bad --rate and --mode 2, missing program 127 ($s1 $s2 $s3 $s4)"
	tap_diag "$tmp/bad"
fi
exit 0
