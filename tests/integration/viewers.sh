#!/bin/sh
# The exports for other viewers, each checked by its real consumer: the
# flamegraph page opened in headless Chromium (its script run, searched and
# zoomed through the URL, a screenshot kept) and used there through npm's
# playwright-core (hover, click, Escape, Ctrl-F), the speedscope file validated
# against speedscope's own schema by ajv and loaded by the speedscope app
# in Chromium, and the chrome trace read by checkviewers.py (nesting,
# per-thread time, hot function).  Screenshots are kept in
# $top_builddir/test-artifacts/.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

CHECKVIEWERS=$PYDIR/checkviewers.py
NPM_DIR=${PYSIG_NPM_DIR:-$top_builddir/npm}
ARTIFACTS=$top_builddir/test-artifacts
SPEEDSCOPE=$NPM_DIR/node_modules/speedscope/dist/release
mkdir -p "$ARTIFACTS"

CHROMIUM=
for _c in chromium chromium-browser; do
	if command -v "$_c" >/dev/null 2>&1; then
		CHROMIUM=$_c
		break
	fi
done

# viewers_chromium DIR OUT URL [--dump-dom | --screenshot=FILE]: load URL
# in headless Chromium (no network, a throw-away profile), the DOM after
# the page's scripts ran into OUT.
# shellcheck disable=SC2317 # called by viewers_one
viewers_chromium() {
	_d=$1
	_out=$2
	_url=$3
	shift 3
	_profile=$(mktemp -d "$tmp/chromium.XXXXXX")
	timeout -k 5 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	    --enable-unsafe-swiftshader --disable-quic --no-first-run \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --user-data-dir="$_profile" --window-size=1280,900 \
	    --virtual-time-budget=10000 "$@" "$_url" >"$_out" \
	    2>>"$_d/chromium.err"
	rm -rf "$_profile"
}

# viewers_flamegraph DIR LABEL: export the flame graph, load it searched,
# zoomed and as an icicle graph, and take a screenshot.
# shellcheck disable=SC2317 # called by viewers_one
viewers_flamegraph() {
	"$PYSIG_REPORT" --format=flamegraph -o "$1/out.html" "$1/out.prof" \
	    2>"$1/flamegraph.err"
	"$PYSIG_REPORT" --format=flamegraph --icicle -o "$1/icicle.html" \
	    "$1/out.prof" 2>>"$1/flamegraph.err"
	if [ -z "$CHROMIUM" ]; then
		echo "chromium is not installed (./quickstart.sh check" \
		    "installs it)" >"$1/chromium.skip"
		return 0
	fi
	viewers_chromium "$1" "$1/dom-search.html" \
	    "file://$1/out.html#search=%5Ehot_loop%24" --dump-dom
	viewers_chromium "$1" "$1/dom-zoom.html" \
	    "file://$1/out.html#zoom=%5Ecold_loop%24" --dump-dom
	viewers_chromium "$1" "$1/dom-icicle.html" "file://$1/icicle.html" \
	    --dump-dom
	viewers_chromium "$1" /dev/null "file://$1/out.html#search=loop" \
	    --window-size=1280,1400 \
	    --screenshot="$1/shot.png"
	cp "$1/shot.png" "$ARTIFACTS/flamegraph-$2.png" 2>/dev/null
	if ! command -v node >/dev/null 2>&1 ||
	    [ ! -f "$NPM_DIR/node_modules/playwright-core/package.json" ]; then
		echo "node or the npm package playwright-core is not in" \
		    "$NPM_DIR (./quickstart.sh check installs it)" \
		    >"$1/playwright.skip"
		return 0
	fi
	NODE_PATH=$NPM_DIR/node_modules timeout -k 5 120 node \
	    "$top_srcdir/tests/integration/js/flamegraph.cjs" \
	    "$(command -v "$CHROMIUM")" "$1/out.html" >"$1/playwright.out" 2>&1
	return 0
}

