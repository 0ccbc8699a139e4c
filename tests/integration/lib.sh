# Shared by the integration tests; sourced, not run.
#
# Each test runs real Python programs (tests/integration/py/) under
# libpysig.so, once per interpreter found, and prints TAP.  Running is done
# here in shell; the assertions are made by py/checkprof.py, which prints one
# "ok <what>" / "not ok <what>" / "skip <why>" line per check.  tap_feed
# numbers those lines and prefixes the interpreter's label.

set -u

: "${top_srcdir:?run the integration tests through make check}"
: "${top_builddir:?run the integration tests through make check}"

PYSIG_LIB=$top_builddir/.libs/libpysig.so
PYSIG_REPORT=$top_builddir/pysig-report
PYDIR=$top_srcdir/tests/integration/py
CHECKPROF=$PYDIR/checkprof.py

# Nothing from the caller's environment may change what a test sees.
unset LD_PRELOAD PYSIG_OUTPUT PYSIG_RATE PYSIG_MAX_DEPTH PYSIG_QUIET PYSIG_MODE \
    PYSIG_ROOT_PID PYTHONPATH PYTHONHOME PYTHONSTARTUP PYTHONUTF8
# Importing must not write __pycache__ next to the sources (distcheck makes
# them read-only; make dist would ship them).
PYTHONDONTWRITEBYTECODE=1
PYTHONIOENCODING=utf-8
export PYTHONDONTWRITEBYTECODE PYTHONIOENCODING

tap_n=0

# Print a plan, the number of checks this file will report.
tap_plan() {
	echo "1..$1"
}

# One passing or failing check; diagnostics follow as "# " lines.
tap_ok() {
	tap_n=$((tap_n + 1))
	printf 'ok %d - %s\n' "$tap_n" "$*"
}
tap_not_ok() {
	tap_n=$((tap_n + 1))
	printf 'not ok %d - %s\n' "$tap_n" "$*"
}
tap_skip() {
	tap_n=$((tap_n + 1))
	printf 'ok %d # SKIP %s\n' "$tap_n" "$*"
}

# tap_skip_n COUNT REASON: skip COUNT checks for the same reason.
tap_skip_n() {
	_i=0
	while [ "$_i" -lt "$1" ]; do
		tap_skip "$2"
		_i=$((_i + 1))
	done
}

# tap_diag FILE: show up to 40 lines of FILE as TAP diagnostics.
tap_diag() {
	[ -s "$1" ] && head -n 40 "$1" | sed 's/^/# /'
	return 0
}

# tap_feed LABEL COUNT FILE: turn checkprof.py's output into COUNT numbered
# TAP lines.  If the checker printed fewer (it crashed), the rest fail.
tap_feed() {
	_fed=0
	while IFS= read -r _line; do
		case $_line in
		'not ok '*)
			[ "$_fed" -lt "$2" ] || { printf '# extra: %s\n' "$_line"; continue; }
			tap_not_ok "$1: ${_line#not ok }"
			_fed=$((_fed + 1))
			;;
		'ok '*)
			[ "$_fed" -lt "$2" ] || { printf '# extra: %s\n' "$_line"; continue; }
			tap_ok "$1: ${_line#ok }"
			_fed=$((_fed + 1))
			;;
		'skip '*)
			[ "$_fed" -lt "$2" ] || { printf '# extra: %s\n' "$_line"; continue; }
			tap_skip "$1: ${_line#skip }"
			_fed=$((_fed + 1))
			;;
		'#'*)
			printf '%s\n' "$_line"
			;;
		*)
			printf '# %s\n' "$_line"
			;;
		esac
	done <"$3"
	while [ "$_fed" -lt "$2" ]; do
		tap_not_ok "$1: checkprof.py gave no result (see above)"
		_fed=$((_fed + 1))
	done
}

