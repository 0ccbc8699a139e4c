"""The checker of exporters.sh (not a workload, never profiled), run by the
interpreter under test so that its own pstats reads the export.

Usage: checkexport.py DIR PROTO

DIR is a pysig_run directory of py/stats_work.py with report/out.prof.
{collapsed,info} (the --python-only view, the reference) and the exports
report/out.prof.{python-only,mixed}.{pstats,callgrind,pprof}.  PROTO is the
schema protoc decodes the pprof export with.  Prints eight results, one
line each, as checkprof.py does.
"""

import codecs
import gzip
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkprof import Profile, Results, Run, read, stacks_text  # noqa: E402

WORKLOAD = "stats_work.py"
HOT, CALLER = "hot_loop", "caller"


def def_lines():
    """The line of each "def NAME" of the workload."""
    lines = {}
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), WORKLOAD)
    with open(src) as f:
        for i, text in enumerate(f, 1):
            m = re.match(r"def (\w+)\(", text)
            if m:
                lines[m.group(1)] = i
    return lines


def is_func(frame, name):
    return (frame.python and frame.file.endswith(WORKLOAD) and
            frame.name.split(".")[-1] == name)


class Ref:
    """What the collapsed report says: samples with hot_loop as the leaf,
    samples under caller, all samples, and the seconds a sample stands
    for (1/effective_rate)."""

    def __init__(self, prof):
        self.total = prof.total()
        self.hot = sum(c for frames, c in prof.stacks
                       if frames and is_func(frames[-1], HOT))
        self.under_caller = prof.count(lambda f: is_func(f, CALLER))
        # Samples that carry their weight (format 1.2) are counted in
        # timer periods of 1/rate; others one each, 1/effective_rate.
        key = "effective_rate"
        if int(prof.info.get("weight_max_ns", "0") or 0) > 0:
            key = "rate"
        try:
            self.period = 1.0 / float(prof.info[key])
        except (KeyError, ValueError, ZeroDivisionError):
            self.period = None


def export(d, view, fmt):
    """The path of an export, or None and why it is missing."""
    base = os.path.join(d, "report", "out.prof.%s.%s" % (view, fmt))
    status = (read(base + ".status") or "").strip()
    if status != "0":
        err = (read(base + ".err") or "").strip()
        return None, "pysig-report --format=%s (%s) exited %s: %s" % (
            fmt, view, status or "?", err[:300])
    return base, None


def key_text(k):
    return "%s:%d(%s)" % k


def pstats_checks(res, d, ref, lines):
    """Three checks with pstats.Stats, one with python -m pstats."""
    import pstats
    path, why = export(d, "python-only", "pstats")
    if path is None:
        for _ in range(4):
            res.check("pstats export", False, [why])
        return
    try:
        st = pstats.Stats(path)
    except Exception as e:  # what a user would see
        for _ in range(4):
            res.check("pstats.Stats loads the export", False, [repr(e)])
        return
    st.sort_stats("tottime")
    order = st.fcn_list
    top = order[0]
    diag = ["%s tt=%.4f ct=%.4f" % (key_text(k), st.stats[k][2],
                                    st.stats[k][3]) for k in order[:5]]
    hot = [k for k in st.stats if k[0].endswith(WORKLOAD) and
           k[2].split(".")[-1] == HOT]
    res.check("pstats: sort_stats('tottime') puts %s first" % HOT,
              top[0].endswith(WORKLOAD) and top[2].split(".")[-1] == HOT and
              top[1] == lines[HOT], diag)
    if not hot or ref.period is None:
        res.check("pstats: %s's tottime from its samples" % HOT, False,
                  ["no %s in the export or no effective_rate" % HOT] + diag)
        res.check("pstats: %s's callers" % HOT, False, diag)
    else:
        cc, nc, tt, ct, callers = st.stats[hot[0]]
        want = ref.hot * ref.period
        res.check("pstats: %s's tottime %.4f s is its %d samples x %.5f s"
                  % (HOT, tt, ref.hot, ref.period),
                  abs(tt - want) <= ref.period and ct >= tt - 1e-9 and
                  abs(st.total_tt - ref.total * ref.period) <= ref.period and
                  cc == ref.hot and nc == ref.hot,
                  ["tt=%r ct=%r cc=%r nc=%r, want tt=%r; total_tt=%r of %d "
                   "samples" % (tt, ct, cc, nc, want, st.total_tt,
                                ref.total)] + diag)
        names = [key_text(k) for k in callers]
        res.check("pstats: %s's callers are %s" % (HOT, CALLER),
                  len(callers) == 1 and all(
                      k[0].endswith(WORKLOAD) and k[1] == lines[CALLER] and
                      k[2].split(".")[-1] == CALLER and v[0] == ref.hot
                      for k, v in callers.items()),
                  ["callers: %s" % names])
    # python -m pstats, the interactive browser, fed its commands.
    try:
        p = subprocess.run([sys.executable, "-m", "pstats", path],
                           input="sort tottime\nstats 3\nquit\n",
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True, timeout=60)
        out = p.stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        out = repr(e)
    rows = [ln for ln in out.splitlines()
            if re.match(r"\s*[\d/]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s", ln)]
    res.check("python -m pstats: 'sort tottime' lists %s first" % HOT,
              bool(rows) and rows[0].endswith("(%s)" % HOT),
              out.splitlines()[-20:])


