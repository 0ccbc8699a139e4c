#!/bin/sh
# Soak test, not part of make check: a Python program with 8 threads runs
# for SOAK_SECONDS (default 600) under pysig in wall mode at 1000/s.  Every
# SOAK_EVERY seconds (default 5) it records the program's RSS and the
# profile's size; at the end it reports the RSS growth after warm-up
# against the sample buffer's size, the samples dropped, and how linear the
# file's growth was (R^2 of a straight line through the sizes, and the
# largest deviation from it).  Exit status 1 if RSS grew by more than the
# buffer, samples were dropped or the profile does not read.
#
# Run from the build directory after make:
#   SOAK_SECONDS=120 sh ../tests/soak.sh
# or with make's variables: make soak SOAK_SECONDS=120
set -u

: "${SOAK_SECONDS:=600}"
: "${SOAK_EVERY:=5}"
: "${SOAK_PYTHON:=python3}"
builddir=${top_builddir:-.}
lib=$builddir/.libs/libpysig.so
report=$builddir/pysig-report
if [ ! -f "$lib" ] || [ ! -x "$report" ]; then
	echo "soak: $lib or $report missing: run from the build directory" >&2
	exit 2
fi
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

cat >"$tmp/soak.py" <<'END'
import sys, threading, time

def soak_work(stop):
    x = 0
    while not stop.is_set():
        for i in range(20000):
            x = (x + i * i) % 1000003
        time.sleep(0.01)

def soak_nested(n, stop):
    if n:
        return soak_nested(n - 1, stop)
    soak_work(stop)

stop = threading.Event()
ts = [threading.Thread(target=soak_nested, args=(i * 5, stop))
      for i in range(8)]
for t in ts:
    t.start()
time.sleep(float(sys.argv[1]))
stop.set()
for t in ts:
    t.join()
END

# No timeout(1) in between: $! must be the Python process, whose RSS counts.
LD_PRELOAD=$(readlink -f "$lib") PYSIG_OUTPUT=$tmp/soak.prof PYSIG_MODE=wall \
    PYSIG_RATE=1000 "$SOAK_PYTHON" "$tmp/soak.py" "$SOAK_SECONDS" \
    2>"$tmp/stderr" &
pid=$!
start=$(date +%s)
: >"$tmp/samples"
while kill -0 "$pid" 2>/dev/null; do
	now=$(date +%s)
	if [ $((now - start)) -gt $((SOAK_SECONDS + 120)) ]; then
		echo "soak: the program did not end; killing it" >&2
		kill -9 "$pid"
	fi
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	size=$(stat -c %s "$tmp/soak.prof" 2>/dev/null)
	[ -n "$rss" ] && [ -n "$size" ] &&
	    echo "$((now - start)) $rss $size" >>"$tmp/samples"
	sleep "$SOAK_EVERY"
done
wait "$pid"
status=$?
"$report" --format=info "$tmp/soak.prof" >"$tmp/info" 2>"$tmp/info.err"
rstatus=$?

awk -v status="$status" -v rstatus="$rstatus" -v every="$SOAK_EVERY" '
FILENAME ~ /info$/ {
	split($0, kv, ": ")
	info[kv[1]] = kv[2]
	next
}
{
	n++; t[n] = $1; rss[n] = $2; size[n] = $3
}
END {
	if (n < 4) { print "soak: too few measurements"; exit 1 }
	# Warm-up: the first quarter (imports, code registry, buffers).
	w = int(n / 4) + 1
	grow = rss[n] - rss[w]
	maxrss = 0
	for (i = 1; i <= n; i++) if (rss[i] > maxrss) maxrss = rss[i]
	# Least squares of size over time, after the first measurement.
	for (i = 2; i <= n; i++) {
		sx += t[i]; sy += size[i]; sxx += t[i] * t[i]
		sxy += t[i] * size[i]; m++
	}
	b = (m * sxy - sx * sy) / (m * sxx - sx * sx)
	a = (sy - b * sx) / m
	for (i = 2; i <= n; i++) {
		e = size[i] - (a + b * t[i]); sse += e * e
		d = size[i] - sy / m; sst += d * d
		if (e < 0) e = -e
		if (e > maxdev) maxdev = e
	}
	r2 = sst > 0 ? 1 - sse / sst : 1
	buf = info["buffer_bytes"] / 1024
	printf "program exit status: %d, pysig-report status: %d\n", status, rstatus
	printf "duration: %d s, %d measurements every %d s\n", t[n], n, every
	printf "RSS: first %d KiB, after warm-up %d KiB, last %d KiB, peak %d KiB\n", rss[1], rss[w], rss[n], maxrss
	printf "RSS growth after warm-up: %d KiB (sample buffer: %d KiB)\n", grow, buf
	printf "samples: %s, written: %s, dropped: %s, overruns: %s\n", info["samples"], info["written"], info["dropped"], info["overruns"]
	printf "effective rate: %s /s per thread\n", info["effective_rate"]
	printf "file: %d bytes, growth %.0f bytes/s, R^2 %.5f, largest deviation %d bytes (%.2f%%)\n", size[n], b, r2, maxdev, 100 * maxdev / size[n]
	printf "trailer: %s\n", info["trailer"]
	bad = status != 0 || rstatus != 0 || grow > buf || info["dropped"] + 0 != 0
	print (bad ? "soak: FAIL" : "soak: ok")
	exit bad
}' "$tmp/info" "$tmp/samples"
