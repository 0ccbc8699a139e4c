#!/usr/bin/env python3
"""The checker of threadtime.sh (not a workload, never profiled).

Usage: checkthreads.py MINOR DIR PYSIG_REPORT

DIR.fair2, DIR.fair4, DIR.cpu, DIR.wall (and DIR.wall2), DIR.full (and
DIR.full2), DIR.bursts, DIR.hash, DIR.many and DIR.child are runs of
threadtime.py made by lib.sh's pysig_profile, reported with --per-thread:
every collapsed stack starts with "[thread TID NAME]".  Prints thirteen
results, as checkprof.py does.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkprof import Results, Run, stacks_text  # noqa: E402

RATE = 1000


def measured(run):
    """The workload's "cpu NAME S" / "wall NAME S" lines: {NAME: S}."""
    out = {}
    for line in (run.stdout or b"").decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in ("cpu", "wall"):
            out[parts[1]] = float(parts[2])
    return out


def threads_of(stacks, worker):
    """{thread root: periods} of the threads whose stacks run worker."""
    roots = {}
    for frames, count in stacks:
        if frames and frames[0].name.startswith("[thread ") and \
                any(f.name == worker for f in frames):
            roots[frames[0].name] = roots.get(frames[0].name, 0) + count
    return roots


def per_thread(stacks):
    """{thread root: periods} of every thread."""
    roots = {}
    for frames, count in stacks:
        if frames:
            roots[frames[0].name] = roots.get(frames[0].name, 0) + count
    return roots


