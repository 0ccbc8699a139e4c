#!/bin/sh
# A profiled process killed with SIGKILL after 3 s of CPU time leaves
# a profile that still reads: it has the samples flushed up to the kill
# (at least rate x (CPU time - 1 s): at most 1 s of samples lost) and no
# trailer.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

hz=$(getconf CLK_TCK)

# cpu_ticks PID: the CPU time of a process so far, in clock ticks.
# shellcheck disable=SC2317 # called by kill_one
cpu_ticks() {
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# kill_one LABEL MINOR PYTHON: three checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
kill_one() {
	d=$tmp/$1
	mkdir -p "$d/cwd" "$d/report"
	(cd "$d/cwd" && exec timeout -k 10 120 env LD_PRELOAD="$PYSIG_LIB" \
	    PYSIG_OUTPUT="$d/out.prof" "$3" "$PYDIR/kill_work.py" "$d/ready") \
	    </dev/null >"$d/stdout" 2>"$d/stderr" &
	job=$!
	i=0
	while [ ! -f "$d/ready" ] && [ "$i" -lt 300 ] &&
	    kill -0 "$job" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	ticks=0
	if [ -f "$d/ready" ]; then
		pid=$(cat "$d/ready")
		# Wait for 3 s of CPU time (utime + stime of the whole process;
		# at most 60 s of wall time), then kill.
		i=0
		while ticks=$(cpu_ticks "$pid") &&
		    [ "$ticks" -lt $((3 * hz)) ] && [ "$i" -lt 600 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$pid"
	else
		kill "$job" 2>/dev/null
	fi
	# (dash reports the killed job on the shell's stderr: not for TAP)
	wait "$job" 2>/dev/null
	echo $? >"$d/status"
	pysig_reports "$d"
	checkprof kill "$2" "$d" "$ticks" "$hz"
	tap_feed "$1" 3 "$tmp/check.out"
}

pysig_for_each_python 3 kill_one
exit 0
