#!/bin/sh
# Seed the fuzzing corpus with real profiles: a few short runs per Python
# present (Python-only, native, threads, wall mode), each prefixed with the
# option bytes of tests/fuzz/fuzz_report.c for a few formats.
#
#   seeds.sh LIBPYSIG CORPUSDIR
#
# Interpreters: pyenv's 3.8-3.13 under $PYENV_ROOT (default /root/.pyenv) and
# /usr/bin/python3.11, those present.  The committed seeds of
# tests/fuzz/seeds/ are copied too.
set -eu

lib=$1
corpus=$2
srcdir=$(cd "$(dirname "$0")" && pwd)
pyenv=${PYENV_ROOT:-/root/.pyenv}/versions
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$corpus"
cp "$srcdir"/seeds/* "$corpus"/ 2>/dev/null || :

# A small program: a busy function, a thread, a sleep.
cat >"$tmp/prog.py" <<'EOF'
import sys, threading, time

def spin(n):
    t = 0
    for i in range(n):
        t += i * i
    return t

def worker():
    spin(200000)
    time.sleep(0.02)

th = threading.Thread(target=worker, name="worker")
th.start()
end = time.time() + float(sys.argv[1])
while time.time() < end:
    sorted(str(i) for i in range(2000))
    spin(20000)
th.join()
EOF

# The option bytes: format, flags, limit, min%, window, patterns, thread,
# copies (see fuzz_report.c).
prefixes="\000\000\005\000\000\000\000\000
\001\001\000\000\000\000\001\000
\003\000\000\000\000\000\000\000
\007\002\000\000\000\000\000\001
\011\010\000\000\000\000\000\000
\013\000\000\000\000\000\000\002"

n=0
for py in "$pyenv"/3.8*/bin/python3.8 "$pyenv"/3.9*/bin/python3.9 \
    "$pyenv"/3.1[0-3]*/bin/python3.1[0-3] /usr/bin/python3.11; do
	[ -x "$py" ] || continue
	for cfg in "PYSIG_NATIVE=0" "PYSIG_NATIVE=1" \
	    "PYSIG_MODE=wall PYSIG_NATIVE=0"; do
		n=$((n + 1))
		prof=$tmp/p$n.prof
		# shellcheck disable=SC2086
		env $cfg PYSIG_OUTPUT="$prof" PYSIG_RATE=200 PYSIG_QUIET=1 \
		    LD_PRELOAD="$lib" timeout 60 "$py" "$tmp/prog.py" 0.15 \
		    >/dev/null 2>&1 || continue
		[ -s "$prof" ] || continue
		k=0
		printf "%s\n" "$prefixes" | while IFS= read -r pre; do
			k=$((k + 1))
			{ printf "$pre"; cat "$prof"; } >"$corpus/real-$n-$k"
		done
	done
done
echo "seeds.sh: $(ls "$corpus" | wc -l) inputs in $corpus"