def mixed_check(res, d, lines):
    """The mixed view's exports: native functions as (file, 0, name) in
    pstats, the same functions in callgrind_annotate's list, mappings and
    addressed locations in pprof (each consumer that is installed)."""
    import pstats
    paths = {}
    for fmt in ("pstats", "callgrind", "pprof"):
        paths[fmt], why = export(d, "mixed", fmt)
        if paths[fmt] is None:
            res.check("mixed view exports", False, [why])
            return
    try:
        st = pstats.Stats(paths["pstats"])
    except Exception as e:
        res.check("mixed view: pstats.Stats loads it", False, [repr(e)])
        return
    native = [k for k in st.stats if k[1] == 0 and k[0] != "~"]
    if not native:
        res.skip("mixed view: no native frames were recorded")
        return
    what = ["%d native functions in pstats" % len(native)]
    diag = [key_text(k) for k in native[:5]]
    ok = True
    tool = shutil.which("callgrind_annotate")
    if tool is not None:
        try:
            p = subprocess.run([tool, "--threshold=100", paths["callgrind"]],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT,
                               universal_newlines=True, timeout=60)
            out, status = p.stdout, p.returncode
        except (OSError, subprocess.TimeoutExpired) as e:
            out, status = repr(e), -1
        listed = set(ln.strip().rsplit(None, 1)[-1]
                     for ln in out.splitlines() if ":" in ln)
        found = [k for k in native if "%s:%s" % (k[0], k[2]) in listed]
        what.append("%d of them in callgrind_annotate" % len(found))
        ok = ok and status == 0 and bool(found)
        if status != 0 or not found:
            diag.extend(out.splitlines()[:20])
    if shutil.which("protoc") is not None:
        prof, perr = protoc_decode(paths["pprof"], sys.argv[2])
        if prof is None:
            res.check("mixed view: protoc decodes the pprof export", False,
                      [perr])
            return
        strings = prof.get("string_table", [])
        maps = prof.get("mapping", [])
        mapped = [loc for loc in prof.get("location", [])
                  if int(loc.get("mapping_id", ["0"])[0]) != 0]
        what.append("%d pprof mappings, %d addressed locations in them"
                    % (len(maps), len(mapped)))
        ok = ok and bool(maps) and bool(mapped) and all(
            strings[int(m["filename"][0])].startswith("/")
            for m in maps) and all(
            int(loc.get("address", ["0"])[0]) != 0 for loc in mapped)
        diag.extend("mapping: %r" % m for m in maps[:3])
    res.check("mixed view: " + ", ".join(what), ok, diag)


def callgrind_checks(res, d, ref):
    """callgrind_annotate: hot_loop's self cost, caller's inclusive cost."""
    path, why = export(d, "python-only", "callgrind")
    tool = shutil.which("callgrind_annotate")
    if tool is None:
        for _ in range(2):
            res.skip("callgrind_annotate not installed (Debian valgrind)")
        return
    if path is None:
        for _ in range(2):
            res.check("callgrind export", False, [why])
        return
    for inclusive, name, want in ((False, HOT, ref.hot),
                                  (True, CALLER, ref.under_caller)):
        args = [tool, "--threshold=100"]
        if inclusive:
            args.append("--inclusive=yes")
        try:
            p = subprocess.run(args + [path], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT,
                               universal_newlines=True, timeout=60)
            out, status = p.stdout, p.returncode
        except (OSError, subprocess.TimeoutExpired) as e:
            out, status = repr(e), -1
        got = None
        for ln in out.splitlines():
            m = re.match(r"\s*([\d,]+) .*\s(\S+):([^\s:]+)\s*$", ln)
            if m and m.group(2).endswith(WORKLOAD) and m.group(3) == name:
                got = int(m.group(1).replace(",", ""))
        res.check("callgrind_annotate%s: %s has %s samples (%s)" % (
            " --inclusive=yes" if inclusive else "", name, got, want),
            status == 0 and got == want, out.splitlines()[:30])


