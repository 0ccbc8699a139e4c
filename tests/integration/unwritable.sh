#!/bin/sh
# An output that cannot be written: a path that is a directory, a
# read-only directory, a file size limit (ulimit -f) below the header and
# one above it, a full tmpfs.  The program's exit status, stdout and
# stderr stay as without pysig, plus exactly one "pysig:" line; where the
# header fits, the profile reads and says in write_errors that data was
# lost.  (A missing directory: config.sh.)
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require
CHECKFAULTS=$PYDIR/checkfaults.py
CASES=isdir,readonly,header,fsize,tmpfs
mounts=

# Unmount what mount_tmpfs mounted, then remove the test's files.
# shellcheck disable=SC2317 # called by the trap
unwritable_cleanup() {
	for _m in $mounts; do
		umount "$_m"
	done
	rm -rf "$tmp"
}
trap unwritable_cleanup EXIT

# mount_tmpfs DIR OPTIONS: mount a tmpfs at DIR; or write why not to
# DIR/../skip and fail.
# shellcheck disable=SC2317 # called by unwritable_one
mount_tmpfs() {
	mkdir -p "$1"
	if [ "$(id -u)" != 0 ]; then
		echo "mounting a tmpfs needs root" >"$1/../skip"
		return 1
	fi
	if ! mount -t tmpfs -o "$2" pysig-test "$1" 2>"$1/../skip"; then
		echo "mount -t tmpfs not permitted: $(cat "$1/../skip")" \
		    >"$1/../skip"
		return 1
	fi
	rm -f "$1/../skip"
	mounts="$mounts $1"
}

# unwritable_one LABEL MINOR PYTHON: five checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
unwritable_one() {
	d=$tmp/$1
	w=$PYDIR/exits.py
	pysig_run "$d/base" "$3" "$w" sysexit
	pysig_profile "$d/isdir" PYSIG_OUTPUT="$d" "$3" "$w" sysexit
	mkdir -p "$d/readonly"
	if [ "$(id -u)" = 0 ]; then
		# Permissions do not stop root: a read-only file system does.
		mount_tmpfs "$d/readonly/ro" ro,size=16k &&
		    pysig_profile "$d/readonly" \
		    PYSIG_OUTPUT="$d/readonly/ro/out.prof" "$3" "$w" sysexit
	else
		mkdir -p "$d/readonly/ro" && chmod 555 "$d/readonly/ro"
		pysig_profile "$d/readonly" \
		    PYSIG_OUTPUT="$d/readonly/ro/out.prof" "$3" "$w" sysexit
	fi
	# In 512-byte blocks (POSIX sh): 512 bytes, less than the header;
	# 3 KiB, room for the header, not for the samples.
	pysig_profile_after "$d/header" 'ulimit -f' 1 "$3" "$w" sysexit
	pysig_profile_after "$d/fsize" 'ulimit -f' 6 "$3" "$w" sysexit
	mkdir -p "$d/tmpfs"
	if mount_tmpfs "$d/tmpfs/mnt" size=4k; then
		# 1000/s in wall mode: more samples than 4 KiB hold.
		pysig_profile "$d/tmpfs" PYSIG_OUTPUT="$d/tmpfs/mnt/out.prof" \
		    PYSIG_RATE=1000 PYSIG_MODE=wall "$3" "$w" sysexit
		# Report it where the checker looks.
		cp "$d/tmpfs/mnt/out.prof" "$d/tmpfs/" 2>/dev/null
		pysig_reports "$d/tmpfs"
	fi
	"$CHECK_PYTHON" "$CHECKFAULTS" unwritable "$2" "$d" "$CASES" \
	    >"$tmp/check.out" 2>&1
	tap_feed "$1" 5 "$tmp/check.out"
}

pysig_for_each_python 5 unwritable_one
exit 0
