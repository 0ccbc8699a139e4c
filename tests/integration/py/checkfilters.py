#!/usr/bin/env python3
"""The checker of filters.sh (not a workload, never profiled).

Usage: checkfilters.py PYSIG_REPORT DIR_SEQ DIR_A DIR_B PHASES_PY

The directories are pysig_run directories of phases.py: DIR_SEQ of phase_a
then phase_b, DIR_A and DIR_B of both in turns, phase_a with 3/4 of the
CPU time in A, phase_b in B.  The checker runs
pysig-report with the report options under test (--since, --until,
--focus, --exclude, --min-percent, --diff, --lines) and checks what they
print against the unfiltered reports and the workload's source.  Prints
CHECKS result lines, as checkprof.py does.
"""

import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkprof import Frame, Results, read  # noqa: E402

CHECKS = 13
TOP_ROW = re.compile(r"^\s*([\d.]+)%\s+([\d.]+)%\s+(\d+)\s+(.*?)\s\s+(\S.*)$")
DIFF_ROW = re.compile(r"^\s*([\d.]+)%\s+([\d.]+)%\s+([+-][\d.]+)\s+"
                      r"([\d.]+)%\s+([\d.]+)%\s+([+-][\d.]+)\s+(.*?)\s\s+"
                      r"(\S.*)$")


class Failed(Exception):
    """pysig-report did not work: the checks that need it fail."""


def report(prof, *options):
    """The output of pysig-report OPTIONS PROF (a list of profiles)."""
    argv = [REPORT] + list(options) + (prof if isinstance(prof, list)
                                       else [prof])
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    if p.returncode != 0:
        raise Failed("%s exited %d: %s" % (" ".join(argv[1:]), p.returncode,
                                           p.stderr.decode()[-300:]))
    return p.stdout.decode("utf-8", "replace")


def stacks(prof, *options):
    """(frames, count) of --format=collapsed --python-only OPTIONS."""
    out = []
    for line in report(prof, "--format=collapsed", "--python-only",
                       *options).splitlines():
        stack, _, count = line.rpartition(" ")
        out.append(([Frame(f) for f in stack.split(";")], int(count)))
    return out


def total(st):
    return sum(c for _, c in st)


def through(st, name):
    """Samples whose stack has a frame of function name."""
    return sum(c for frames, c in st if any(f.name == name for f in frames))


def info(prof, *options):
    out = {}
    for line in report(prof, "--format=info", *options).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out.setdefault(key.strip(), value.strip())
    return out


def top_rows(text, pattern):
    return [m.groups() for m in map(pattern.match, text.splitlines()) if m]


def check_window(res, prof, boundary_us):
    """--until and --since at the boundary select each phase."""
    until = "%.6f" % (math.floor(boundary_us) / 1e6)
    since = "%.6f" % (math.ceil(boundary_us) / 1e6)
    everything = stacks(prof)
    before = stacks(prof, "--until=" + until)
    after = stacks(prof, "--since=" + since)
    a, b = through(before, "phase_a"), through(before, "phase_b")
    res.check("--until=%s (the boundary): phase_a has %d of %d samples, "
              "phase_b none" % (until, a, total(before)),
              b == 0 and total(before) > 0 and a >= 0.85 * total(before))
    a, b = through(after, "phase_a"), through(after, "phase_b")
    res.check("--since=%s: phase_b has %d of %d samples, phase_a none"
              % (since, b, total(after)),
              a == 0 and total(after) > 0 and b >= 0.85 * total(after))
    # The same window in ms; info says what the window kept.
    ms = "%dms" % math.ceil(boundary_us / 1000)
    inf = info(prof, "--since=" + ms)
    inms = stacks(prof, "--since=" + ms)
    want = "%d of %d" % (total(inms), total(everything))
    res.check("info --since=%s reports the window (%s) and %s samples in it"
              % (ms, inf.get("window"), inf.get("samples_in_window")),
              inf.get("window", "").startswith("from %.3f s" %
                                               (math.ceil(boundary_us / 1000)
                                                / 1000))
              and inf.get("samples_in_window") == want
              and abs(total(inms) - total(after)) <= 0.05 * total(after),
              ["want samples_in_window: " + want, "info: %r" % inf])