def protoc_decode(path, proto):
    """The pprof export decoded by protoc into nested dicts of lists of
    values (strings unescaped), or None and why."""
    protoc = shutil.which("protoc")
    if protoc is None:
        return None, "protoc not installed"
    with gzip.open(path, "rb") as f:
        data = f.read()
    try:
        p = subprocess.run([protoc, "-I", os.path.dirname(proto),
                            "--decode=perftools.profiles.Profile",
                            os.path.basename(proto)], input=data,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, repr(e)
    if p.returncode != 0:
        return None, "protoc: %s" % p.stderr.decode("utf-8", "replace")
    stack = [{}]
    for ln in p.stdout.decode("utf-8").splitlines():
        ln = ln.strip()
        if ln.endswith("{"):
            child = {}
            stack[-1].setdefault(ln[:-1].strip(), []).append(child)
            stack.append(child)
        elif ln == "}":
            stack.pop()
        elif ":" in ln:
            k, _, v = ln.partition(":")
            v = v.strip()
            if v.startswith('"'):
                v = codecs.escape_decode(v[1:-1].encode("utf-8"))[0]
                v = v.decode("utf-8")
            stack[-1].setdefault(k.strip(), []).append(v)
    return stack[0], None


def pprof_check(res, d, ref, lines):
    """protoc decodes the export: sample types, totals, hot_loop's
    function, its samples and their lines."""
    path, why = export(d, "python-only", "pprof")
    if shutil.which("protoc") is None:
        res.skip("protoc not installed (Debian protobuf-compiler)")
        return
    if path is None:
        res.check("pprof export", False, [why])
        return
    prof, why = protoc_decode(path, sys.argv[2])
    if prof is None:
        res.check("protoc decodes the pprof export", False, [why])
        return
    s = prof.get("string_table", [])
    types = [(s[int(t["type"][0])], s[int(t["unit"][0])])
             for t in prof.get("sample_type", [])]
    funcs = {f["id"][0]: f for f in prof.get("function", [])}
    locs = {loc["id"][0]: loc for loc in prof.get("location", [])}
    total = hot = 0
    bad_lines = []
    hot_id = None
    for fid, f in funcs.items():
        if (s[int(f["name"][0])].split(".")[-1] == HOT and
                s[int(f.get("filename", ["0"])[0])].endswith(WORKLOAD) and
                int(f.get("start_line", ["0"])[0]) == lines[HOT]):
            hot_id = fid
    body = range(lines[HOT] + 1, lines["warm_loop"])
    for smp in prof.get("sample", []):
        total += int(smp["value"][0])
        leaf = locs[smp["location_id"][0]]["line"][0]
        if leaf["function_id"][0] == hot_id:
            hot += int(smp["value"][0])
            if int(leaf.get("line", ["0"])[0]) not in body:
                bad_lines.append(leaf)
    res.check("protoc: sample types %s, %d samples (%d), %s with %d (%d) "
              "on its lines" % (types, total, ref.total, HOT, hot, ref.hot),
              types == [("samples", "count"), ("cpu", "nanoseconds")] and
              s[0] == "" and total == ref.total and hot_id is not None and
              hot == ref.hot and not bad_lines and
              int(prof.get("period", ["0"])[0]) > 0 and
              int(prof.get("time_nanos", ["0"])[0]) > 0,
              ["functions: %s" % [s[int(f["name"][0])]
                                  for f in funcs.values()][:20],
               "bad lines: %s" % bad_lines[:5]])


def main():
    d = sys.argv[1]
    res = Results()
    try:
        run = Run(d)
        prof = Profile(os.path.join(d, "report", "out.prof"))
        ref = Ref(prof)
        lines = def_lines()
        if run.problems() or prof.problems or ref.hot == 0:
            for _ in range(8):
                res.check("profile of %s" % WORKLOAD, False,
                          run.problems() + prof.problems +
                          stacks_text(prof))
            return
        pstats_checks(res, d, ref, lines)
        mixed_check(res, d, lines)
        callgrind_checks(res, d, ref)
        pprof_check(res, d, ref, lines)
    finally:
        res.emit()


if __name__ == "__main__":
    main()