# The Python that runs checkprof.py (never profiled): PYSIG_CHECK_PYTHON,
# else the first Python 3.8+ found.
pysig_checker_python() {
	for _p in ${PYSIG_CHECK_PYTHON:-} /usr/bin/python3 \
	    /root/.pyenv/versions/3.1[0-9].*/bin/python3 python3; do
		if command -v "$_p" >/dev/null 2>&1 &&
		    "$_p" -c 'import sys; sys.exit(sys.version_info < (3, 8))' \
		    >/dev/null 2>&1; then
			echo "$_p"
			return 0
		fi
	done
	return 1
}

# Exit after a one-line plan if the build or a checker Python is missing.
# A missing build is a failure, not a skip: make check always builds it.
pysig_require() {
	if [ ! -f "$PYSIG_LIB" ] || [ ! -x "$PYSIG_REPORT" ]; then
		tap_plan 1
		tap_not_ok "$PYSIG_LIB and $PYSIG_REPORT are built"
		exit 0
	fi
	if ! CHECK_PYTHON=$(pysig_checker_python); then
		echo "1..0 # SKIP no Python 3.8+ to run checkprof.py"
		exit 0
	fi
	tmp=$(mktemp -d) || exit 1
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 1' HUP INT TERM
}

# The interpreters to test, one per line: "label minor path", or
# "label minor -" and the reason it is missing after a tab.  Each pyenv
# 3.8-3.13 (shared libpython), Debian's python3.11 (static libpython), and
# the system python3 when it is another supported version (other
# distributions).
pysig_pythons() {
	for _minor in 8 9 10 11 12 13; do
		_found=
		for _p in /root/.pyenv/versions/3."$_minor".*/bin/python3."$_minor"; do
			[ -x "$_p" ] && _found=$_p
		done
		if [ -n "$_found" ]; then
			echo "3.$_minor $_minor $_found"
		else
			printf '3.%s %s -\t%s\n' "$_minor" "$_minor" \
			    "/root/.pyenv/versions/3.$_minor.* not installed"
		fi
	done
	if [ -x /usr/bin/python3.11 ]; then
		echo "debian-3.11 11 /usr/bin/python3.11"
	else
		printf 'debian-3.11 11 -\t%s\n' "/usr/bin/python3.11 not installed"
	fi
	_sys=$(readlink -f /usr/bin/python3 2>/dev/null) || return 0
	case $_sys in
	*/python3.8 | */python3.9 | */python3.1[0-3])
		[ "$_sys" = /usr/bin/python3.11 ] ||
		    echo "system-${_sys##*/python} ${_sys##*/python3.} $_sys"
		;;
	esac
}

# pysig_for_each_python COUNT FUNCTION: print the plan (COUNT checks per
# interpreter), then call "FUNCTION label minor python" for each present
# interpreter and skip COUNT checks for each missing one.  FUNCTION reports
# exactly COUNT checks.
pysig_for_each_python() {
	pysig_pythons >"$tmp/pythons"
	tap_plan $(($1 * $(wc -l <"$tmp/pythons")))
	while read -r _label _minor _python _reason; do
		if [ "$_python" = - ]; then
			tap_skip_n "$1" "$_label: $_reason"
		else
			"$2" "$_label" "$_minor" "$_python" </dev/null
		fi
	done <"$tmp/pythons"
}

# pysig_hang_dump PGID: the state of every thread of every process in
# process group PGID, and their stacks when gdb is installed: what a run
# that hangs was waiting for.
pysig_hang_dump() {
	for _s in /proc/[0-9]*/stat; do
		# Field 5 of stat, counted after the command name in parentheses.
		_g=$(sed 's/.*) //' "$_s" 2>/dev/null | cut -d' ' -f3)
		[ "$_g" = "$1" ] || continue
		_p=${_s#/proc/}
		_p=${_p%/stat}
		[ "$(cat "/proc/$_p/comm" 2>/dev/null)" = timeout ] && continue
		echo "process $_p: $(tr '\0' ' ' <"/proc/$_p/cmdline" 2>/dev/null)"
		for _t in /proc/"$_p"/task/*; do
			echo "  task ${_t##*/}: state" \
			    "$(sed 's/.*) //' "$_t/stat" 2>/dev/null | cut -d' ' -f1)," \
			    "wchan $(cat "$_t/wchan" 2>/dev/null)," \
			    "syscall $(cat "$_t/syscall" 2>/dev/null)"
		done
		if command -v gdb >/dev/null 2>&1; then
			timeout -k 5 60 gdb -nx -batch -p "$_p" \
			    -ex 'thread apply all bt' 2>&1 |
			    grep -E '^(Thread |#)' | cut -c1-200
		fi
	done
}

