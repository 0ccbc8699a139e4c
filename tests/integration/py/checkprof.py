#!/usr/bin/env python3
"""The checker of the integration tests (not a workload, never profiled).

Usage: checkprof.py TEST [ARGS...]

lib.sh's pysig_run leaves, for each run, a directory with stdout, stderr,
status, cwd/ (the working directory) and report/<profile>.{collapsed,info}
(+ .status, .err: pysig-report's exit status and stderr).  Each TEST below
reads such directories and prints a fixed number of results, one line each:
"ok <what>", "not ok <what>" or "skip <why>", diagnostics as "# " lines.
lib.sh's tap_feed numbers them.
"""

import os
import re
import sys

DEFAULTS = {"PYSIG_RATE": 100, "PYSIG_MAX_DEPTH": 1024, "PYSIG_QUIET": 0,
            "PYSIG_NATIVE": 1, "PYSIG_NATIVE_DEPTH": 512,
            "PYSIG_UNWIND": "trace", "PYSIG_IDLE_SLOWDOWN": 10,
            "PYSIG_CPU_TIMER": "perf"}
PSEUDO = ("[truncated]", "[thread without Python]", "[no Python frames]",
          "[invalid frame]", "[entering Python]")


def read(path, mode="r"):
    """The contents of a file, or None if it does not exist."""
    try:
        if mode == "rb":
            with open(path, "rb") as f:
                return f.read()
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return None


class Frame:
    """One frame of a collapsed line: "qualname (file:line)" or a
    pseudo-frame such as "[truncated]" (file and line None)."""

    def __init__(self, text):
        self.text = text
        self.name, self.file, self.line = text, None, None
        if text.endswith(")"):
            i = text.rfind(" (")
            j = text.rfind(":")
            if 0 <= i < j:
                self.name = text[:i]
                self.file = text[i + 2:j]
                lineno = text[j + 1:-1]
                if re.fullmatch(r"-?[0-9]+", lineno):
                    self.line = int(lineno)

    @property
    def python(self):
        return self.file is not None


class Profile:
    """The reports of one profile: stacks (frames root first, count) from
    --format=collapsed, and the key/value pairs of --format=info."""

    def __init__(self, base):
        self.base = base
        self.problems = []
        self.stacks = []
        self.info = {}
        raw = read(base + ".collapsed", "rb")
        self._status("collapsed", raw)
        if raw is not None:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                self.problems.append("collapsed output is not UTF-8: %s" % e)
                text = raw.decode("utf-8", errors="replace")
            for line in text.splitlines():
                stack, _, count = line.rpartition(" ")
                if not stack or not count.isdigit():
                    self.problems.append("bad collapsed line: %r" % line)
                    continue
                frames = [Frame(f) for f in stack.split(";")]
                self.stacks.append((frames, int(count)))
        raw = read(base + ".info")
        self._status("info", raw)
        for line in (raw or "").splitlines():
            key, sep, value = line.partition(":")
            if sep:
                self.info.setdefault(key.strip(), value.strip())

    def _status(self, fmt, raw):
        status = read("%s.%s.status" % (self.base, fmt))
        if raw is None or status is None:
            self.problems.append("no %s report" % fmt)
        elif status.strip() != "0":
            err = (read("%s.%s.err" % (self.base, fmt)) or "").strip()
            self.problems.append("pysig-report --format=%s exited %s: %s"
                                 % (fmt, status.strip(), err[:300]))

    def total(self):
        return sum(c for _, c in self.stacks)

    def count(self, pred):
        """Samples whose stack has a frame satisfying pred."""
        return sum(c for frames, c in self.stacks
                   if any(pred(f) for f in frames))

    def info_int(self, key):
        try:
            return int(float(self.info[key]))
        except (KeyError, ValueError):
            return None


class Run:
    """One run made by pysig_run in directory d."""

    def __init__(self, d, expect_status=0):
        self.dir = d
        self.stdout = read(os.path.join(d, "stdout"), "rb")
        self.stderr = read(os.path.join(d, "stderr"), "rb")
        status = read(os.path.join(d, "status"))
        self.status = int(status) if status and status.strip() else None
        self.expect_status = expect_status
        self._profiles = {}

    def profile(self, name="out.prof"):
        if name not in self._profiles:
            if os.path.exists(os.path.join(self.dir, name)):
                self._profiles[name] = Profile(
                    os.path.join(self.dir, "report", name))
            else:
                self._profiles[name] = None
        return self._profiles[name]

    def stderr_lines(self):
        return (self.stderr or b"").decode("utf-8", "replace").splitlines()

    def problems(self, profile=True):
        """What went wrong with the run itself, as a list of strings."""
        p = []
        if self.status is None:
            p.append("the run did not happen")
        elif self.status == 124:
            p.append("timed out after 120 s")
            hang = read(os.path.join(self.dir, "hang.txt"))
            if hang:
                p.extend("hang: " + line
                         for line in hang.splitlines()[:200])
        elif self.status != self.expect_status:
            p.append("exit status %d, expected %d"
                     % (self.status, self.expect_status))
        if profile:
            prof = self.profile()
            if prof is None:
                p.append("no profile written")
            else:
                p.extend(prof.problems)
        if p:
            p.extend("stderr: " + line for line in self.stderr_lines()[-15:])
        return p


class Results:
    """Collects the checks of one TEST and prints them."""

    def __init__(self):
        self.lines = []

    def check(self, what, ok, diag=()):
        self.lines.append(("ok " if ok else "not ok ") + what)
        if not ok:
            self.lines.extend("# " + d for d in diag)
        return ok

    def skip(self, why):
        self.lines.append("skip " + why)

    def emit(self):
        sys.stdout.write("\n".join(self.lines) + "\n")


