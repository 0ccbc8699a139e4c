#!/bin/sh
# pysig-report on bad input: missing, empty, foreign, newer, cut short and
# corrupt profiles.  Errors exit 2 with "pysig-report: FILE: ... (at offset
# N)"; a profile cut short is reported with a warning and exit 0; nothing
# ends in a signal.  Profiles are written by tests/data/mkprofile.py, an
# encoder independent of the writer.
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
echo "1..34"

# ok CONDITION DESCRIPTION: one TAP line.
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		sed 's/^/# stderr: /' "$tmp/err"
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
	[ "$rc" -eq 2 ]
	ok $? "$desc: exit status 2 (got $rc)"
	grep -qF -- "$msg" "$tmp/err"
	ok $? "$desc: says '$msg'"
}

"$python" "$mkprofile" good "$tmp/good.prof" >"$tmp/good.mark" || exit 1
"$python" "$mkprofile" newer "$tmp/newer.prof" >/dev/null || exit 1
"$python" "$mkprofile" badlen "$tmp/badlen.prof" >"$tmp/badlen.mark" || exit 1
"$python" "$mkprofile" shortrec "$tmp/short.prof" >"$tmp/short.mark" || exit 1
"$python" "$mkprofile" undefined "$tmp/undef.prof" >"$tmp/undef.mark" || exit 1

# A good profile first, so the failures below mean something.
run "$tmp/good.prof"
[ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ]
ok $? "a good profile: exit 0, nothing on stderr"
grep -q '^ *75\.0% .* compute  */src/app.py:20$' "$tmp/out"
ok $? "a good profile: compute on top"

f="$tmp/missing.prof"
expect_error "missing file" "pysig-report: $f: No such file or directory" "$f"

f="$tmp/empty.prof"
: >"$f"
expect_error "empty file" "pysig-report: $f: empty file, not a pysig profile (at offset 0)" "$f"

f="$tmp/text.prof"
printf 'import os\nprint("hello")\n' >"$f"
expect_error "not a profile" "pysig-report: $f: not a pysig profile (at offset 0)" "$f"

f="$tmp/newer.prof"
expect_error "newer major version" "pysig-report: $f: format version 2.0 is newer than this pysig-report supports (1.x) (at offset 8)" "$f"

f="$tmp/badlen.prof"
expect_error "record length over 16 MiB" "pysig-report: $f: record length 67108864 is over the 16 MiB limit: the file is corrupt (at offset $(cat "$tmp/badlen.mark"))" "$f"

f="$tmp/short.prof"
expect_error "record too short for its fields" "pysig-report: $f: SAMPLE record: bad or missing field (at offset $(cat "$tmp/short.mark"))" "$f"

f="$tmp/undef.prof"
expect_error "undefined stack id" "pysig-report: $f: sample refers to stack id 9, which is not defined (at offset $(cat "$tmp/undef.mark"))" "$f"

# Cut inside the trailer: a warning, the samples before it, exit 0.
f="$tmp/cut.prof"
mark=$(cat "$tmp/good.mark")
head -c $((mark + 3)) "$tmp/good.prof" >"$f"
run "$f"
[ "$rc" -eq 0 ]
ok $? "truncated profile: exit status 0 (got $rc)"
grep -qF "pysig-report: warning: $f: truncated at offset $mark; reporting the 40 samples before it" "$tmp/err"
ok $? "truncated profile: warning names the file, offset and samples"
grep -q 'compute' "$tmp/out"
ok $? "truncated profile: still reported"
run -f info "$f"
grep -qx "truncated_at: $mark" "$tmp/out" &&
    grep -qx "trailer: no (process did not exit cleanly)" "$tmp/out"
ok $? "truncated profile: info says where and that there is no trailer"

# Cut inside the file header: an error, not a crash.
f="$tmp/cut16.prof"
head -c 10 "$tmp/good.prof" >"$f"
expect_error "file header cut short" "pysig-report: $f: file header cut short after 10 bytes (at offset 0)" "$f"

# Several files: one bad one fails the run.
expect_error "bad file among good ones" "pysig-report: $tmp/text.prof: not a pysig profile" "$tmp/good.prof" "$tmp/text.prof"

# Usage errors.
run
[ "$rc" -eq 2 ] && grep -q -- "--help" "$tmp/err"
ok $? "no file: exit 2 with a hint to --help"
run -f bogus "$tmp/good.prof"
[ "$rc" -eq 2 ] && grep -q "unknown format 'bogus'" "$tmp/err" &&
    grep -q -- "--help" "$tmp/err"
ok $? "unknown format: exit 2 with a hint to --help"
run -n -3 "$tmp/good.prof"
[ "$rc" -eq 2 ] && grep -q -- "--help" "$tmp/err"
ok $? "negative limit: exit 2"
run --no-such-option "$tmp/good.prof"
[ "$rc" -eq 2 ] && grep -q -- "--help" "$tmp/err"
ok $? "unknown option: exit 2"
run --min-percent=150 -f tree "$tmp/good.prof"
[ "$rc" -eq 2 ]
ok $? "--min-percent over 100: exit 2"
run -o "$tmp/no/such/dir/out.txt" "$tmp/good.prof"
[ "$rc" -eq 2 ] && grep -qF "$tmp/no/such/dir/out.txt: No such file or directory" "$tmp/err"
ok $? "unwritable output: exit 2 naming it"
run -o "$tmp/out.txt" "$tmp/text.prof"
[ "$rc" -eq 2 ] && [ ! -e "$tmp/out.txt" ]
ok $? "a bad profile does not create the output file"
run --help
[ "$rc" -eq 0 ] && grep -q '^Usage: pysig-report' "$tmp/out" &&
    grep -q -- '--min-percent' "$tmp/out"
ok $? "--help: usage on stdout, exit 0"
run -V
[ "$rc" -eq 0 ] && grep -q '^pysig-report [0-9]' "$tmp/out"
ok $? "--version: exit 0"

# Random damage to a good profile: exit 0 or 2, never a signal.
fails=0
i=0
size=$(wc -c <"$tmp/good.prof")
while [ $i -lt 100 ]; do
	"$python" - "$tmp/good.prof" "$tmp/damaged.prof" "$i" <<'PY'
import random, sys
data = bytearray(open(sys.argv[1], "rb").read())
rnd = random.Random(int(sys.argv[3]))
for _ in range(rnd.randint(1, 4)):
    data[rnd.randrange(16, len(data))] = rnd.randrange(256)
if rnd.random() < 0.3:
    data = data[:rnd.randrange(16, len(data))]
open(sys.argv[2], "wb").write(data)
PY
	for fmt in top tree collapsed info; do
		run -f $fmt "$tmp/damaged.prof"
		if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
			fails=$((fails + 1))
			echo "# damaged profile $i, -f $fmt: exit status $rc"
		fi
	done
	i=$((i + 1))
done
: >"$tmp/err"
[ "$fails" -eq 0 ]
ok $? "100 damaged profiles of $size bytes: exit 0 or 2, never a signal"
