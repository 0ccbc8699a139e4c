#!/bin/sh
# libpysig.so exports nothing but what tests/exports.allow lists.
set -u
lib="$top_builddir/.libs/libpysig.so"
echo "1..1"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
if [ ! -f "$lib" ]; then
	echo "not ok 1 - $lib exists"
	exit 0
fi
# NM may carry options (configure's is "nm -B"): split it into words.
# shellcheck disable=SC2086
if ! ${NM:-nm} -D --defined-only "$lib" >"$tmp/nm.out" ||
    ! grep -q ' T ' "$tmp/nm.out"; then
	echo "not ok 1 - exported symbols are allowed"
	echo "# ${NM:-nm} -D found no code symbols in $lib"
	exit 0
fi
awk 'NF == 3 && $2 != "A" { print $3 }' "$tmp/nm.out" |
    grep -v -e '^_init$' -e '^_fini$' -e '^_edata$' -e '^_end$' \
    -e '^__bss_start$' -e '^__asan_' -e '^__ubsan_' | sort -u >"$tmp/def"
grep -v '^#' "$top_srcdir/tests/exports.allow" | sed '/^$/d' | sort -u >"$tmp/allow"
comm -23 "$tmp/def" "$tmp/allow" >"$tmp/bad"
if [ -s "$tmp/bad" ]; then
	echo "not ok 1 - exported symbols are allowed"
	sed 's/^/# exported, not in tests\/exports.allow: /' "$tmp/bad"
else
	echo "ok 1 - exported symbols are allowed"
fi