# viewers_speedscope DIR LABEL: export, validate with ajv, load in the app.
# shellcheck disable=SC2317 # called by viewers_one
viewers_speedscope() {
	"$PYSIG_REPORT" --format=speedscope -o "$1/out.speedscope.json" \
	    "$1/out.prof" 2>"$1/speedscope.err"
	if ! command -v node >/dev/null 2>&1 ||
	    [ ! -f "$NPM_DIR/node_modules/ajv/package.json" ] ||
	    [ ! -f "$SPEEDSCOPE/file-format-schema.json" ]; then
		echo "node or the npm packages speedscope and ajv are not in" \
		    "$NPM_DIR (./quickstart.sh check installs them)" \
		    >"$1/npm.skip"
		return 0
	fi
	NODE_PATH=$NPM_DIR/node_modules node \
	    "$top_srcdir/tests/integration/js/validate.cjs" \
	    "$SPEEDSCOPE/file-format-schema.json" "$1/out.speedscope.json" \
	    >"$1/ajv.out" 2>&1
	echo $? >"$1/ajv.status"
	if [ -z "$CHROMIUM" ]; then
		echo "chromium is not installed (./quickstart.sh check" \
		    "installs it)" >"$1/chromium.skip"
		return 0
	fi
	# What `speedscope FILE` does: the app loads the file from a script.
	"$CHECK_PYTHON" -c 'import base64, json, sys
data = base64.b64encode(open(sys.argv[1], "rb").read()).decode()
print("speedscope.loadFileFromBase64(%s, %s)" % (json.dumps("out.speedscope.json"), json.dumps(data)))' \
	    "$1/out.speedscope.json" >"$1/load.js"
	viewers_chromium "$1" "$1/dom.html" \
	    "file://$SPEEDSCOPE/index.html#localProfilePath=$1/load.js&view=sandwich" \
	    --dump-dom
	viewers_chromium "$1" /dev/null \
	    "file://$SPEEDSCOPE/index.html#localProfilePath=$1/load.js" \
	    --screenshot="$1/shot.png"
	cp "$1/shot.png" "$ARTIFACTS/speedscope-$2.png" 2>/dev/null
	return 0
}

# viewers_one LABEL MINOR PYTHON: fourteen checks, on one profile.
# shellcheck disable=SC2317 # called by pysig_for_each_python
viewers_one() {
	d=$tmp/$1
	mkdir -p "$d/flamegraph" "$d/speedscope" "$d/chrome"
	# The mixed native+Python view, as a user gets it by default.
	PYSIG_REPORT_VIEW=
	pysig_profile "$d" PYSIG_RATE=1000 "$3" "$PYDIR/viewers.py" 0.8
	for _f in flamegraph speedscope chrome; do
		cp -r "$d/stdout" "$d/status" "$d/stderr" "$d/report" \
		    "$d/out.prof" "$d/$_f/" 2>/dev/null
	done
	viewers_flamegraph "$d/flamegraph" "$1"
	viewers_speedscope "$d/speedscope" "$1"
	"$PYSIG_REPORT" --format=chrome -o "$d/chrome/out.trace.json" \
	    "$d/out.prof" 2>"$d/chrome/chrome.err"
	"$PYSIG_REPORT" --format=chrome --frame-args \
	    -o "$d/chrome/out.args.json" "$d/out.prof" 2>>"$d/chrome/chrome.err"
	for _f in flamegraph speedscope chrome; do
		"$CHECK_PYTHON" "$CHECKVIEWERS" "$_f" "$d/$_f" >"$tmp/check.out" 2>&1
		tap_feed "$1" "$(case $_f in flamegraph) echo 5 ;; *) echo 3 ;; esac)" \
		    "$tmp/check.out"
	done
	# Hover, click, keys: three checks by js/flamegraph.cjs.
	_skip=$(cat "$d/flamegraph/chromium.skip" \
	    "$d/flamegraph/playwright.skip" 2>/dev/null | head -n 1)
	if [ -n "$_skip" ]; then
		tap_skip_n 3 "$1: $_skip"
	else
		tap_feed "$1" 3 "$d/flamegraph/playwright.out"
	fi
}

pysig_for_each_python 14 viewers_one
exit 0
