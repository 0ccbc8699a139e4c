#!/bin/sh
# src/pylayout.c matches the struct offsets the compiler computes from the
# headers of every CPython installed here (pyenv and Debian's python3.11).
set -u
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# name include-dir pairs, one per line
: >"$tmp/list"
for minor in 8 9 10 11 12 13; do
	found=
	for d in /root/.pyenv/versions/3.$minor.*; do
		[ -d "$d/include/python3.$minor" ] || continue
		echo "pyenv-$(basename "$d") $d/include/python3.$minor" >>"$tmp/list"
		found=1
	done
	[ -n "$found" ] || echo "pyenv-3.$minor -" >>"$tmp/list"
done
if [ -f /usr/include/python3.11/internal/pycore_frame.h ]; then
	echo "debian-3.11 /usr/include/python3.11" >>"$tmp/list"
else
	echo "debian-3.11 -" >>"$tmp/list"
fi

echo "1..$(wc -l <"$tmp/list")"
n=0
while read -r name inc; do
	n=$((n + 1))
	if [ "$inc" = - ]; then
		echo "ok $n # SKIP $name: headers not installed"
		continue
	fi
	# Debian keeps pyconfig.h under a multiarch directory.
	extra=
	for d in /usr/include/x86_64-linux-gnu/python3.11; do
		case $inc in /usr/include/*) [ -d "$d" ] && extra="-I$d" ;; esac
	done
	# shellcheck disable=SC2086
	if ! ${CC:-cc} -w -I"$inc" -I"$inc/internal" $extra \
	    -o "$tmp/dump" "$top_srcdir/tests/layout_dump.c" 2>"$tmp/cc.err"; then
		echo "not ok $n - $name: layout_dump.c does not compile"
		sed 's/^/# /' "$tmp/cc.err" | head -20
		continue
	fi
	"$tmp/dump" | sort >"$tmp/want"
	minor=$(awk '$1 == "minor" { print $2 }' "$tmp/want")
	if ! "$top_builddir/tests/layout_print" "$minor" 2>&1 | sort >"$tmp/have"; then
		echo "not ok $n - $name: 3.$minor is not in src/pylayout.c"
		continue
	fi
	if diff "$tmp/want" "$tmp/have" >"$tmp/diff"; then
		echo "ok $n - $name: src/pylayout.c matches the headers"
	else
		echo "not ok $n - $name: src/pylayout.c differs from the headers"
		sed 's/^/# /' "$tmp/diff"
	fi
done <"$tmp/list"
