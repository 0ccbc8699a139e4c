#!/usr/bin/env python3
"""The checker of viewers.sh (not a workload, never profiled).

Usage: checkviewers.py FORMAT DIR

DIR is a pysig_run directory of py/viewers.py (stdout, report/out.prof.*)
plus what viewers.sh made there with the real consumers:
  flamegraph  out.html, dom-search.html, dom-zoom.html, icicle.html,
              dom-icicle.html (Chromium's DOM after the page's script ran),
              shot.png; or chromium.skip saying why there are none
  speedscope  out.speedscope.json, ajv.out + ajv.status, dom.html, shot.png;
              or npm.skip / chromium.skip
  chrome      out.trace.json, out.args.json (--frame-args)
Prints one "ok ..." / "not ok ..." / "skip ..." line per check (5, 3, 3),
diagnostics as "# " lines.
"""

import html.parser
import json
import os
import re
import sys

ODD_NAME = "odd<&>\"'\\name \u00e9\u2603"
WORKLOAD_FUNCS = ("hot_loop", "cold_loop", "worker_spin", "spin", ODD_NAME)
SVG_WIDTH = 1200.0


def read(path, mode="r"):
    try:
        if mode == "rb":
            with open(path, "rb") as f:
                return f.read()
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return None


class Results:
    def __init__(self):
        self.n = 0

    def check(self, what, good, diag=()):
        print("%s %s" % ("ok" if good else "not ok", what))
        if not good:
            for line in diag:
                for part in str(line).splitlines()[:40]:
                    print("# " + part)

    def skip(self, why):
        print("skip " + why)


class Run:
    """What a run left: the workload's output, info and collapsed reports."""

    def __init__(self, d):
        self.d = d
        self.problems = []
        out = read(os.path.join(d, "stdout")) or ""
        self.vars = dict(re.findall(r"^(\w+)=(\d+)$", out, re.M))
        status = (read(os.path.join(d, "status")) or "").strip()
        if status != "0" or "done" not in out:
            self.problems.append("workload exit status %s, stdout %r, "
                                 "stderr %r" % (status, out[-300:], (read(
                                     os.path.join(d, "stderr")) or "")[-600:]))
        self.info = {}
        for line in (read(os.path.join(d, "report/out.prof.info")) or
                     "").splitlines():
            k, _, v = line.partition(": ")
            self.info.setdefault(k, v)
        self.stacks = []
        for line in (read(os.path.join(d, "report/out.prof.collapsed")) or
                     "").splitlines():
            stack, _, count = line.rpartition(" ")
            if count.isdigit():
                self.stacks.append((stack.split(";"), int(count)))

    def pid(self):
        return int(self.vars.get("pid", -1))

    def tids(self):
        return int(self.vars.get("main_tid", -1)), \
            int(self.vars.get("worker_tid", -1))

    def fraction(self, name):
        """Share of the samples with name in their stack (collapsed)."""
        total = sum(c for _, c in self.stacks)
        hit = sum(c for s, c in self.stacks
                  if any(f.rsplit(" (", 1)[0] == name for f in s))
        return hit / total if total else 0.0

    def rate(self):
        try:
            return float(self.info.get("effective_rate") or
                         self.info.get("rate"))
        except (TypeError, ValueError):
            return None

    def samples(self):
        try:
            return int(self.info.get("samples_read"))
        except (TypeError, ValueError):
            return None


