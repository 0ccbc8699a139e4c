#!/bin/sh
# Inputs found by fuzzing (make fuzz, tests/fuzz/fuzz_report.c) and kept in
# tests/data/fuzz: each is 8 option bytes, then a profile.  pysig-report
# reads every profile in every format and with the options the fuzzer
# varies: it must end with status 0, or 2 and one "pysig-report: FILE:"
# message, never by a signal or a timeout, and with no sanitizer report.
# A profile may name files for the symbolizer: "pysig-fifo", a FIFO in the
# working directory, must not block it.
set -u
report="$top_builddir/pysig-report"
data="$top_srcdir/tests/data/fuzz"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# The option sets: every format, then the filters and views.
cat >"$tmp/opts" <<'EOF'
--format=top
--format=tree
--format=collapsed
--format=info
--format=pstats
--format=callgrind
--format=pprof
--format=flamegraph
--format=speedscope
--format=chrome
--lines
--format=top --python-only
--format=tree --native-only --no-fold
--format=collapsed --per-thread --per-process
--format=top --since=0.1 --until=0.5 --no-idle
--format=top --gil --min-percent=1 -n 0
--format=collapsed --focus=main --exclude=lib
--format=flamegraph --icicle --thread=1
--format=top --diff=BASE
--format=collapsed --diff=BASE
--format=diffgraph --diff=BASE
EOF
nopts=$(wc -l <"$tmp/opts")
nfiles=$(ls "$data" | wc -l)
echo "1..$((nopts * nfiles))"

mkfifo "$tmp/pysig-fifo" || exit 1
cd "$tmp" || exit 1
n=0
for input in "$data"/*; do
	name=$(basename "$input")
	tail -c +9 "$input" >"$tmp/$name.prof"
	while IFS= read -r opts; do
		n=$((n + 1))
		# --diff compares the profile with itself.
		# shellcheck disable=SC2046
		set -- $(echo "$opts" | sed "s|=BASE|=$tmp/$name.prof|")
		timeout 60 "$report" -o "$tmp/out" "$@" "$tmp/$name.prof" \
		    >/dev/null 2>"$tmp/err"
		rc=$?
		why=
		if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
			why="exit status $rc"
		elif [ "$rc" -eq 2 ] &&
		    ! grep -q "^pysig-report: $tmp/$name.prof: " "$tmp/err"; then
			why="exit status 2 without a pysig-report: FILE: message"
		elif grep -q -e 'Sanitizer' -e 'runtime error:' "$tmp/err"; then
			why="a sanitizer report"
		fi
		if [ -z "$why" ]; then
			echo "ok $n - $name $opts: status $rc"
		else
			echo "not ok $n - $name $opts: $why"
			sed 's/^/# stderr: /' "$tmp/err" | head -20
		fi
	done <"$tmp/opts"
done