def stacks_text(prof, limit=8, pred=None):
    """The heaviest stacks, shortened, for diagnostics."""
    out = []
    stacks = sorted(prof.stacks, key=lambda s: -s[1]) if prof else []
    for frames, count in stacks:
        if pred is not None and not any(pred(f) for f in frames):
            continue
        names = [f.text for f in frames]
        if len(names) > 6:
            names = names[:2] + ["...(%d)" % (len(names) - 4)] + names[-2:]
        out.append("%6d %s" % (count, ";".join(names)))
        if len(out) >= limit:
            break
    return out


def innermost(frames):
    """The innermost Python frame of a stack, or None."""
    for f in reversed(frames):
        if f.python:
            return f
    return None


# --- split.sh ---------------------------------------------------------------

def check_split(res, minor, d):
    run = Run(d)
    prof = run.profile()
    problems = run.problems()
    measured = {}
    for line in (run.stdout or b"").decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "measured":
            measured[parts[1]] = float(parts[2])
    counts = {}
    if prof:
        for name in ("hot_seventy", "cool_thirty"):
            counts[name] = prof.count(lambda f, n=name: f.name == n)
    n = sum(counts.values())
    if len(measured) != 2:
        problems.append("the workload printed no measurements")
    elif n < 100:
        problems.append("only %d samples in the two functions" % n)
    res.check("both functions sampled (%d samples)" % n, not problems,
              problems + stacks_text(prof))
    if problems:
        res.check("reported split matches the measured split", False,
                  ["no usable run"])
        return
    want = 100.0 * measured["hot_seventy"] / sum(measured.values())
    got = 100.0 * counts["hot_seventy"] / n
    res.check("hot_seventy has %.1f%% of the samples, measured %.1f%% "
              "(within 5 points)" % (got, want), abs(got - want) <= 5.0,
              ["samples: %r" % counts, "cpu seconds: %r" % measured])


# --- names.sh ---------------------------------------------------------------

def check_names(res, minor, d):
    run = Run(d)
    prof = run.profile()
    problems = run.problems()
    qual = minor >= 11
    expect = [
        ("method of a class", "Worker.method" if qual else "method",
         "names.py"),
        ("nested function", "outer.<locals>.inner" if qual else "inner",
         "names.py"),
        ("lambda", "<lambda>", "names.py"),
        ("generator", "gen_squares", "names.py"),
        ("generator expression",
         "use_genexpr.<locals>.<genexpr>" if qual else "<genexpr>",
         "names.py"),
        ("coroutine run by asyncio", "crunch", "names.py"),
        ("exec-generated code", "generated_fn", "<generated>"),
        ("non-ASCII name", "funci\u00f3n_\u00f1", "names.py"),
        ("non-ASCII name", "\u95a2\u6570", "names.py"),
        ("non-ASCII file name", "smile_work", "dir_\u00fc/\U0001f600.py"),
    ]
    for what, name, file in expect:
        desc = "%s reported as %s (%s)" % (what, name, file)
        if problems:
            res.check(desc, False, problems)
            continue

        def match(f, name=name, file=file):
            return f.name == name and f.file is not None and (
                f.file == file or f.file.endswith("/" + file))
        n = prof.count(match)
        near = sorted({"%s (%s)" % (f.name, f.file) for frames, _ in
                       prof.stacks for f in frames if f.python and
                       f.file.endswith(file.rsplit("/", 1)[-1])})
        res.check(desc + ": %d samples" % n, n > 0,
                  ["frames of that file: %s" % ", ".join(near[:30])])
    bad = []
    if prof:
        for frames, _ in prof.stacks:
            for f in frames:
                if "\ufffd" in f.text and f.text not in bad:
                    bad.append(f.text)
    res.check("names and files are valid UTF-8", not problems and not bad,
              problems + ["replacement character in: " + b for b in bad])


# --- lines.sh ---------------------------------------------------------------

def marker_lines(path):
    """Line numbers of the "# LINE_A"-style markers in a source file."""
    marks = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = re.search(r"#\s*([A-Z_]+)\s*$", line)
            if m:
                marks[m.group(1)] = n
    return marks


def check_lines(res, minor, d, source):
    run = Run(d)
    prof = run.profile()
    problems = run.problems()
    marks = marker_lines(source)
    a, b, call = marks["LINE_A"], marks["LINE_B"], marks["CALL"]
    lines = {}
    callers = {}
    if prof:
        for frames, count in prof.stacks:
            for k, f in enumerate(frames):
                if f.name != "two_loops":
                    continue
                if k == len(frames) - 1:
                    lines[f.line] = lines.get(f.line, 0) + count
                if k > 0:
                    p = frames[k - 1]
                    key = "%s:%s" % (p.name, p.line)
                    callers[key] = callers.get(key, 0) + count
    n = sum(lines.values())
    if not problems and n < 50:
        problems.append("only %d samples with two_loops innermost" % n)
    diag = problems + ["two_loops lines (line: samples): %r" % lines]
    if problems:
        for desc in ("line A dominates", "line B appears",
                     "caller's line is the call"):
            res.check(desc, False, diag)
        return
    res.check("line %d (80%% of the work) has most samples of two_loops: "
              "%d of %d" % (a, lines.get(a, 0), n),
              lines.get(a, 0) * 2 > n and
              lines.get(a, 0) == max(lines.values()), diag)
    res.check("line %d (20%% of the work) appears: %d samples"
              % (b, lines.get(b, 0)), lines.get(b, 0) > 0, diag)
    want = "main:%d" % call
    res.check("two_loops is always called from %s" % want,
              list(callers) == [want],
              ["callers (name:line: samples): %r" % callers])


# --- depth.sh ---------------------------------------------------------------

