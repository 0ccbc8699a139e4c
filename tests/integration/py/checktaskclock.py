#!/usr/bin/env python3
"""The checker of taskclock.sh (not a workload, never profiled).

Usage: checktaskclock.py MINOR DIR

DIR.burn, DIR.posix and DIR.fallback are runs of "taskclock.py burn" at
1000/s in cpu mode: with the default PYSIG_CPU_TIMER=perf, with posix, and
with perf_event_open() refused by a shim (DIR.fallback absent: the
shim did not build); DIR.fds is a run of "taskclock.py fds", DIR.limit
one of "taskclock.py limit" under "ulimit -n 64", DIR.lockstep one of
"taskclock.py lockstep", DIR.lockwall one of "taskclock.py lockstep wall" in
wall mode.  Prints eight results, as checkprof.py does.
"""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkprof import Results, Run, stacks_text  # noqa: E402

RATE = 1000
REFUSED = "pysig: no task clock (perf_event_open: Permission denied"


def said(run):
    """The workload's "KEY NAME VALUE" and "reused X" lines: {KEY NAME:
    VALUE}."""
    out = {}
    for line in (run.stdout or b"").decode("utf-8", "replace").splitlines():
        key, _, value = line.rpartition(" ")
        out[key] = value
    return out


def burn_problems(run, slack):
    """The run's problems, and whether its burn() periods add up to the
    CPU time it measured, within slack (a fraction)."""
    p = run.problems()
    prof = run.profile()
    want = said(run).get("cpu main")
    if p:
        return p
    if want is None:
        return ["the workload printed no measurement"]
    got = prof.count(lambda f: f.name == "burn") / float(RATE)
    if abs(got - float(want)) > slack * float(want):
        p.append("burn() stands for %.3f s, it measured %s s (within "
                 "%.0f%%)" % (got, want, 100 * slack))
        p.extend(stacks_text(prof))
    return p


def task_clock(run):
    prof = run.profile()
    return prof is not None and prof.info.get("clock") == "task-clock"


def check_burn(res, run):
    p = burn_problems(run, 0.05)
    prof = run.profile()
    if not p and not task_clock(run):
        res.skip("no task clock on this machine: %s"
                 % " ".join(run.stderr_lines()[:1]))
        return
    rate = float(prof.info.get("effective_rate", 0)) if prof else 0
    if not p and not 900 <= rate <= 1100:
        p.append("effective_rate %s, asked for %d" % (rate, RATE))
    res.check("cpu mode at %d/s on the task clock: %.1f samples per second "
              "of CPU, burn() within 5%% of its CPU time" % (RATE, rate),
              not p, p)


def check_posix(res, run):
    p = burn_problems(run, 0.10)
    prof = run.profile()
    if prof and prof.info.get("clock") != "thread-cputime":
        p.append("clock: %s, not thread-cputime" % prof.info.get("clock"))
    if any("task clock" in line for line in run.stderr_lines()):
        p.append("a line about the task clock")
    res.check("PYSIG_CPU_TIMER=posix: CPU-clock timers, no message, burn() "
              "within 10% of its CPU time", not p,
              p + ["stderr: " + line for line in run.stderr_lines()])


def check_fallback(res, run):
    if run.status is None:
        res.skip("the shim that refuses perf_event_open did not build")
        return
    p = burn_problems(run, 0.10)
    prof = run.profile()
    if prof and prof.info.get("clock") != "thread-cputime":
        p.append("clock: %s, not thread-cputime" % prof.info.get("clock"))
    lines = [line for line in run.stderr_lines() if "task clock" in line]
    if len(lines) != 1 or not lines[0].startswith(REFUSED):
        p.append("%d lines about the task clock, expected one starting "
                 "%r" % (len(lines), REFUSED))
    res.check("perf_event_open refused: one pysig: line saying why, "
              "CPU-clock timers, burn() within 10% of its CPU time", not p,
              p + ["stderr: " + line for line in run.stderr_lines()])