# pysig_run DIR COMMAND...: run COMMAND with the working directory DIR/cwd
# (created empty), stdout, stderr and exit status saved in DIR, under a
# 120 s timeout; then report every profile DIR/*.prof* into DIR/report/.
# A run still going after 100 s leaves DIR/hang.txt (pysig_hang_dump of
# timeout's process group) for the checkers to show.
pysig_run() {
	_d=$1
	shift
	mkdir -p "$_d/cwd" "$_d/report"
	(cd "$_d/cwd" && exec timeout -k 10 120 "$@") </dev/null >"$_d/stdout" \
	    2>"$_d/stderr" &
	_run=$!
	(
		sleep 100 &
		_sleep=$!
		trap 'kill $_sleep 2>/dev/null; exit 0' TERM
		wait $_sleep
		pysig_hang_dump "$_run" >"$_d/hang.txt" 2>&1
	) </dev/null >/dev/null 2>&1 &
	_watch=$!
	wait "$_run"
	echo $? >"$_d/status"
	kill "$_watch" 2>/dev/null
	wait "$_watch" 2>/dev/null
	pysig_reports "$_d"
}

# pysig_profile DIR [VAR=value...] PYTHON ARGS...: pysig_run with
# LD_PRELOAD and PYSIG_OUTPUT=DIR/out.prof on the Python process only (env
# applies the assignments in order, so a later PYSIG_OUTPUT wins).
pysig_profile() {
	_d=$1
	shift
	pysig_run "$_d" env LD_PRELOAD="$PYSIG_LIB" PYSIG_OUTPUT="$_d/out.prof" "$@"
}

# pysig_profile_after DIR SETUP ARG [VAR=value...] PYTHON ARGS...:
# pysig_profile, the shell that runs Python first running "SETUP ARG" (a
# limit: 'ulimit -f' 6, 'umask' 077).
pysig_profile_after() {
	_d=$1
	_s=$2
	_a=$3
	shift 3
	pysig_run "$_d" sh -c "$_s"' "$0" && exec "$@"' "$_a" \
	    env LD_PRELOAD="$PYSIG_LIB" PYSIG_OUTPUT="$_d/out.prof" "$@"
}

# pysig_reports DIR: for each profile F in DIR, write report/F.collapsed and
# report/F.info with the exit status and stderr of pysig-report beside them.
# The view is PYSIG_REPORT_VIEW: --python-only unless a test sets it (to ""
# for the mixed native+Python view): most tests are about Python frames.
pysig_reports() {
	for _f in "$1"/*.prof "$1"/*.prof.*; do
		[ -f "$_f" ] || continue
		_b=$1/report/${_f##*/}
		for _fmt in collapsed info; do
			# shellcheck disable=SC2086 # an option or nothing
			timeout -k 10 120 "$PYSIG_REPORT" --format="$_fmt" \
			    ${PYSIG_REPORT_VIEW---python-only} "$_f" \
			    >"$_b.$_fmt" 2>"$_b.$_fmt.err"
			echo $? >"$_b.$_fmt.status"
		done
	done
}

# checkprof TEST ARGS...: run the checker, its output into $tmp/check.out.
checkprof() {
	"$CHECK_PYTHON" "$CHECKPROF" "$@" >"$tmp/check.out" 2>&1
	return 0
}