def check_depth(res, minor, full_dir, cut_dir, depth, cut_depth, max_depth):
    full = Run(full_dir)
    cut = Run(cut_dir)
    pf, pc = full.profile(), cut.profile()

    problems = full.problems()
    deepest = 0
    truncated = []
    if pf:
        for frames, count in pf.stacks:
            n = sum(1 for f in frames if f.name == "recurse")
            if n > deepest and frames[0].name == "<module>":
                deepest = n
            if any(f.name == "[truncated]" for f in frames):
                truncated.append(count)
    if pf and pf.info_int("truncated") != 0:
        problems.append("info says truncated: %s" % pf.info.get("truncated"))
    res.check("recursion %d deep reported complete: %d recurse frames under "
              "<module>, no [truncated]" % (depth, deepest),
              not problems and deepest >= depth and not truncated,
              problems + ["%d samples marked [truncated]" % sum(truncated)] +
              stacks_text(pf, 4))

    problems = cut.problems()
    cut_stacks = 0
    bad = []
    if pc:
        for frames, count in pc.stacks:
            py = [f for f in frames if f.python]
            if len(py) > max_depth:
                bad.append("%d Python frames kept" % len(py))
            marked = [k for k, f in enumerate(frames)
                      if f.name == "[truncated]"]
            if marked:
                if marked != [0]:
                    bad.append("[truncated] not (only) at the root")
                elif innermost(frames) is None or \
                        innermost(frames).name != "recurse":
                    bad.append("innermost frame of a cut stack is not "
                               "recurse")
                else:
                    cut_stacks += count
    res.check("PYSIG_MAX_DEPTH=%d cuts a %d-deep recursion: [truncated] at "
              "the root, at most %d Python frames (%d samples cut)"
              % (max_depth, cut_depth, max_depth, cut_stacks),
              not problems and not bad and cut_stacks > 0,
              problems + sorted(set(bad)) + stacks_text(pc, 4))
    t = pc.info_int("truncated") if pc else None
    res.check("info of the cut profile says truncated: %s" % t,
              not problems and t is not None and t > 0, problems)


# --- entering.sh ------------------------------------------------------------

def check_entering(res, minor, d):
    run = Run(d)
    prof = run.profile()
    problems = run.problems()
    if not problems and b"done" not in (run.stdout or b""):
        problems.append("the workload did not finish")
    counted = {}
    for key in ("invalid_frames", "faults", "entering_frames", "samples"):
        counted[key] = prof.info_int(key) if prof else None
    stacks = prof.stacks if prof else []
    invalid = sum(c for fr, c in stacks
                  if any(f.name == "[invalid frame]" for f in fr))
    res.check("C calling into Python at 10000/s: no invalid frame (%s "
              "samples, invalid_frames %s, faults %s, %s [invalid frame])"
              % (counted["samples"], counted["invalid_frames"],
                 counted["faults"], invalid),
              not problems and counted["invalid_frames"] == 0 and
              counted["faults"] == 0 and invalid == 0,
              problems + stacks_text(prof, 6,
                                     lambda f: f.name == "[invalid frame]"))
    # A stack with a frame of the workload runs under its <module>; a
    # stale frame read on entry would show an unrelated chain.
    stale = (lambda fr: any(f.python and f.file.endswith("entering.py")
                            for f in fr) and
             not (fr[0].name == "<module>" and
                  fr[0].file.endswith("entering.py")))
    bad = [(fr, c) for fr, c in stacks if stale(fr)]
    n = sum(c for _, c in bad)
    entering = sum(c for fr, c in stacks
                   if fr and fr[0].name == "[entering Python]")
    res.check("every stack through entering.py starts at its <module> "
              "(%d do not; entering_frames %s, %d samples [entering "
              "Python])" % (n, counted["entering_frames"], entering),
              not problems and prof is not None and n == 0 and
              (minor in (11, 12) or counted["entering_frames"] == 0),
              problems + ["%6d %s" % (c, ";".join(f.text for f in fr))
                          for fr, c in bad[:6]])


# --- codereuse.sh -----------------------------------------------------------

def check_codereuse(res, minor, d):
    run = Run(d)
    prof = run.profile()
    problems = run.problems()
    times = {}
    reused = None
    for line in (run.stdout or b"").decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "t":
            times[parts[1]] = float(parts[2])
        elif len(parts) == 2 and parts[0] == "reused":
            reused = int(parts[1])
    if not times or reused is None:
        problems.append("the workload printed no measurements")
    wrong_parent, wrong_place, idle = [], [], []
    counts = {}
    gen = re.compile(r"gen_([0-9]+)$")
    if prof:
        for frames, count in prof.stacks:
            for k, f in enumerate(frames):
                if f.name.startswith("idle_"):
                    idle.append("%s (%d samples)" % (f.text, count))
                m = gen.match(f.name)
                if not m:
                    continue
                i = int(m.group(1))
                counts[f.name] = counts.get(f.name, 0) + count
                parent = frames[k - 1].name if k > 0 else None
                if parent != "run_%d" % (i % 8):
                    wrong_parent.append("%s called by %s (%d samples)"
                                        % (f.name, parent, count))
                if f.file != "<gen_%d>" % i or f.line is None or \
                        not 2 <= f.line <= 9:
                    wrong_place.append("%s (%d samples)" % (f.text, count))
    if not problems and len(counts) < 50:
        problems.append("only %d generated functions sampled" % len(counts))
    if not problems and not reused:
        problems.append("no code object was allocated at a freed one's "
                        "address: the test proves nothing")
    res.check("%d generated functions sampled, %s of %d code objects at "
              "reused addresses" % (len(counts), reused, len(times)),
              not problems, problems)
    res.check("every generated function is reported under its only caller",
              not problems and not wrong_parent, problems + wrong_parent[:20])
    res.check("no never-called function is reported; generated functions "
              "have their own file and lines",
              not problems and not idle and not wrong_place,
              problems + idle[:10] + wrong_place[:10])
    rate = None
    if prof:
        try:
            rate = float(prof.info.get("effective_rate", ""))
        except ValueError:
            rate = None
    too_many = []
    # Reports count timer periods: a signal standing for several periods
    # (above the kernel's tick rate) counts that many times.  Compare in
    # periods, allowing as many signals as before, each at the largest
    # weight seen.
    asked = prof.info_int("rate") if prof else None
    wmax = prof.info_int("weight_max_ns") if prof else None
    if rate and asked:
        per_signal = max(1.0, asked / rate,
                         (wmax or 0) * asked / 1e9)
        for name, n in sorted(counts.items()):
            if name not in times:
                too_many.append("%s: %d samples, but it never ran" % (name, n))
                continue
            expect = asked * times[name]
            if n > 2 * expect + 4 * per_signal:
                too_many.append("%s: %d periods for %.2f ms of CPU time "
                                "at %d periods/s, %.0f signals/s"
                                % (name, n, 1000 * times[name], asked,
                                   rate))
    elif not problems:
        problems.append("info has no effective_rate")
    res.check("samples per generated function match its CPU time",
              not problems and not too_many, problems + too_many[:20])


