#!/bin/sh
# pysig-report's filter, window and diff options on bad values, and their
# effect on a small profile written by tests/data/mkprofile.py: usage
# errors exit 2 with a message naming the option; a corrupt --diff base is
# named with its offset; an empty window or a focus matching nothing gives
# an empty report, not an error.
set -u
report="$top_builddir/pysig-report"
mkprofile="$top_srcdir/tests/data/mkprofile.py"
python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
	echo "1..0 # SKIP $python not found"
	exit 0
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

n=0
echo "1..31"

# ok CONDITION DESCRIPTION: one TAP line.
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		sed 's/^/# stderr: /' "$tmp/err"
		sed 's/^/# stdout: /' "$tmp/out" | head -20
	fi
}

# run ARGS...: run pysig-report, status in $rc, output in $tmp/out, err.
run() {
	timeout 60 "$report" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# expect_error DESCRIPTION MESSAGE ARGS...: exit 2 and MESSAGE on stderr.
expect_error() {
	desc=$1
	msg=$2
	shift 2
	run "$@"
	[ "$rc" -eq 2 ] && grep -qF -- "$msg" "$tmp/err"
	ok $? "$desc: exit status 2 (got $rc), says '$msg'"
}

"$python" "$mkprofile" good "$tmp/good.prof" >/dev/null || exit 1
"$python" "$mkprofile" badlen "$tmp/badlen.prof" >"$tmp/badlen.mark" || exit 1
good=$tmp/good.prof

expect_error "negative --since" "--since: not a time from the profile's start" --since=-1 "$good"
expect_error "--since with a unit not known" "--since: not a time" --since=5min "$good"
expect_error "--until without a number" "--until: not a time" --until=ms "$good"
expect_error "--until before --since" "--until must be later than --since" --since=2 --until=1500ms "$good"
expect_error "bad --focus" "--focus: bad regular expression '(unclosed'" --focus='(unclosed' "$good"
expect_error "bad --exclude" "--exclude: bad regular expression '['" --exclude='[' "$good"
expect_error "--diff with tree" "--diff goes with --format=top, collapsed or diffgraph only" --diff="$good" -f tree "$good"
expect_error "--lines with collapsed" "--lines is a report of its own" --lines -f collapsed "$good"
expect_error "diffgraph without --diff" "--format=diffgraph needs --diff=BASE" -f diffgraph "$good"
expect_error "--min-percent over 100" "--min-percent: not a percentage" --min-percent=101 "$good"
f=$tmp/badlen.prof
expect_error "corrupt --diff base" "pysig-report: $f: record length 67108864 is over the 16 MiB limit: the file is corrupt (at offset $(cat "$tmp/badlen.mark"))" --diff="$f" "$good"
expect_error "missing --diff base" "pysig-report: $tmp/none.prof: No such file or directory" --diff="$tmp/none.prof" "$good"

# The profile: 40 samples every 4 ms, compute 30, main 10 (mkprofile.py).
run -f collapsed "$good"
[ "$rc" -eq 0 ] && [ "$(awk '{ n += $NF } END { print n }' "$tmp/out")" = 40 ]
ok $? "the profile has 40 samples"
cp "$tmp/out" "$tmp/all.collapsed"

run -f collapsed --focus='^compute$' "$good"
[ "$rc" -eq 0 ] && [ "$(awk '{ n += $NF } END { print n }' "$tmp/out")" = 30 ] &&
    ! grep -qv compute "$tmp/out"
ok $? "--focus=^compute$ keeps its 30 samples"

run -f collapsed --focus='app\.py:2[0-9]$' "$good"
[ "$rc" -eq 0 ] && [ "$(awk '{ n += $NF } END { print n }' "$tmp/out")" = 30 ]
ok $? "--focus on file:line keeps the 30 samples at lines 20-29"

run -f collapsed --focus=nothing-matches "$good"
[ "$rc" -eq 0 ] && [ ! -s "$tmp/out" ]
ok $? "--focus matching nothing: empty collapsed output, exit 0"

run --focus=nothing-matches "$good"
[ "$rc" -eq 0 ] && grep -q '^1 file, 0 samples (of 40; filtered)' "$tmp/out"
ok $? "--focus matching nothing: top says 0 samples of 40"

run -f collapsed --exclude=compute --exclude=main "$good"
[ "$rc" -eq 0 ] && [ ! -s "$tmp/out" ]
ok $? "two --exclude drop every stack"

run -f info --since=1000 "$good"
[ "$rc" -eq 0 ] && grep -q '^window: from 1000.000 s' "$tmp/out" &&
    grep -q '^samples_in_window: 0 of 40$' "$tmp/out"
ok $? "info: a window past the end holds 0 of 40 samples"

run -f info --until=80ms "$good"
[ "$rc" -eq 0 ] && grep -q '^window: until 0.080 s' "$tmp/out" &&
    grep -q '^samples_in_window: 19 of 40$' "$tmp/out" &&
    grep -q '^window_duration: 0.080 s$' "$tmp/out"
ok $? "info: --until=80ms holds the 19 samples at 4 to 76 ms"

run -f collapsed --since=0.1 --until=120ms "$good"
[ "$rc" -eq 0 ] && [ "$(awk '{ n += $NF } END { print n }' "$tmp/out")" = 5 ]
ok $? "--since=0.1 --until=120ms: the 5 samples at 100 to 116 ms"

run -f info --focus=compute --exclude=main "$good"
[ "$rc" -eq 0 ] && grep -q '^focus: compute$' "$tmp/out" &&
    grep -q '^exclude: main$' "$tmp/out" &&
    grep -q '^samples_kept: 0 of 40$' "$tmp/out"
ok $? "info: the filters and the samples they kept"

run -f collapsed --min-percent=50 "$good"
[ "$rc" -eq 0 ] && [ "$(wc -l <"$tmp/out")" -ge 1 ] &&
    [ "$(wc -l <"$tmp/out")" -lt "$(wc -l <"$tmp/all.collapsed")" ] &&
    awk '$NF * 100 < 50 * 40 { exit 1 }' "$tmp/out"
ok $? "--min-percent=50 leaves the stacks with half of the samples or more"

run --diff="$good" "$good"
[ "$rc" -eq 0 ] && grep -q '^base: 1 file, 40 samples' "$tmp/out" &&
    grep -Eq '^ +75\.0% +75\.0% +\+0\.0 .* compute ' "$tmp/out"
ok $? "--diff of a profile with itself: no change"

run -f collapsed --diff="$good" "$good"
[ "$rc" -eq 0 ] && awk '$(NF-1) != $NF { exit 1 } END { exit NR == 0 }' "$tmp/out"
ok $? "--diff --format=collapsed of a profile with itself: equal counts"

run -f collapsed --diff="$good" --focus=nothing "$good"
[ "$rc" -eq 0 ] && [ ! -s "$tmp/out" ]
ok $? "--diff with nothing kept on either side: empty"

run -f diffgraph --diff="$good" "$good"
[ "$rc" -eq 0 ] && "$python" -c '
import sys, xml.etree.ElementTree as E
ns = "{http://www.w3.org/2000/svg}"
rects = [g.find(ns + "rect") for g in E.parse(sys.argv[1]).getroot().iter(ns + "g")]
sys.exit(not rects or any(r.get("fill") != "rgb(221,221,221)" for r in rects))
' "$tmp/out"
ok $? "diffgraph of a profile with itself: an SVG file of grey boxes only"

# Markup characters in a name: still well-formed, the name intact.
"$python" -c '
import sys
data = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(data.replace(b"compute", b"a<&\"\x27>b"))
' "$good" "$tmp/odd.prof"
run -f diffgraph --diff="$good" "$tmp/odd.prof"
[ "$rc" -eq 0 ] && "$python" -c '
import sys, xml.etree.ElementTree as E
ns = "{http://www.w3.org/2000/svg}"
titles = [t.text for t in E.parse(sys.argv[1]).getroot().iter(ns + "title")]
sys.exit(not any(t.startswith("a<&\"\x27>b (/src/app.py:") for t in titles))
' "$tmp/out"
ok $? "diffgraph: a name with markup characters is escaped and read back"

# --lines quotes the source when it can read it, trimmed; a FIFO in its
# place is not read (nor waited on).
"$python" -c '
import sys
data = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(data.replace(b"/src/app.py", b"./source.py"))
' "$good" "$tmp/rel.prof"
mkdir "$tmp/src" "$tmp/fifo"
i=1
while [ $i -le 40 ]; do
	printf '  \t  text of line %d  \r\n' $i
	i=$((i + 1))
done >"$tmp/src/source.py"
(cd "$tmp/src" && timeout 60 "$report" --lines ../rel.prof) >"$tmp/out" 2>"$tmp/err"
line=$(sed -n 's/^ *75\.0% *30  compute (\.\/source\.py:\([0-9]*\))$/\1/p' "$tmp/out")
[ -n "$line" ] && grep -qx "                     text of line $line" "$tmp/out"
ok $? "--lines quotes compute's line $line, trimmed"
if mkfifo "$tmp/fifo/source.py" 2>/dev/null; then
	(cd "$tmp/fifo" && timeout 20 "$report" --lines ../rel.prof) >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 0 ] && [ "$(grep -c 'text of' "$tmp/out")" = 0 ] &&
	    grep -q 'compute (\./source\.py:' "$tmp/out"
	ok $? "--lines with a FIFO for the source: not read, no hang (exit $rc)"
else
	n=$((n + 1))
	echo "ok $n # SKIP mkfifo failed"
fi

run --lines "$good"
[ "$rc" -eq 0 ] && grep -Eq '^ +75\.0% +30  compute \(/src/app\.py:[0-9]+\)$' "$tmp/out"
ok $? "--lines: compute's line on top (its source is not there: not quoted)"
exit 0