def check_focus(res, prof, hot_line):
    everything = stacks(prof)
    a = through(everything, "phase_a")
    focus = stacks(prof, "--focus=^phase_a$")
    whole = all(frames[0].name == "<module>" for frames, _ in focus)
    res.check("--focus=^phase_a$: %d samples (%d through phase_a), every "
              "stack through phase_a, whole from <module>" % (total(focus), a),
              total(focus) == a > 0 and through(focus, "phase_a") == a
              and whole)
    ex = stacks(prof, "--exclude=^phase_a$")
    both = stacks(prof, "--exclude=phase_a", "--exclude=phase_b")
    mixed = stacks(prof, "--focus=^phase_", "--exclude=_b$")
    b = through(everything, "phase_b")
    res.check("--exclude=^phase_a$ leaves %d of %d samples, none through "
              "phase_a; two --exclude leave %d; --focus with --exclude %d"
              % (total(ex), total(everything), total(both), total(mixed)),
              total(ex) == total(everything) - a and
              through(ex, "phase_a") == 0 and
              total(both) == total(everything) - a - b and
              total(mixed) == a)
    # On "file:line": the samples at the hot line of phase_a.
    at_line = sum(c for frames, c in everything
                  if any(f.name == "phase_a" and f.line == hot_line
                         for f in frames))
    by_place = stacks(prof, r"--focus=phases\.py:%d$" % hot_line)
    res.check("--focus=phases\\.py:%d$ keeps the %d samples at that line "
              "(got %d)" % (hot_line, at_line, total(by_place)),
              total(by_place) == at_line > 0)
    # The mixed native+Python view: the same samples pass through phase_a.
    text = report(prof, "--format=collapsed", "--focus=^phase_a$")
    n = sum(int(line.rpartition(" ")[2]) for line in text.splitlines())
    res.check("--focus=^phase_a$ in the mixed view keeps %d samples, as "
              "many as in the Python view (%d)" % (n, a), n == a)


def self_counts(st):
    """Self samples per function (name, file) of collapsed stacks."""
    out = {}
    for frames, count in st:
        key = (frames[-1].name, frames[-1].file)
        out[key] = out.get(key, 0) + count
    return out


def check_min_percent(res, prof):
    """Exactly what has 5% or more is left: stacks, and top's rows."""
    everything = stacks(prof)
    all_total = total(everything)
    kept = stacks(prof, "--min-percent=5")
    want = sorted((";".join(f.text for f in frames), c)
                  for frames, c in everything
                  if 100.0 * c / all_total >= 5)
    got = sorted((";".join(f.text for f in frames), c) for frames, c in kept)
    rows = top_rows(report(prof, "--python-only", "-n", "0",
                           "--min-percent=5"), TOP_ROW)
    want_rows = sorted(k for k, c in self_counts(everything).items()
                       if 100.0 * c / all_total >= 5)
    got_rows = sorted((r[3].strip(), r[4].rpartition(":")[0]) for r in rows)
    res.check("--min-percent=5: the %d of %d stacks and the %d top rows "
              "with 5%% or more" % (len(got), len(everything), len(rows)),
              got == want and got_rows == want_rows and rows,
              ["stacks: %r" % got, "want: %r" % want,
               "rows: %r" % got_rows, "want: %r" % want_rows])


def check_diff(res, prof_a, prof_b):
    text = report(prof_b, "--python-only", "--diff=" + prof_a)
    rows = top_rows(text, DIFF_ROW)
    change = {r[6]: float(r[2]) for r in rows}
    first = sorted(r[6] for r in rows[:2])
    # The changes of self% the profiles give, to the printed 0.1.
    sa, sb = stacks(prof_a), stacks(prof_b)
    ca, cb = self_counts(sa), self_counts(sb)
    want = {}
    for name in ("phase_a", "phase_b"):
        na = sum(c for k, c in ca.items() if k[0] == name)
        nb = sum(c for k, c in cb.items() if k[0] == name)
        want[name] = 100.0 * nb / total(sb) - 100.0 * na / total(sa)
    res.check("--diff: phase_a shrinks (%+.1f), phase_b grows (%+.1f), the "
              "two largest changes" % (change.get("phase_a", 0),
                                       change.get("phase_b", 0)),
              change.get("phase_a", 0) < -20 and
              change.get("phase_b", 0) > 20 and
              first == ["phase_a", "phase_b"] and
              all(abs(change.get(k, 99) - v) <= 0.051
                  for k, v in want.items()),
              text.splitlines()[:8] + ["want: %r" % want])
    text = report(prof_b, "--python-only", "--format=collapsed",
                  "--diff=" + prof_a)
    base = new = 0
    grew = {"phase_a": [0, 0], "phase_b": [0, 0]}
    bad = []
    for line in text.splitlines():
        parts = line.rsplit(" ", 2)
        if len(parts) != 3 or not parts[1].isdigit() or \
                not parts[2].isdigit():
            bad.append(line)
            continue
        b, n = int(parts[1]), int(parts[2])
        base += b
        new += n
        for name in grew:
            if any(Frame(f).name == name for f in parts[0].split(";")):
                grew[name][0] += b
                grew[name][1] += n
    lines = len(text.splitlines())
    res.check("--diff --format=collapsed: \"stack base new\", base scaled "
              "to the new total (%d, %d), phase_a %d -> %d, phase_b %d -> %d"
              % (base, new, grew["phase_a"][0], grew["phase_a"][1],
                 grew["phase_b"][0], grew["phase_b"][1]),
              not bad and lines > 0 and abs(base - new) <= lines and
              grew["phase_a"][0] > grew["phase_a"][1] and
              grew["phase_b"][0] < grew["phase_b"][1], bad[:5])