# --- threads.sh -------------------------------------------------------------

def check_threads(res, minor, d, native):
    run = Run(d)
    prof = run.profile()
    problems = run.problems()
    if not problems and b"done" not in (run.stdout or b""):
        problems.append("the workload did not finish")
    names = ["thread_work_%d" % i for i in range(4)] + ["main_work"]
    counts = {}
    if prof:
        for name in names:
            counts[name] = prof.count(lambda f, n=name: f.name == n)
    missing = [n for n in names if not counts.get(n)]
    res.check("4 Python threads and the main thread all reported",
              not problems and not missing,
              problems + ["samples: %r" % counts] + stacks_text(prof))
    # The handler's cost: the total over every sample is what the mean is
    # taken from (the trailer reads its counters while the last signals
    # may still arrive: allow 1%).
    got = {k: prof.info_int(k) if prof else None for k in (
        "samples", "handler_ns_total", "handler_ns_mean", "handler_ns_max")}
    ok = None not in got.values() and got["samples"] > 0 and \
        got["handler_ns_total"] >= got["handler_ns_max"] > 0 and \
        abs(got["handler_ns_total"] / got["samples"] -
            got["handler_ns_mean"]) <= max(1, got["handler_ns_mean"] / 100)
    res.check("info's handler_ns_total is the mean times the samples, at "
              "least the largest: %r" % got, not problems and ok, problems)
    if native is None:
        res.skip("no C compiler to build the native thread")
        return
    n = prof.count(lambda f: f.name == "[thread without Python]") \
        if prof else 0
    np = prof.info_int("no_python") if prof else None
    res.check("the native thread's samples are [thread without Python]: %d, "
              "info no_python: %s" % (n, np),
              not problems and n > 0 and np is not None and np > 0,
              problems + stacks_text(prof))


# --- kill.sh ----------------------------------------------------------------

def check_kill(res, minor, d, cpu_ticks, hz):
    run = Run(d, expect_status=137)
    prof = run.profile()
    problems = run.problems()
    cpu = int(cpu_ticks) / float(hz)
    rate = prof.info_int("rate") if prof else None
    n = prof.total() if prof else 0
    res.check("the profile of a killed process reads (%d samples)" % n,
              not problems, problems)
    if rate is None and not problems:
        problems.append("info has no rate")
    want = (rate or 0) * (cpu - 1.0)
    res.check("samples %d >= rate %s x (%.2f s CPU - 1 s) = %.0f"
              % (n, rate, cpu, want), not problems and n >= want,
              problems + stacks_text(prof, 4))
    t = prof.info.get("trailer", "") if prof else ""
    res.check("info says trailer: %s" % t,
              not problems and t.split()[:1] == ["no"], problems)


# --- config.sh --------------------------------------------------------------

def pysig_lines(run):
    return [line for line in run.stderr_lines() if line.startswith("pysig:")]