class Dom(html.parser.HTMLParser):
    """The flame graph's frames in a DOM dump: each <g class="f"> with its
    attributes, rect attributes and classes."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.frames = []
        self.body = {}
        self.matched = None
        self._in_matched = False
        self._g = None
        if text:
            self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        elif tag == "g" and "f" in (a.get("class") or "").split():
            self._g = dict(a)
            self._g["classes"] = set(a["class"].split())
            self.frames.append(self._g)
        elif tag == "rect" and self._g is not None:
            self._g["rect"] = a
        elif tag == "span" and a.get("id") == "matched":
            self._in_matched = True
            self.matched = ""

    def handle_endtag(self, tag):
        if tag == "g":
            self._g = None
        elif tag == "span":
            self._in_matched = False

    def handle_data(self, data):
        if self._in_matched:
            self.matched += data

    def width(self, g):
        return float(g.get("rect", {}).get("width", "nan"))

    def widest(self, name):
        found = [g for g in self.frames if g.get("data-n") == name]
        return max(found, key=self.width) if found else None


def flame_diag(dom):
    return ["%s w=%s classes=%s" % (g.get("data-n"), g.get("rect", {}).get(
        "width"), sorted(g["classes"])) for g in dom.frames[:30]]


def check_flamegraph(res, d):
    run = Run(d)
    skip = read(os.path.join(d, "chromium.skip"))
    if skip or run.problems:
        why = skip.strip() if skip else "; ".join(run.problems)
        for _ in range(5):
            if skip:
                res.skip(why)
            else:
                res.check("flamegraph: the workload ran", False, [why])
        return
    dom = Dom(read(os.path.join(d, "dom-search.html")))
    hot = dom.widest("hot_loop")
    problems = []
    shot = read(os.path.join(d, "shot.png"), "rb") or b""
    if not shot.startswith(b"\x89PNG"):
        problems.append("no screenshot in %s" % os.path.join(d, "shot.png"))
    if dom.body.get("data-ready") != "1":
        problems.append("the page's script did not run to the end")
    sibs = []
    if hot is None:
        problems.append("no hot_loop frame")
    else:
        sibs = [g for g in dom.frames if g.get("data-p") == hot.get("data-p")
                and g is not hot]
        if not any(g.get("data-n") == "cold_loop" for g in sibs):
            problems.append("cold_loop is not beside hot_loop")
        wider = [g.get("data-n") for g in sibs
                 if dom.width(g) >= dom.width(hot)]
        if wider:
            problems.append("as wide or wider than hot_loop: %s" % wider)
    res.check("flamegraph: rendered by Chromium, hot_loop (%s px) the "
              "widest of %d frames under its parent" % (
                  hot and hot.get("rect", {}).get("width"), len(sibs) + 1),
              not problems, problems + flame_diag(dom))

    # #search=^hot_loop$: exactly the hot_loop frames are highlighted.
    want = 100.0 * run.fraction("hot_loop")
    problems = []
    marked = [g for g in dom.frames if "match" in g["classes"]]
    wrong = [g.get("data-n") for g in marked if g.get("data-n") != "hot_loop"]
    missed = [g for g in dom.frames
              if g.get("data-n") == "hot_loop" and "match" not in g["classes"]]
    m = re.match(r"Matched: ([0-9.]+)% \((\d+) frames?\)", dom.matched or "")
    if not marked or wrong or missed:
        problems.append("highlighted: %d, wrongly: %s, missed: %d" % (
            len(marked), wrong, len(missed)))
    if not m:
        problems.append("matched text: %r" % dom.matched)
    elif abs(float(m.group(1)) - want) > 0.5:
        problems.append("matched %s%%, collapsed report says %.2f%%" % (
            m.group(1), want))
    res.check("flamegraph: #search=^hot_loop$ highlights %d frames, "
              "matched %s%% (collapsed: %.2f%%)" % (
                  len(marked), m.group(1) if m else "?", want),
              not problems, problems)

    # #zoom=^cold_loop$: cold_loop fills the width, hot_loop is hidden.
    zdom = Dom(read(os.path.join(d, "dom-zoom.html")))
    cold = zdom.widest("cold_loop")
    problems = []
    if cold is None or abs(zdom.width(cold) - SVG_WIDTH) > 0.01:
        problems.append("cold_loop's width: %s" % (
            cold and zdom.width(cold)))
    shown = [g for g in zdom.frames if g.get("data-n") == "hot_loop"
             and "hide" not in g["classes"]]
    if shown:
        problems.append("%d hot_loop frames still shown" % len(shown))
    res.check("flamegraph: #zoom=^cold_loop$ gives cold_loop the whole "
              "width", not problems, problems + flame_diag(zdom))

    # The odd name survives HTML escaping and the browser's parser.
    g = dom.widest(ODD_NAME)
    text = read(os.path.join(d, "out.html")) or ""
    problems = []
    if g is None:
        problems.append("no frame named %r: %r" % (ODD_NAME, sorted(set(
            x.get("data-n") for x in dom.frames))))
    if ODD_NAME in text:
        problems.append("the name is in the page unescaped")
    res.check("flamegraph: a name with <&>\"'\\ and non-ASCII reads back "
              "intact", not problems, problems)

    # --icicle: the root at the top, the flame graph's at the bottom.
    idom = Dom(read(os.path.join(d, "dom-icicle.html")))
    problems = []
    for name, x, top in (("flame", dom, False), ("icicle", idom, True)):
        ys = [float(g["rect"]["y"]) for g in x.frames if "rect" in g]
        root = [float(g["rect"]["y"]) for g in x.frames
                if g.get("data-d") == "0" and "rect" in g]
        if not ys or len(root) != 1 or root[0] != (min(ys) if top
                                                   else max(ys)):
            problems.append("%s: root y %s, frames y %s..%s" % (
                name, root, ys and min(ys), ys and max(ys)))
    res.check("flamegraph --icicle: the root at the top", not problems,
              problems)


def check_speedscope(res, d):
    run = Run(d)
    skip = read(os.path.join(d, "npm.skip"))
    if run.problems:
        for _ in range(3):
            res.check("speedscope: the workload ran", False, run.problems)
        return
    if skip:
        res.skip(skip.strip())
    else:
        status = (read(os.path.join(d, "ajv.status")) or "").strip()
        res.check("speedscope: valid against speedscope's "
                  "file-format-schema.json (ajv)", status == "0",
                  [read(os.path.join(d, "ajv.out")) or "no ajv output"])

    problems = []
    try:
        doc = json.loads(read(os.path.join(d, "out.speedscope.json"), "rb"))
        frames = doc["shared"]["frames"]
        profiles = doc["profiles"]
    except (TypeError, ValueError, KeyError) as e:
        doc, frames, profiles = None, [], []
        problems.append("not a speedscope file: %s" % e)
    main_tid, worker_tid = run.tids()
    by_name = {}
    for i, f in enumerate(frames):
        by_name.setdefault(f.get("name"), i)
    names = [p.get("name") for p in profiles]
    rate, samples = run.rate(), run.samples()
    mains = [p for p in profiles if p.get("name") == "pid %d thread %d (main)"
             % (run.pid(), main_tid)]
    workers = [p for p in profiles if p.get("name") == "pid %d thread %d"
               % (run.pid(), worker_tid)]
    if len(mains) != 1 or len(workers) != 1 or len(set(names)) != len(names):
        problems.append("profiles: %s (main %d, worker %d)" % (
            names, main_tid, worker_tid))
    total = sum(len(p.get("samples", [])) for p in profiles)
    if samples is None or total != samples:
        problems.append("%d samples, info says %s" % (total, samples))
    for p in profiles:
        w = p.get("weights", [])
        if p.get("unit") != "seconds" or len(w) != len(p["samples"]) or (
                rate and any(abs(x * rate - 1) > 1e-6 for x in w)):
            problems.append("%s: unit %s, weights %s, rate %s" % (
                p.get("name"), p.get("unit"), w[:3], rate))
    if ODD_NAME not in by_name or not (frames[by_name[ODD_NAME]].get(
            "file") or "").endswith("viewers.py"):
        problems.append("no frame %r in viewers.py" % ODD_NAME)
    if mains and workers:
        counts = {}
        for name in WORKLOAD_FUNCS:
            i = by_name.get(name)
            counts[name] = sum(1 for s in mains[0]["samples"] if i in s)
        if max(counts, key=counts.get) != "hot_loop":
            problems.append("main thread: %s" % counts)
        i = by_name.get("worker_spin")
        ws = workers[0]["samples"]
        if not ws or sum(1 for s in ws if i in s) < 0.8 * len(ws):
            problems.append("worker_spin in too few of the worker's "
                            "samples")
    res.check("speedscope: one profile per thread (%d), weights "
              "1/effective_rate s, hot_loop on top in the main thread" %
              len(profiles), not problems, problems)

    skip = skip or read(os.path.join(d, "chromium.skip"))
    if skip:
        res.skip(skip.strip())
        return
    dom = read(os.path.join(d, "dom.html")) or ""
    shot = read(os.path.join(d, "shot.png"), "rb") or b""
    m = re.search(r"<title>([^<]*)</title>", dom)
    title = html.unescape(m.group(1)) if m else None
    problems = []
    if doc is None or title != "%s - speedscope" % doc.get("name"):
        problems.append("page title %r" % title)
    if "hot_loop" not in dom:
        problems.append("hot_loop is not on the page")
    if not shot.startswith(b"\x89PNG"):
        problems.append("no screenshot")
    res.check("speedscope: the app loads it in Chromium (title %r, "
              "hot_loop in the sandwich view)" % title, not problems,
              problems + [dom[-1500:]])


def check_chrome(res, d):
    run = Run(d)
    problems = list(run.problems)
    try:
        trace = json.loads(read(os.path.join(d, "out.trace.json"), "rb"))
        events = trace["traceEvents"]
    except (TypeError, ValueError, KeyError) as e:
        events = []
        problems.append("not a trace: %s" % e)
    pid = run.pid()
    threads = {}            # tid: [(name, begin, end, depth)]
    xs = {}                 # tid: [(begin, -duration, file order, name)]
    meta = {}
    for i, e in enumerate(events):
        ph, tid = e.get("ph"), e.get("tid")
        if ph == "M":
            meta[(e.get("name"), tid)] = e.get("args", {}).get("name")
            continue
        if ph != "X" or e.get("pid") != pid or \
                not isinstance(e.get("ts"), (int, float)) or \
                not isinstance(e.get("dur"), (int, float)) or e["dur"] < 0:
            problems.append("bad event %r" % e)
            break
        xs.setdefault(tid, []).append((e["ts"], -e["dur"], i,
                                       e.get("name")))
    # Nest them as a viewer does: by start, longest first, then file order.
    for tid, evs in xs.items():
        evs.sort()
        ends = []
        for begin, neg, _, name in evs:
            end = begin - neg
            while ends and ends[-1] <= begin + 1e-6:
                ends.pop()
            if ends and end > ends[-1] + 1e-6:
                problems.append("thread %s: %s at %s..%s overlaps the end "
                                "of its caller at %s" % (tid, name, begin,
                                                         end, ends[-1]))
                break
            threads.setdefault(tid, []).append((name, begin, end,
                                                len(ends)))
            ends.append(end)
    main_tid, worker_tid = run.tids()
    if set(threads) != {main_tid, worker_tid} and \
            not set(threads) >= {main_tid, worker_tid}:
        problems.append("threads %s, want %s" % (sorted(threads),
                                                 [main_tid, worker_tid]))
    res.check("chrome: a well-formed trace, X events nested on %d threads, "
              "%d events" % (len(threads), len(events)), not problems,
              problems)

    # Each thread's outermost events add up to its samples times the period.
    rate, samples = run.rate(), run.samples()
    problems = []
    counted = 0
    if not rate:
        problems.append("no rate in the info report")
    else:
        period = int(1e9 / rate + 0.5) / 1000.0
        for tid, evs in sorted(threads.items()):
            tops = [end - begin for _, begin, end, depth in evs
                    if depth == 0]
            top = sum(tops)
            n = top / period
            # Starts and ends are rounded to whole microseconds.
            if abs(n - round(n)) > 1e-3 + len(tops) / period or \
                    round(n) == 0:
                problems.append("thread %s: %.3f us is %.4f periods" % (
                    tid, top, n))
            counted += int(round(n))
    if samples is None or counted != samples:
        problems.append("%d periods on all threads, info says %s samples" %
                        (counted, samples))
    res.check("chrome: each thread's time is its samples x 1/effective_rate "
              "(%d samples)" % counted, not problems, problems)

    # The hot function has the longest total time of the main thread's own
    # (the worker's time depends on which thread the signals went to).
    problems = []
    total = {}
    for name, begin, end, depth in threads.get(main_tid, []):
        total[name] = total.get(name, 0) + end - begin
    mine = {n: total.get(n, 0) for n in WORKLOAD_FUNCS
            if n != "worker_spin"}
    if max(mine, key=mine.get) != "hot_loop":
        problems.append("totals (us): %s" % mine)
    proc = meta.get(("process_name", 0)) or ""
    if "viewers.py" not in proc:
        problems.append("process_name %r" % proc)
    for tid in threads:
        if not meta.get(("thread_name", tid)):
            problems.append("thread %s has no thread_name" % tid)
    # --frame-args: the same events, each with its category and location.
    try:
        with_args = json.loads(read(os.path.join(d, "out.args.json"),
                                    "rb"))["traceEvents"]
    except (TypeError, ValueError, KeyError) as e:
        with_args = []
        problems.append("out.args.json: not a trace: %s" % e)
    plain = [(e.get("ts"), e.get("dur"), e.get("name")) for e in events
             if e.get("ph") == "X"]
    if [(e.get("ts"), e.get("dur"), e.get("name")) for e in with_args
            if e.get("ph") == "X"] != plain:
        problems.append("--frame-args changed the events")
    if any("args" in e or "cat" in e for e in events if e.get("ph") == "X"):
        problems.append("X events with args without --frame-args")
    hot = [e for e in with_args if e.get("name") == "hot_loop"]
    bad = [e for e in hot if e.get("cat") != "python" or
           not str(e.get("args", {}).get("file")).endswith("viewers.py") or
           not isinstance(e.get("args", {}).get("line"), int)]
    if not hot or bad:
        problems.append("--frame-args: %d hot_loop events, %d without "
                        "python, viewers.py and a line: %s" % (
                            len(hot), len(bad), bad[:1]))
    res.check("chrome: hot_loop has the longest time in the main thread "
              "(%.0f ms), process and threads named, --frame-args locates "
              "it" % (mine.get("hot_loop", 0) / 1000), not problems,
              problems)


def main():
    res = Results()
    fmt, d = sys.argv[1], sys.argv[2]
    {"flamegraph": check_flamegraph, "speedscope": check_speedscope,
     "chrome": check_chrome}[fmt](res, d)


if __name__ == "__main__":
    main()