def rgb(fill):
    """(r, g, b) of "rgb(r,g,b)", or None."""
    m = re.fullmatch(r"rgb\((\d+),(\d+),(\d+)\)", fill or "")
    return tuple(int(v) for v in m.groups()) if m else None


def check_diffgraph(res, prof_a, prof_b):
    """The differential flame graph: phase_b wider and red, phase_a
    narrower and blue."""
    text = report(prof_b, "--python-only", "--format=diffgraph",
                  "--diff=" + prof_a)
    ns = "{http://www.w3.org/2000/svg}"
    boxes = {"phase_a": [], "phase_b": []}
    problems = []
    try:
        root = ElementTree.fromstring(text.encode("utf-8"))
        for g in root.iter(ns + "g"):
            title, rect = g.find(ns + "title"), g.find(ns + "rect")
            name = title.text.split(" (")[0] if title is not None else ""
            if name in boxes and rect is not None:
                boxes[name].append((float(rect.get("width")),
                                    rgb(rect.get("fill"))))
    except (ElementTree.ParseError, ValueError, AttributeError) as e:
        problems.append("not an SVG file: %s" % e)
    # The widest box of each (the hot line of the loop).
    top = {k: max(v, key=lambda b: b[0]) if v else (0, None)
           for k, v in boxes.items()}
    a, b = top["phase_a"], top["phase_b"]
    res.check("--format=diffgraph: phase_b %.0f px %s (grew: red), phase_a "
              "%.0f px %s (shrank: blue)" % (b[0], b[1], a[0], a[1]),
              not problems and a[1] is not None and b[1] is not None and
              b[0] > a[0] > 0 and b[1][0] > b[1][2] and a[1][2] > a[1][0],
              problems + text.splitlines()[:5])


def check_lines(res, prof, source, hot_line):
    """The hottest line of phase_a (--focus=^phase_a$), quoted."""
    text = report(prof, "--python-only", "--lines", "-n", "3",
                  "--focus=^phase_a$")
    lines = text.splitlines()
    row = None
    for k, line in enumerate(lines):
        m = re.match(r"^\s*([\d.]+)%\s+(\d+)\s+(\S+) \((.*):(\d+)\)$", line)
        if m:
            row = m.groups(), lines[k + 1] if k + 1 < len(lines) else ""
            break
    want = source[hot_line - 1].strip()
    res.check("--lines: the hottest line is phase_a's line %d, quoted"
              % hot_line,
              row is not None and row[0][2] == "phase_a" and
              int(row[0][4]) == hot_line and row[1].strip() == want,
              lines[:8] + ["want: " + want])


def main():
    global REPORT
    REPORT, dir_seq, dir_a, dir_b, phases = sys.argv[1:6]
    res = Results()
    problems = []
    boundary = None
    for d in (dir_seq, dir_a, dir_b):
        status = (read(os.path.join(d, "status")) or "").strip()
        if status != "0":
            problems.append("%s: exit status %s: %s" % (
                d, status, (read(os.path.join(d, "stderr")) or "")[-300:]))
    m = re.search(r"boundary_ns (\d+)",
                  read(os.path.join(dir_seq, "stdout")) or "")
    prof_seq = os.path.join(dir_seq, "out.prof")
    prof_a = os.path.join(dir_a, "out.prof")
    prof_b = os.path.join(dir_b, "out.prof")
    source = (read(phases) or "").splitlines()
    hot_line = next((k + 1 for k, line in enumerate(source)
                     if line.strip().startswith("x = (x * 31")), None)
    try:
        if not problems:
            for p in (prof_seq, prof_a, prof_b):
                st = stacks(p)
                for name in ("phase_a", "phase_b"):
                    if through(st, name) < 10:
                        problems.append("%s: %d samples in %s" % (
                            p, through(st, name), name))
            start = info(prof_seq).get("start_mono_ns")
            if m is None or start is None:
                problems.append("no boundary_ns or start_mono_ns")
            else:
                boundary = (int(m.group(1)) - int(start)) / 1000.0
    except Failed as e:
        problems.append(str(e))
    res.check("both phases profiled in the three runs", not problems,
              problems)
    if problems:
        for _ in range(CHECKS - 1):
            res.check("(no usable run)", False)
        res.emit()
        return
    for fn in (lambda: check_window(res, prof_seq, boundary),
               lambda: check_focus(res, prof_seq, hot_line),
               lambda: check_min_percent(res, prof_seq),
               lambda: check_diff(res, prof_a, prof_b),
               lambda: check_diffgraph(res, prof_a, prof_b),
               lambda: check_lines(res, prof_seq, source, hot_line)):
        try:
            fn()
        except Failed as e:
            res.check("pysig-report ran", False, [str(e)])
    # Whatever went wrong, exactly CHECKS lines.
    while len([x for x in res.lines if not x.startswith("#")]) < CHECKS:
        res.check("(a check did not run)", False)
    res.emit()


main()
