#!/bin/sh
# Security: a symlink planted at the output path is not followed; the
# profile's mode is no wider than the umask allows (077 gives 0600); a
# child process inherits none of pysig's descriptors; a set-group-ID copy
# of the interpreter (secure-execution mode, AT_SECURE) is left alone; an
# empty PYSIG_* value counts as unset; a FIFO or a device at the output
# path is opened without blocking and never replaced by a file.  (Bad values of every variable:
# config.sh and control.sh.)
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require
CHECKFAULTS=$PYDIR/checkfaults.py

# security_one LABEL MINOR PYTHON: seven checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
security_one() {
	d=$tmp/$1
	w=$PYDIR/security.py
	pysig_run "$d/base" "$3" "$w"
	mkdir -p "$d/symlink"
	echo precious >"$d/symlink/victim"
	ln -s victim "$d/symlink/out.prof"
	pysig_profile "$d/symlink" PYSIG_QUIET=1 "$3" "$w"
	pysig_profile_after "$d/umask077" umask 077 PYSIG_QUIET=1 "$3" "$w"
	pysig_profile_after "$d/umask022" umask 022 PYSIG_QUIET=1 "$3" "$w"
	# A set-group-ID copy run by its owner: AT_SECURE without giving up
	# the right to read the interpreter's files.
	mkdir -p "$d/setuid"
	if [ "$(id -u)" != 0 ]; then
		echo "making a set-group-ID program needs root" >"$d/setuid/skip"
	elif ! cp "$3" "$d/setuid/python" ||
	    ! chgrp nogroup "$d/setuid/python" ||
	    ! chmod 2755 "$d/setuid/python"; then
		echo "cannot make a set-group-ID copy of $3" >"$d/setuid/skip"
	else
		pysig_run "$d/setuid_base" "$d/setuid/python" "$w"
		pysig_profile "$d/setuid" "$d/setuid/python" "$w"
		grep -q '^AT_SECURE 1$' "$d/setuid_base/stdout" ||
		    echo "the set-group-ID copy does not run with AT_SECURE" \
		    "(a nosuid mount?)" >"$d/setuid/skip"
	fi
	pysig_profile "$d/empty" PYSIG_RATE= PYSIG_MAX_DEPTH= PYSIG_DURATION= \
	    "$3" "$w"
	# A FIFO nobody reads and (as root) a copy of /dev/null at the path.
	mkdir -p "$d/fifo" "$d/device"
	mkfifo "$d/fifo/out.prof"
	pysig_profile "$d/fifo" PYSIG_QUIET=1 "$3" "$w"
	if [ "$(id -u)" = 0 ] && mknod "$d/device/out.prof" c 1 3; then
		pysig_profile "$d/device" PYSIG_QUIET=1 "$3" "$w"
	fi
	"$CHECK_PYTHON" "$CHECKFAULTS" security "$2" "$d" >"$tmp/check.out" 2>&1
	tap_feed "$1" 7 "$tmp/check.out"
}

pysig_for_each_python 7 security_one
exit 0