def check_config(res, minor, top):
    base = Run(os.path.join(top, "baseline"), expect_status=5)
    problems = base.problems(profile=False)
    if problems:
        problems = ["the run without pysig failed"] + problems

    def same_output(run):
        """Differences in stdout and exit status from the baseline."""
        p = []
        if run.stdout != base.stdout:
            p.append("stdout differs: %r vs %r" % (run.stdout, base.stdout))
        if run.status != run.expect_status:
            p.append("exit status %s, expected %s" % (run.status,
                                                      run.expect_status))
        return p

    with open(os.path.join(top, "cases"), encoding="utf-8") as f:
        cases = [line.split() for line in f if line.strip()]
    for name, assignment in cases:
        var, _, value = assignment.partition("=")
        default = DEFAULTS[var]
        run = Run(os.path.join(top, name), expect_status=5)
        p = problems + run.problems() + same_output(run)
        lines = pysig_lines(run)
        naming = [line for line in lines if var in line]
        if len(naming) != 1:
            p.append("%d pysig: lines name %s" % (len(naming), var))
        elif not re.search(r"\b%s\b" % re.escape(str(default)), naming[0]):
            p.append("the line does not say the default, %s" % default)
        prof = run.profile()
        key = {"PYSIG_RATE": "rate", "PYSIG_MAX_DEPTH": "max_depth",
               "PYSIG_NATIVE": "native", "PYSIG_NATIVE_DEPTH": "native_depth",
               "PYSIG_UNWIND": "unwind"}.get(var)
        if prof and key and prof.info.get(key) != str(default):
            p.append("info says %s: %s, expected the default %s"
                     % (key, prof.info.get(key), default))
        if prof and not prof.total():
            p.append("no samples")
        res.check("%s=%s: one pysig: line naming %s and its default %s; "
                  "still profiled" % (var, value, var, default), not p,
                  p + ["stderr: " + line for line in run.stderr_lines()])

    run = Run(os.path.join(top, "output_missing"), expect_status=5)
    p = problems + run.problems(profile=False) + same_output(run)
    extra = run.stderr_lines()[:]
    for line in base.stderr_lines():
        if line in extra:
            extra.remove(line)
    if len(extra) != 1 or not extra[0].startswith("pysig:"):
        p.append("stderr adds %d lines, expected one pysig: line" % len(extra))
    left = os.listdir(os.path.join(top, "output_missing", "cwd"))
    if left or os.path.exists(os.path.join(top, "output_missing", "missing")):
        p.append("files written: %r" % left)
    res.check("PYSIG_OUTPUT in a missing directory: one pysig: line, runs "
              "unprofiled with its exit status", not p,
              p + ["stderr: " + line for line in run.stderr_lines()])

    run = Run(os.path.join(top, "quiet"), expect_status=5)
    p = problems + run.problems() + same_output(run)
    if run.stderr != base.stderr:
        p.append("stderr %r, without pysig %r" % (run.stderr, base.stderr))
    if run.profile() and not run.profile().total():
        p.append("no samples")
    res.check("PYSIG_QUIET=1: stderr exactly as without pysig; profiled",
              not p, p)

    run = Run(os.path.join(top, "status3"), expect_status=3)
    p = problems + run.problems() + same_output(run)
    res.check("sys.exit(3) under pysig exits with 3", not p, p)

    run = Run(os.path.join(top, "header"), expect_status=5)
    p = problems + run.problems()
    prof = run.profile()
    side = (read(os.path.join(top, "header", "side")) or "").split()
    if len(side) != 2:
        p.append("the workload wrote no pid")
    elif prof:
        want = {"pid": side[0], "python": side[1], "rate": "250",
                "max_depth": "300"}
        for key, value in want.items():
            if prof.info.get(key) != value:
                p.append("info %s: %r, expected %r"
                         % (key, prof.info.get(key), value))
    res.check("info has the pid, the Python version, rate and max_depth",
              not p, p + ["info: %r" % (prof.info if prof else None)])

    run = Run(os.path.join(top, "child"), expect_status=5)
    p = problems + run.problems()
    side = (read(os.path.join(top, "child", "side.child")) or "").split()
    if len(side) != 2:
        p.append("the child wrote no pid")
    else:
        name = "out.prof.%s" % side[0]
        child = run.profile(name)
        if child is None:
            p.append("no %s; files: %r" % (name, sorted(
                os.listdir(os.path.join(top, "child")))))
        else:
            p.extend(child.problems)
            if child.info.get("pid") != side[0]:
                p.append("%s: info pid %r" % (name, child.info.get("pid")))
            if not child.total():
                p.append("%s: no samples" % name)
        parent = run.profile()
        if parent and parent.info.get("pid") == side[0]:
            p.append("out.prof has the child's pid")
    res.check("a Python child of a profiled Python writes out.prof.<pid>",
              not p, p)


# --- unsupported.sh ---------------------------------------------------------

def check_unsupported(res, minor, top, version):
    base = Run(os.path.join(top, "baseline"), expect_status=4)
    run = Run(os.path.join(top, "preload"), expect_status=4)
    p = base.problems(profile=False)
    extra = run.stderr_lines()[:]
    for line in base.stderr_lines():
        if line in extra:
            extra.remove(line)
    if len(extra) != 1:
        p.append("stderr adds %d lines, expected 1" % len(extra))
    elif not (extra[0].startswith("pysig:") and
              re.search(r"not supported|unsupported", extra[0]) and
              version in extra[0]):
        p.append("not a pysig: line about version %s not supported: %r"
                 % (version, extra[0]))
    res.check("one pysig: line saying %s is not supported" % version, not p,
              p + ["stderr: " + line for line in run.stderr_lines()])
    p = base.problems(profile=False)
    if run.stdout != base.stdout or run.status != base.status:
        p.append("stdout %r status %s; without pysig %r status %s"
                 % (run.stdout, run.status, base.stdout, base.status))
    res.check("output and exit status unchanged", not p, p)
    left = os.listdir(os.path.join(top, "preload", "cwd"))
    written = os.path.exists(os.path.join(top, "preload", "out.prof"))
    res.check("no profile written", not left and not written,
              ["files: %r, PYSIG_OUTPUT written: %s" % (left, written)])


# --- not_python.sh ----------------------------------------------------------

def check_not_python(res, minor, top, name):
    base = Run(os.path.join(top, name + ".base"), expect_status=None)
    run = Run(os.path.join(top, name + ".pre"), expect_status=None)
    p = []
    if base.status in (None, 124):
        p.append("the run without LD_PRELOAD failed: status %s"
                 % base.status)
    if run.status != base.status or run.stdout != base.stdout:
        p.append("status %s stdout %r; without LD_PRELOAD status %s "
                 "stdout %r" % (run.status, (run.stdout or b"")[:200],
                                base.status, (base.stdout or b"")[:200]))
    res.check("%s: exit status and output unchanged" % name, not p, p)
    res.check("%s: nothing on stderr" % name,
              run.stderr == base.stderr == b"",
              ["stderr: %r" % (run.stderr or b"")[:500]])
    left = os.listdir(os.path.join(top, name + ".pre", "cwd"))
    res.check("%s: no file created" % name, not left, ["files: %r" % left])


# --- native.sh --------------------------------------------------------------

