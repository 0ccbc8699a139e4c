#!/bin/sh
# Build pysig and try it, on a fresh Debian 12 or Ubuntu machine.
#
#   ./quickstart.sh          install what is missing, build, profile
#                            examples/demo.py and print the report
#   ./quickstart.sh check    the same set-up, then the whole make check
#
# Safe to run again: installed packages, the generated configure script and
# a configured build directory are reused; make rebuilds what changed.
#
# Environment:
#   PYSIG_BUILD_DIR         build directory (default: build, in the source tree)
#   PYSIG_CONFIGURE_FLAGS   extra configure arguments (.ci/run: --enable-werror);
#                           a change re-runs configure
#   PYTHON                  interpreter for the demo (default: /usr/bin/python3)
set -eu

srcdir=$(cd "$(dirname "$0")" && pwd)
builddir=${PYSIG_BUILD_DIR:-$srcdir/build}
# A source tree configured in place cannot also be built elsewhere.
if [ -z "${PYSIG_BUILD_DIR:-}" ] && [ -f "$srcdir/config.status" ]; then
	builddir=$srcdir
fi
flags=${PYSIG_CONFIGURE_FLAGS:-}
mode=${1:-demo}

say() {
	printf '==> %s\n' "$*"
}

die() {
	printf 'quickstart.sh: %s\n' "$*" >&2
	exit 1
}

case $mode in
demo | check) ;;
*)
	die "usage: $0 [check]"
	;;
esac

# Packages needed to build and test (Debian and Ubuntu names).
packages="build-essential autoconf automake libtool pkg-config libunwind-dev libdw-dev zlib1g-dev check python3"
# The test suite also builds a C extension against the system Python's
# headers and profiles numpy (native frames under a Python function).
if [ "$mode" = check ]; then
	packages="$packages python3-dev python3-numpy"
	# Real consumers of the exports: callgrind_annotate, protoc.
	packages="$packages valgrind protobuf-compiler"
	# The stacks of a test run that hangs (tests/integration/lib.sh).
	packages="$packages gdb"
	# clang's libFuzzer and ThreadSanitizer: make fuzz (.ci/run), make tsan.
	packages="$packages clang libclang-rt-dev"
	# The viewers' own consumers: Chromium, and npm for speedscope, ajv and
	# playwright-core (some nodejs packages bring their own npm).
	packages="$packages chromium"
	command -v npm >/dev/null 2>&1 || packages="$packages nodejs npm"
fi

# Install the missing packages with apt-get (through sudo unless root).
install_packages() {
	command -v dpkg-query >/dev/null 2>&1 || {
		say "no dpkg: make sure the equivalents of these are installed: $packages"
		return 0
	}
	missing=
	for p in $packages; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || status=
		case $status in
		*" installed") ;;
		*) missing="$missing $p" ;;
		esac
	done
	if [ -z "$missing" ]; then
		say "packages: all installed"
		return 0
	fi
	if [ "$(id -u)" -eq 0 ]; then
		sudo=
	elif command -v sudo >/dev/null 2>&1; then
		sudo=sudo
	else
		die "need root or sudo to install:$missing"
	fi
	say "installing:$missing"
	$sudo apt-get update
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y \
	    --no-install-recommends $missing
}

# Generate configure if there is none (make regenerates it afterwards when
# configure.ac or Makefile.am change).
bootstrap() {
	if [ -x "$srcdir/configure" ] && [ -f "$srcdir/Makefile.in" ] &&
	    [ -f "$srcdir/build-aux/tap-driver.sh" ]; then
		say "configure: already generated"
		return 0
	fi
	say "autoreconf -fi"
	(cd "$srcdir" && autoreconf -fi)
}

# Configure the build directory unless it is configured with the same flags.
configure() {
	# shellcheck disable=SC2086
	want=$(set -- $flags && echo "$*")
	have=
	again=
	if [ -x "$builddir/config.status" ]; then
		again=yes
		# config.status --config prints the arguments shell-quoted.
		have=$(eval "set -- $("$builddir/config.status" --config)" &&
		    echo "$*")
	fi
	if [ -f "$builddir/Makefile" ] && [ -x "$builddir/config.status" ] &&
	    [ "$have" = "$want" ]; then
		say "$builddir: already configured"
		return 0
	fi
	mkdir -p "$builddir"
	say "configure${flags:+ $flags} (in $builddir)"
	# shellcheck disable=SC2086
	(cd "$builddir" && "$srcdir/configure" $flags)
	# Objects built with other flags (say, without -Werror) would be kept.
	if [ -n "$again" ]; then
		make -C "$builddir" clean >/dev/null
	fi
}

jobs=$(nproc 2>/dev/null || echo 2)

install_packages
bootstrap
configure
say "make"
make -C "$builddir" -j"$jobs"

# npm packages the viewers test uses, in the build tree.
npm_packages() {
	if [ -f "$builddir/npm/node_modules/speedscope/package.json" ] &&
	    [ -f "$builddir/npm/node_modules/ajv/package.json" ] &&
	    [ -f "$builddir/npm/node_modules/playwright-core/package.json" ]; then
		say "npm packages: installed in $builddir/npm"
		return 0
	fi
	command -v npm >/dev/null 2>&1 || {
		say "no npm: the speedscope and browser checks will be skipped"
		return 0
	}
	say "npm install --prefix $builddir/npm speedscope ajv playwright-core"
	# playwright-core drives Debian's chromium: it downloads no browser.
	npm install --prefix "$builddir/npm" --no-audit --no-fund \
	    speedscope@1.25.0 ajv@8.20.0 playwright-core@1.65.1
}

if [ "$mode" = check ]; then
	npm_packages
	say "make check"
	if ! make -C "$builddir" -j"$jobs" check; then
		if [ -f "$builddir/test-suite.log" ]; then
			say "failed tests ($builddir/test-suite.log):"
			cat "$builddir/test-suite.log"
		fi
		die "make check failed"
	fi
	say "make check passed"
	exit 0
fi

python=${PYTHON:-}
if [ -z "$python" ]; then
	if [ -x /usr/bin/python3 ]; then
		python=/usr/bin/python3
	else
		python=python3
	fi
fi
prof=$builddir/demo.prof
say "LD_PRELOAD=$builddir/.libs/libpysig.so PYSIG_OUTPUT=$prof $python examples/demo.py"
env LD_PRELOAD="$builddir/.libs/libpysig.so" PYSIG_OUTPUT="$prof" \
    "$python" "$srcdir/examples/demo.py"
say "pysig-report $prof"
"$builddir/pysig-report" "$prof"
say "also try: $builddir/pysig-report --format=tree $prof"