def report(run, *options):
    """Collapsed stacks of run's profile with extra pysig-report options:
    [(frames, count)] as checkprof's Profile parses them, or None."""
    from checkprof import Frame
    path = os.path.join(run.dir, "out.prof")
    try:
        out = subprocess.run([REPORT, "--format=collapsed", "--python-only",
                              "--per-thread"] + list(options) + [path],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    stacks = []
    for line in out.stdout.decode("utf-8", "replace").splitlines():
        stack, _, count = line.rpartition(" ")
        stacks.append(([Frame(f) for f in stack.split(";")], int(count)))
    return stacks


def info_threads(run):
    """The "thread:" lines of the info report: [{tid, samples, start, end}]."""
    path = os.path.join(run.dir, "report", "out.prof.info")
    out = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.startswith("thread: "):
                    continue
                t = {"line": line.strip()}
                for key in ("samples", "seconds", "start", "end"):
                    m = re.search(r" %s ([0-9.]+)" % key, line)
                    if m:
                        t[key] = float(m.group(1))
                out.append(t)
    except OSError:
        pass
    return out


def check_fair(res, run, n):
    problems = run.problems()
    prof = run.profile()
    roots = threads_of(prof.stacks, "busy_worker") if prof else {}
    total = sum(roots.values())
    if not problems and len(roots) != n:
        problems.append("%d threads ran busy_worker, not %d"
                        % (len(roots), n))
    shares = {k: 100.0 * v / total for k, v in roots.items()} if total else {}
    fair = 100.0 / n
    off = [k for k, v in shares.items() if abs(v - fair) > 5.0]
    res.check("%d busy threads each within 5 points of %.0f%%: %s"
              % (n, fair, ", ".join("%.1f%%" % v for v in
                                    sorted(shares.values()))),
              not problems and not off,
              problems + ["%s: %d" % kv for kv in roots.items()] +
              stacks_text(prof))


def check_sleep_cpu(res, run):
    problems = run.problems()
    prof = run.profile()
    total = prof.total() if prof else 0
    sleepy = sum(threads_of(prof.stacks, "sleeping_worker").values()) \
        if prof else 0
    busy = sum(threads_of(prof.stacks, "busy_worker").values()) \
        if prof else 0
    if not problems and busy < 0.5 * RATE * 0.8 * 0.5:
        problems.append("the busy thread has only %d samples" % busy)
    res.check("cpu mode: the sleeping thread has %d of %d samples (<= 2%%)"
              % (sleepy, total), not problems and sleepy * 50 <= total,
              problems + stacks_text(prof))


def check_sleep_wall(res, run):
    problems = run.problems()
    prof = run.profile()
    want = measured(run).get("sleepy")
    sleepy = threads_of(prof.stacks, "sleeping_worker") if prof else {}
    got = sum(sleepy.values()) / float(RATE)
    if not problems and want is None:
        problems.append("the workload printed no measurement")
    res.check("wall mode: the sleeping thread's samples stand for %.3f s, "
              "it slept %s s (within 15%%)" % (got, want),
              not problems and want and abs(got - want) <= 0.15 * want,
              problems + stacks_text(prof))
    # --no-idle: the sleeping thread's samples go; the busy thread keeps
    # those of its time on a CPU (on a loaded machine, it waits for one
    # too, and that is not running).
    noidle = report(run, "--no-idle")
    if not problems and noidle is None:
        problems.append("pysig-report --no-idle failed")
    kept_sleepy = sum(threads_of(noidle or [], "sleeping_worker").values())
    busy = sum(threads_of(prof.stacks, "busy_worker").values()) \
        if prof else 0
    kept_busy = sum(threads_of(noidle or [], "busy_worker").values())
    cpu = measured(run).get("busy", 0)
    what = ("wall mode, --no-idle: sleeping thread %d -> %d samples "
            "(<= 10%%), busy thread %d -> %d, %.3f s for %.3f s of CPU "
            "(within 25%%)" % (got * RATE, kept_sleepy, busy, kept_busy,
                               kept_busy / float(RATE), cpu))
    close = abs(kept_busy / float(RATE) - cpu) <= 0.25 * cpu
    # A busy thread waiting for a CPU is not running either: with more
    # runnable tasks than CPUs its running samples no longer add up to its
    # CPU time.  Say so rather than fail.
    load = os.getloadavg()[0] / float(os.cpu_count() or 1)
    if not problems and not close and load > 1.0 and \
            kept_sleepy <= 0.1 * got * RATE:
        res.skip("%s: machine overloaded (load %.1f per CPU)" % (what, load))
    else:
        res.check(what, not problems and busy > 0 and cpu > 0 and
                  kept_sleepy <= 0.1 * got * RATE and close, problems)
    # The Python name given to threading.Thread: the thread's root frame
    # and --thread=NAME.
    named = report(run, "--thread=sleepy")
    roots = per_thread(named or [])
    res.check("--thread=sleepy: %s" % ", ".join(
                  "%s %d" % kv for kv in roots.items()),
              not problems and len(roots) == 1 and
              re.match(r"\[thread \d+ sleepy\]$", list(roots)[0]) and
              set(threads_of(named, "sleeping_worker")) == set(roots),
              problems + stacks_text(prof))
    check_wall_rate(res, [run, Run(run.dir + "2")], 10)


def check_wall_rate(res, runs, slowdown):
    """Rate: the sleeping thread (which needs next to no CPU to take its
    signals) gets 900 periods a second or more, in one of two runs (the
    second in case the machine was busy): at PYSIG_IDLE_SLOWDOWN=1 as
    many signals, by default a tenth of them, each standing for ten
    periods.  A busy thread gets its signals only while it is on a CPU: on
    a loaded machine, fewer (each standing for the periods it missed), so
    its rate is shown, not checked."""
    problems = runs[0].problems()
    best, shown, signals = None, [], None
    for r in runs:
        rates, sleeper = wall_rates(r)
        shown.append("%s (all threads: %s)" % (
            ", ".join("%.0f periods from %.0f signals" % x
                      for x in sleeper) or "none",
            ", ".join("%.0f" % x[0] for x in sorted(rates.values()))))
        if len(sleeper) == 1 and (best is None or sleeper[0][0] > best):
            best, signals = sleeper[0]
    if slowdown == 1:
        fewer, how = signals is not None and signals >= 900, "as many signals"
    else:
        # Two at the full rate first, then one every slowdown periods.
        fewer = signals is not None and signals <= 1.5 * RATE / slowdown + 5
        how = "at most %.0f signals" % (1.5 * RATE / slowdown + 5)
    what = ("wall mode at 1000/s, PYSIG_IDLE_SLOWDOWN=%d: the sleeping "
            "thread's samples per second: %s (>= 900 periods, %s, in one "
            "of two runs)" % (slowdown, "; ".join(shown), how))
    # A thread must be scheduled to take a signal: on a machine with more
    # runnable tasks than CPUs, expirations merge (and are counted as the
    # samples' weights).  Say so rather than fail.
    load = os.getloadavg()[0] / float(os.cpu_count() or 1)
    if not problems and best is not None and best < 900 and load > 1.0:
        res.skip("%s: machine overloaded (load %.1f per CPU)" % (what, load))
        return
    res.check(what, not problems and best is not None and best >= 900 and
              fewer, problems)


def wall_rates(run):
    """(Periods, signals) per second of each thread that lived 0.5 s or
    more, and of the sleeping thread (a list of one, if found)."""
    prof = run.profile()
    sleepy = threads_of(prof.stacks, "sleeping_worker") if prof else {}
    tids = [re.match(r"\[thread (\d+)", r) for r in sleepy]
    tids = [int(m.group(1)) for m in tids if m]
    rates = {}
    for t in info_threads(run):
        if "start" in t and "end" in t and "seconds" in t and \
                t["end"] - t["start"] >= 0.5:
            life = t["end"] - t["start"]
            rates[int(t["line"].split()[1])] = \
                (t["seconds"] * RATE / life, t["samples"] / life)
    return rates, [rates[t] for t in tids if t in rates]


def check_bursts(res, run):
    """Wall mode's idle rate keeps the time right: a thread that waits
    30 ms and works 10 ms, 30 times over, and one that waits 0.6 s and
    then works 0.4 s of CPU, each has its work and its waiting where the
    workload measured them (the work within 10% or 25 ms, the waiting
    within 15%), and the idle rate was used (idle_slow, idle_wakes).  A
    sample taken at the idle rate just as the work starts must not stand
    for the whole wait before it: that put 15% too much in the work."""
    problems = run.problems()
    prof = run.profile()
    want = measured(run)
    got, shown, ok = {}, [], True
    for frames, count in (prof.stacks if prof else []):
        if not frames or not frames[0].name.startswith("[thread "):
            continue
        thread = frames[0].name.rstrip("]").split()[-1]
        # 3.11+ name methods by their qualified name: Event.wait.
        names = [f.name.rpartition(".")[2] for f in frames]
        part = "work" if "burn" in names else \
            "wait" if "wait" in names else None
        if part:
            key = "%s-%s" % (thread, part)
            got[key] = got.get(key, 0.0) + count / float(RATE)
    for key in ("bursty-work", "bursty-wait", "late-work", "late-wait"):
        w, g = want.get(key), got.get(key, 0.0)
        shown.append("%s %.3f s for %s" % (key, g, w))
        if w is None:
            ok = False
        elif key.endswith("work"):
            ok = ok and abs(g - w) <= max(0.1 * w, 0.025)
        else:
            ok = ok and abs(g - w) <= 0.15 * w
    slow = prof.info_int("idle_slow") if prof else None
    wakes = prof.info_int("idle_wakes") if prof else None
    shown.append("idle_slow %s, idle_wakes %s" % (slow, wakes))
    what = "wall mode, idle rate: %s" % ", ".join(shown)
    # Until its thread runs again, the time it waits for a CPU goes to
    # the wait before: with more runnable tasks than CPUs, more of it.
    load = os.getloadavg()[0] / float(os.cpu_count() or 1)
    if not problems and not ok and slow and wakes and load > 1.0:
        res.skip("%s: machine overloaded (load %.1f per CPU)" % (what, load))
        return
    res.check(what, not problems and ok and bool(slow) and bool(wakes),
              problems + stacks_text(prof))


def check_hash(res, run):
    problems = run.problems()
    prof = run.profile()
    cpu = measured(run)
    hasher = sum(threads_of(prof.stacks, "hashing_worker").values()) \
        if prof else 0
    python = sum(threads_of(prof.stacks, "busy_worker").values()) \
        if prof else 0
    if not problems and ("hasher" not in cpu or "python" not in cpu):
        problems.append("the workload printed no measurements")
    want = 100.0 * cpu.get("hasher", 0) / (sum(cpu.values()) or 1)
    got = 100.0 * hasher / ((hasher + python) or 1)
    res.check("cpu mode: the thread hashing without the GIL has %.1f%% of "
              "the samples, %.1f%% of the CPU time (within 10 points)"
              % (got, want), not problems and hasher > 0 and
              abs(got - want) <= 10.0, problems + stacks_text(prof))
    gil = report(run, "--gil")
    if not problems and gil is None:
        problems.append("pysig-report --gil failed")
    ghash = sum(threads_of(gil or [], "hashing_worker").values())
    gpy = sum(threads_of(gil or [], "busy_worker").values())
    res.check("--gil: hashing thread %d -> %d samples (< 50%%), Python "
              "thread %d -> %d (>= 80%%)" % (hasher, ghash, python, gpy),
              not problems and python > 0 and ghash < 0.5 * hasher and
              gpy >= 0.8 * python, problems)


def check_many(res, run):
    problems = run.problems()
    m = re.search(rb"timers (-?\d+) (-?\d+)", run.stdout or b"")
    if not problems and m is None:
        problems.append("the workload printed no timer counts")
    before, after = (int(m.group(1)), int(m.group(2))) if m else (0, -1)
    m = re.search(rb"ends (\d+) (-?\d+) (-?\d+)", run.stdout or b"")
    ends = "200 C threads ended by pthread_exit and 200 cancelled: " + (
        "%s timers after" % m.group(3).decode() if m else
        "not run (no C compiler)")
    res.check("2000 short-lived threads: %d timers before, %d after; %s"
              % (before, after, ends),
              not problems and before >= 1 and after == before and
              (m is None or (m.group(1) == b"0" and
                             int(m.group(3)) == before)), problems)


def check_child(res, run):
    problems = run.problems()
    out = (run.stdout or b"").decode("utf-8", "replace")
    others = [f for f in os.listdir(run.dir) if f.startswith("out.prof.")]
    res.check("a CPU-busy non-Python child exits 0 and writes no profile",
              not problems and "child 0 child-ok" in out and not others,
              problems + ["stdout: %r" % out[:300], "files: %r" % others])


def main():
    global REPORT
    res = Results()
    d, REPORT = sys.argv[2], sys.argv[3]
    try:
        check_fair(res, Run(d + ".fair2"), 2)
        check_fair(res, Run(d + ".fair4"), 4)
        check_sleep_cpu(res, Run(d + ".cpu"))
        check_sleep_wall(res, Run(d + ".wall"))
        check_wall_rate(res, [Run(d + ".full"), Run(d + ".full2")], 1)
        check_bursts(res, Run(d + ".bursts"))
        check_hash(res, Run(d + ".hash"))
        check_many(res, Run(d + ".many"))
        check_child(res, Run(d + ".child"))
    finally:
        res.emit()


REPORT = None

if __name__ == "__main__":
    main()