# Source files of native frames with DWARF ("symbol (file.c:LINE)"); any
# other frame with a file is a Python frame ("name (file.py:LINE)").
NATIVE_SOURCE = re.compile(r"\.(c|h|cc|cpp|cxx|hh|hpp|inc|def|S|s|f|f90)$")
# The interpreter's call plumbing that folding removes (a sample of
# merge.c's list): named, it must not sit between two frames shown.
PLUMBING = re.compile(r"^(_?PyObject_(Call|Vectorcall|FastCall|MakeTpCall)|"
                      r"_PyFunction_(Vectorcall|FastCall)|PyVectorcall_Call|"
                      r"_?PyCFunction_|cfunction_(call|vectorcall)|"
                      r"method_vectorcall|methoddescr_call|_?PyEval_Vector|"
                      r"_PyEval_EvalFrame\b|slot_tp_call|type_call)")
NUMPY_NATIVE = re.compile(r"multiarray|umath|numpy|blas", re.I)
# glibc's qsort: qsort_r, msort_with_tmp (merge sort) up to 2.36.
QSORT = re.compile(r"qsort|msort")
# Pseudo-frames of reports with native stacks.
NATIVE_PSEUDO = PSEUDO + ("[no native stack]",)


def py_frame(f):
    """Whether a frame of a native-enabled report is a Python frame (its
    line may be "?")."""
    return f.file is not None and not NATIVE_SOURCE.search(f.file)


def native_frame(f):
    """Whether a frame is a native one: "symbol (file.c:LINE)",
    "symbol (library)" or "[unknown] (library)"."""
    return not py_frame(f) and f.text not in NATIVE_PSEUDO


def py_named(f, name, file):
    """Whether f is the Python frame of function name (its qualname ends
    with it) in a file whose base name is file."""
    return py_frame(f) and (f.name == name or
                            f.name.endswith("." + name)) and \
        os.path.basename(f.file) == file


def py_parent(frames, k):
    """The index of the nearest Python frame root-side of frames[k], or
    None."""
    for i in range(k - 1, -1, -1):
        if py_frame(frames[i]):
            return i
    return None


def note(res, text):
    """A diagnostic line shown whether the check passed or not."""
    res.lines.append("# " + text)


def shown(frames, start, end):
    """frames[start:end] as text, for diagnostics."""
    return ";".join(f.text for f in frames[start:end])


def merge_counts(prof):
    """native_samples and merge_mismatch from the info report (None if
    absent)."""
    def first_int(key):
        m = re.match(r"\s*([0-9]+)", prof.info.get(key, ""))
        return int(m.group(1)) if m else None
    return first_int("native_samples"), first_int("merge_mismatch")


def native_run(top, name):
    """The Run of workload name, or None and the reason it did not run."""
    why = read(os.path.join(top, name + ".skip"))
    if why is not None:
        return None, why.strip()
    return Run(os.path.join(top, name)), None


def view(run, option):
    """The report of a run's profile made with --python-only or
    --native-only (native.sh writes it beside the default ones)."""
    return Profile(os.path.join(run.dir, "report", "out.prof" + option))


def check_native_ctypes(res, run):
    """qsort's frames between sort_with_qsort and its comparator."""
    prof = run.profile()
    problems = run.problems()
    good = total = 0
    other = {}
    if prof:
        for frames, count in prof.stacks:
            ks = [k for k, f in enumerate(frames)
                  if py_named(f, "compare", "native_ctypes.py")]
            if not ks:
                continue
            k = ks[-1]
            total += count
            p = py_parent(frames, k)
            between = frames[p + 1:k] if p is not None else []
            if p is not None and \
                    py_named(frames[p], "sort_with_qsort",
                             "native_ctypes.py") and between and \
                    any(QSORT.search(f.name) for f in between):
                good += count
            else:
                key = shown(frames, max(0, k - 4), k + 1)
                other[key] = other.get(key, 0) + count
    if not problems and total < 20:
        problems.append("only %d samples in compare" % total)
    diag = problems + ["compare not under qsort (frames above it: "
                       "samples): %r" % other] + \
        stacks_text(prof, 4, lambda f: f.name.endswith("compare"))
    res.check("ctypes: sort_with_qsort -> native qsort frames -> compare, "
              "a native frame directly above compare: %d samples" % good,
              not problems and good > 0, diag)
    res.check("ctypes: most samples of compare are under qsort: %d of %d"
              % (good, total), not problems and 2 * good > total, diag)