def check_fds(res, run):
    p = run.problems()
    got = said(run)
    if not p and not task_clock(run):
        res.skip("no task clock on this machine")
        res.skip("no task clock on this machine")
        return
    want = {"fds alive": "3", "fds child": "1", "fds after": "1",
            "stdin reopened": "0"}
    for key, value in want.items():
        if not p and got.get(key) != value:
            p.append("%s: %s, expected %s" % (key, got.get(key), value))
    res.check("one task clock per thread (3 alive, 1 in a forked child, 1 "
              "after two ended), never descriptor 0: %s" % ", ".join(
                  "%s %s" % (k, got.get(k)) for k in want), not p, p)
    p = run.problems()
    if not p and got.get("reused") != "ok":
        p.append("reused: %s" % got.get("reused"))
    res.check("a descriptor the program closed and reopened under the "
              "task clock's number is left open when its thread ends",
              not p, p)


def check_limit(res, run):
    p = run.problems()
    got = said(run)
    if not p and not task_clock(run):
        res.skip("no task clock on this machine")
        return
    prof = run.profile()
    try:
        limit = int(got.get("limit"))
        perf = int(got.get("fds limited"))
        highest = int(got.get("fds highest"))
        files = int(got.get("files"))
    except (TypeError, ValueError):
        p.append("the workload printed no measurement")
        limit = perf = highest = files = 0
    fallbacks = prof.info_int("clock_fallbacks") if prof else None
    if not p and highest >= limit // 2:
        p.append("a task clock numbered %d, limit %d" % (highest, limit))
    if not p and perf < 5:
        p.append("only %d task clocks" % perf)
    if not p and (fallbacks or 0) < 41 - perf:
        p.append("clock_fallbacks %s for %d threads without a task clock"
                 % (fallbacks, 41 - perf))
    if not p and files < limit // 2 - 16:
        p.append("the program could open only %d files" % files)
    res.check("under ulimit -n %d, 41 threads: %d task clocks, numbered "
              "below %d; %s CPU-clock timers; %d files still opened"
              % (limit, perf, limit // 2, fallbacks, files), not p, p)


def check_lockstep(res, run, kind):
    p = run.problems()
    prof = run.profile()
    got = said(run)
    if kind == "cpu" and not p and not task_clock(run):
        res.skip("no task clock on this machine")
        return
    names = ("in_step", "off_step")
    try:
        truth = {n: float(got[kind + " " + n]) for n in names}
    except (KeyError, ValueError):
        truth = {}
        if not p:
            p.append("the workload printed no measurement")
    counts = {n: prof.count(lambda f, n=n: f.name == n) if prof else 0
              for n in names}
    total, ttotal = sum(counts.values()), sum(truth.values())
    shares = {n: 100.0 * counts[n] / total if total else 0 for n in names}
    want = {n: 100.0 * truth[n] / ttotal if ttotal else 0 for n in truth}
    # 5 points, or 4 standard errors of the share if more.  Wall mode
    # draws a new phase every SAMPLER_WALL_EVERY (4) ticks, which land at
    # the same phase of this loop: a quarter as many independent samples
    # (1500 samples: 2.4 points of standard error).  Samples in step with
    # the loop give 0% or 100%, far outside either.
    groups = total / (4.0 if kind == "wall" else 1.0)
    share = want.get("in_step", 30.0) / 100.0
    tol = max(5.0, 400.0 * math.sqrt(share * (1 - share) / groups)
              if groups else 5.0)
    if not p and (not total or any(abs(shares[n] - want[n]) > tol
                                   for n in names)):
        p.append("shares %s, measured %s" % (shares, want))
        p.extend(stacks_text(prof))
    res.check("%s mode: a loop in step with the period (30%% of every ms "
              "of %s time in in_step): %s, within %.1f points of its time"
              % (kind, "CPU" if kind == "cpu" else "wall-clock", ", ".join(
                  "%s %.1f%%" % (n, shares[n]) for n in names), tol),
              not p, p)


def main():
    res = Results()
    d = sys.argv[2]
    try:
        check_burn(res, Run(d + ".burn"))
        check_posix(res, Run(d + ".posix"))
        check_fallback(res, Run(d + ".fallback"))
        check_fds(res, Run(d + ".fds"))
        check_limit(res, Run(d + ".limit"))
        check_lockstep(res, Run(d + ".lockstep"), "cpu")
        check_lockstep(res, Run(d + ".lockwall"), "wall")
    finally:
        res.emit()


if __name__ == "__main__":
    main()
