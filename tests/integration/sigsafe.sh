#!/bin/sh
# The signal-context library calls nothing outside tests/sigsafe.allow.
set -u
lib="$top_builddir/.libs/libpysig_sig.a"
allow="$top_srcdir/tests/sigsafe.allow"
echo "1..2"
if [ ! -f "$lib" ]; then
	echo "not ok 1 - $lib exists"
	echo "not ok 2 - undefined symbols are allowed"
	exit 0
fi
echo "ok 1 - $lib exists"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"${NM:-nm}" -u "$lib" | awk 'NF == 2 { print $2 }' | sort -u >"$tmp/undef"
"${NM:-nm}" --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/def"
grep -v '^#' "$allow" | sed '/^$/d' | sort -u >"$tmp/allow"
# Calls between the library's own files are fine; sanitizer hooks too.
comm -23 "$tmp/undef" "$tmp/def" | grep -v -e '^__asan_' -e '^__ubsan_' \
    -e '^__sanitizer_' -e '^__tsan_' >"$tmp/ext" || true
comm -23 "$tmp/ext" "$tmp/allow" >"$tmp/bad"
if [ -s "$tmp/bad" ]; then
	echo "not ok 2 - undefined symbols are allowed"
	sed 's/^/# not in tests\/sigsafe.allow: /' "$tmp/bad"
else
	echo "ok 2 - undefined symbols are allowed ($(wc -l <"$tmp/ext") external)"
fi