def check_native_ext(res, run, source):
    """The extension's static function by name and line under its Python
    caller; its frames between call_into_c and the callback."""
    prof = run.profile()
    problems = run.problems()
    marks = {}
    with open(source, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = re.search(r"/\*\s*([A-Z_]+)\s*\*/\s*$", line)
            if m:
                marks[m.group(1)] = n
    lo, hi = marks["BURN_BEGIN"], marks["BURN_END"]
    burn = under = cb_good = cb_total = 0
    burn_lines, wrong_place, callers, cb_other = {}, [], {}, {}
    for frames, count in prof.stacks if prof else []:
        for k, f in enumerate(frames):
            if f.name != "burn_loop":
                continue
            burn += count
            burn_lines[f.line] = burn_lines.get(f.line, 0) + count
            if f.file != "pysigext.c" or not lo <= (f.line or 0) <= hi:
                wrong_place.append("%s (%d samples)" % (f.text, count))
            p = py_parent(frames, k)
            if p is not None and py_named(frames[p], "burn_in_c",
                                          "native_ext.py"):
                under += count
            key = shown(frames, p, k + 1) if p is not None else \
                "no Python frame: " + shown(frames, 0, k + 1)
            callers[key] = callers.get(key, 0) + count
        ks = [k for k, f in enumerate(frames)
              if py_named(f, "py_callback", "native_ext.py")]
        if not ks:
            continue
        cb_total += count
        p = py_parent(frames, ks[-1])
        if p is not None and \
                py_named(frames[p], "call_into_c", "native_ext.py") and \
                any(f.file == "pysigext.c" for f in frames[p + 1:ks[-1]]):
            cb_good += count
        else:
            key = shown(frames, max(0, ks[-1] - 4), ks[-1] + 1)
            cb_other[key] = cb_other.get(key, 0) + count
    if not problems and burn < 20:
        problems.append("only %d samples in burn_loop" % burn)
    res.check("ext: the static burn_loop reported as burn_loop "
              "(pysigext.c:LINE), LINE in its body %d-%d: %d samples"
              % (lo, hi, burn), not problems and not wrong_place,
              problems + wrong_place[:10] +
              ["burn_loop lines: %r" % burn_lines])
    res.check("ext: every burn_loop sample is under burn_in_c with no "
              "Python frame between: %d of %d" % (under, burn),
              not problems and under == burn,
              problems + ["%d %s" % (c, key) for key, c in
                          sorted(callers.items(), key=lambda kv: -kv[1])[:8]])
    if not problems and cb_total < 20:
        problems.append("only %d samples in py_callback" % cb_total)
    res.check("ext: call_into_c -> pysigext.c frames -> py_callback in most "
              "of py_callback's samples: %d of %d" % (cb_good, cb_total),
              not problems and 2 * cb_good > cb_total,
              problems + ["py_callback elsewhere (frames above it: "
                          "samples): %r" % cb_other] +
              stacks_text(prof, 4, lambda f: f.name.endswith("py_callback")))


def check_native_sort(res, run):
    """The list sort's frames between sort_with_key and the key lambda."""
    prof = run.profile()
    problems = run.problems()
    good = lenient = total = 0
    other, unnamed = {}, {}
    if prof:
        for frames, count in prof.stacks:
            ks = [k for k, f in enumerate(frames)
                  if py_named(f, "<lambda>", "native_sort.py")]
            if not ks:
                continue
            k = ks[-1]
            total += count
            p = py_parent(frames, k)
            between = frames[p + 1:k] if p is not None else []
            key = shown(frames, p if p is not None else 0, k + 1)
            if p is None or not between or \
                    not py_named(frames[p], "sort_with_key",
                                 "native_sort.py"):
                other[key] = other.get(key, 0) + count
            elif any("sort" in f.name for f in between):
                good += count
            elif all(f.name.startswith("[unknown]") for f in between):
                # A stripped interpreter (Debian's python3.11) has no
                # names for its static functions, list_sort_impl among them.
                lenient += count
                unnamed[key] = unnamed.get(key, 0) + count
            else:
                other[key] = other.get(key, 0) + count
    if not problems and total < 20:
        problems.append("only %d samples in the lambda" % total)
    res.check("sort: sort_with_key -> native sort frames -> <lambda> in most "
              "of the lambda's samples: %d of %d" % (good + lenient, total),
              not problems and 2 * (good + lenient) > total,
              problems + ["lambda elsewhere (from its caller: samples): %r"
                          % other])
    if lenient:
        note(res, "sort: %d samples have only unnamed native frames between "
             "sort_with_key and the lambda (no symbol contains 'sort': a "
             "stripped interpreter?); accepted:" % lenient)
        for key, c in sorted(unnamed.items(), key=lambda kv: -kv[1])[:3]:
            note(res, "  %d %s" % (c, key))


def check_native_numpy(res, run):
    """numpy's or BLAS's frames right under multiply_matrices."""
    prof = run.profile()
    problems = run.problems()
    good = total = 0
    below, plumbing = {}, []
    if prof:
        for frames, count in prof.stacks:
            ks = [k for k, f in enumerate(frames)
                  if py_named(f, "multiply_matrices", "native_numpy.py")]
            if not ks:
                continue
            k = ks[-1]
            total += count
            nxt = frames[k + 1] if k + 1 < len(frames) else None
            key = nxt.text if nxt else "(leaf)"
            below[key] = below.get(key, 0) + count
            if nxt is not None and native_frame(nxt) and \
                    NUMPY_NATIVE.search(nxt.text):
                good += count
            js = [j for j in range(k + 1, len(frames))
                  if native_frame(frames[j]) and
                  NUMPY_NATIVE.search(frames[j].text)]
            plumbing.extend("%s (%d samples)" % (f.text, count)
                            for f in frames[k + 1:js[0] if js else k + 1]
                            if PLUMBING.match(f.name))
    if not problems and total < 20:
        problems.append("only %d samples in multiply_matrices" % total)
    diag = problems + ["frames directly below multiply_matrices: %r"
                       % below]
    res.check("numpy: a numpy/BLAS native frame directly below "
              "multiply_matrices, no interpreter plumbing between: %d of %d "
              "samples" % (good, total),
              not problems and 2 * good > total and not plumbing,
              diag + ["plumbing not folded: " + p for p in plumbing[:10]])


def check_native_views(res, runs):
    """--python-only and --native-only of every workload's profile."""
    p, in_py, in_native = [], {}, {}
    n = burn = 0
    for name, run in runs:
        if run is None:
            continue
        n += 1
        pyv, nav = view(run, ".python-only"), view(run, ".native-only")
        p.extend("%s: %s" % (name, x) for x in run.problems())
        p.extend("%s: --python-only: %s" % (name, x) for x in pyv.problems)
        p.extend("%s: --native-only: %s" % (name, x) for x in nav.problems)
        for frames, count in pyv.stacks:
            for f in frames:
                if native_frame(f):
                    key = "%s: %s" % (name, f.text)
                    in_py[key] = in_py.get(key, 0) + count
        for frames, count in nav.stacks:
            for f in frames:
                if py_frame(f):
                    key = "%s: %s" % (name, f.text)
                    in_native[key] = in_native.get(key, 0) + count
                if name == "ext" and f.name == "burn_loop":
                    burn += count
        if not p and (not pyv.total() or pyv.total() != nav.total()):
            p.append("%s: %d samples --python-only, %d --native-only"
                     % (name, pyv.total(), nav.total()))
    if not p and not n:
        p.append("no workload ran")

    def frames_diag(found):
        return ["%d samples with %s" % (c, key) for key, c in
                sorted(found.items(), key=lambda kv: -kv[1])[:10]]
    res.check("--python-only has no native frame (%d profiles)" % n,
              not p and not in_py, p + frames_diag(in_py))
    res.check("--native-only has no Python frame (%d profiles)" % n,
              not p and not in_native, p + frames_diag(in_native))
    if dict(runs).get("ext") is None:
        res.skip("--native-only shows burn_loop: the extension was not built")
    else:
        res.check("--native-only shows burn_loop: %d samples" % burn,
                  not p and burn > 0, p)


def check_native_merge(res, name, run):
    """merge_mismatch below 1% of the native samples, numbers shown."""
    p = run.problems()
    prof = run.profile()
    native, mismatch = merge_counts(prof) if prof else (None, None)
    if not p and (native is None or mismatch is None):
        p.append("no native_samples or merge_mismatch in the info")
    info = ["info %s: %s" % kv for kv in sorted(prof.info.items())
            if kv[0].startswith(("native", "merge", "symbol_problem"))] \
        if prof else []
    res.check("%s: merge_mismatch %s of %s native samples is below 1%%"
              % (name, mismatch, native),
              not p and native > 0 and 100 * mismatch < native, p + info)
    if native:
        note(res, "%s: native_samples %d, merge_mismatch %d (%.2f%%), "
             "merge_partial %s" % (name, native, mismatch or 0,
                                   100.0 * (mismatch or 0) / native,
                                   prof.info.get("merge_partial", "?")
                                   .split(" ")[0]))


def check_native_off(res, run):
    """PYSIG_NATIVE=0: Python stacks alone."""
    p = run.problems()
    prof = run.profile()
    bad = []
    if prof:
        if prof.info.get("native") != "0":
            p.append("info native: %r, expected 0" % prof.info.get("native"))
        if not prof.total():
            p.append("no samples")
        for frames, count in prof.stacks:
            bad.extend("%d samples with %s" % (count, f.text)
                       for f in frames if native_frame(f))
    res.check("PYSIG_NATIVE=0: info says native: 0, no native frames",
              not p and not bad, p + bad[:10])


def check_native(res, minor, top, source):
    """Fifteen checks on the runs of native.sh in top (ctypes, ext, sort,
    numpy, nonative; a workload that could not run has NAME.skip)."""
    workloads = [
        ("ctypes", 2, check_native_ctypes),
        ("ext", 3, lambda res, run: check_native_ext(res, run, source)),
        ("sort", 1, check_native_sort),
        ("numpy", 1, check_native_numpy),
    ]
    runs = []
    for name, count, check in workloads:
        run, why = native_run(top, name)
        runs.append((name, run))
        if run is None:
            for _ in range(count):
                res.skip("%s: %s" % (name, why))
        else:
            check(res, run)
    check_native_views(res, runs)
    for name, run in runs:
        if run is None:
            res.skip("%s: no merge statistics, the workload did not run"
                     % name)
        else:
            check_native_merge(res, name, run)
    check_native_off(res, Run(os.path.join(top, "nonative")))


# --- unwind.sh --------------------------------------------------------------

def check_unwind(res, minor, d):
    """mapdeep.py 100 deep: the native stacks reach that deep, and libunwind
    made at most 4 mincore() calls per dl_iterate_phdr() call (d/counts,
    written by ext/countmincore.c)."""
    run = Run(d)
    prof = run.profile()
    problems = run.problems()
    depths = []
    if prof:
        for frames, count in prof.stacks:
            if any(py_frame(f) and f.name == "burn" for f in frames):
                depths.extend([sum(1 for f in frames if native_frame(f))]
                              * count)
    depths.sort()
    median = depths[len(depths) // 2] if depths else 0
    res.check("native stacks of burn() 100 calls down: median %d native "
              "frames (at least 100) over %d samples" % (median, len(depths)),
              not problems and median >= 100,
              problems + stacks_text(prof, 2))

    text = (read(os.path.join(d, "counts")) or "").strip()
    fields = text.split()
    counts = [int(f) for f in fields] if len(fields) == 2 and \
        all(f.isdigit() for f in fields) else None
    per = None
    if counts and counts[1] >= 50:
        per = counts[0] / counts[1]
    res.check("libunwind's validation stays off: %s mincore() calls for %s "
              "new addresses, %s each (at most 4)"
              % (counts[0] if counts else "-", counts[1] if counts else "-",
                 "%.2f" % per if per is not None else "-"),
              not problems and per is not None and per <= 4.0,
              problems + ["counts file (mincore, dl_iterate_phdr; at least "
                          "50 new addresses needed): %r" % text[:300]])


TESTS = {
    "split": check_split,
    "names": check_names,
    "lines": check_lines,
    "depth": check_depth,
    "entering": check_entering,
    "codereuse": check_codereuse,
    "threads": check_threads,
    "kill": check_kill,
    "config": check_config,
    "unsupported": check_unsupported,
    "not_python": check_not_python,
    "native": check_native,
    "unwind": check_unwind,
}


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in TESTS:
        sys.exit("usage: checkprof.py TEST MINOR ARGS... (TEST: %s)"
                 % ", ".join(sorted(TESTS)))
    res = Results()
    args = sys.argv[3:]
    if sys.argv[1] == "depth":
        args = args[:2] + [int(a) for a in args[2:]]
    elif sys.argv[1] == "threads" and args[1:] == ["-"]:
        args = [args[0], None]
    try:
        TESTS[sys.argv[1]](res, int(sys.argv[2]), *args)
    finally:
        res.emit()


if __name__ == "__main__":
    main()
