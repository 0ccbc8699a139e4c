#!/usr/bin/env python3
"""The checker of exec.sh (not a workload, never profiled).

Usage: checkexecs.py MINOR DIR

DIR.closefds, DIR.pending-HOW (HOW an exec function, or posix and wall:
execv under those timers), DIR.own, DIR.failed-T (T perf, posix, wall),
DIR.forkwork and DIR.preexec are runs of execs.py at 1000/s.  Prints six
results, as checkprof.py does.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkprof import Profile, Results, Run  # noqa: E402

RATE = 1000
HOWS = ("execv", "execve", "fexecve", "execl", "execlp", "execle", "execvp",
        "execvpe")
# The CPU time the child must spend before exec() for the closefds check
# to mean anything: five periods.
CHILD_MS = 5.0


def profile_files(run):
    return sorted(f for f in os.listdir(run.dir)
                  if f.endswith(".prof") or ".prof." in f)


def said(run, key):
    """The values of the workload's "KEY ..." lines."""
    return [m.group(1) for m in
            re.finditer(rb"^%s (.*)$" % key.encode(), run.stdout or b"",
                        re.M)]


MINOR = 0


def check_closefds(res, run):
    p = run.problems()
    child = said(run, "child")
    files = profile_files(run)
    ms = 0.0
    if not p and not child:
        p.append("the workload printed no child line")
    elif child:
        status, ms, out = (child[0].decode() + "  ").split(" ", 2)
        ms = float(ms)
        if status != "0" or out.strip() != "alive":
            p.append("the child: status %s, said %r" % (status, out))
        # 3.10 on starts the program with vfork(): no child profile.
        if MINOR <= 9 and ms < CHILD_MS:
            p.append("the child ran %.1f ms of CPU, fewer than %.0f: "
                     "nothing to test" % (ms, CHILD_MS))
    if files != ["out.prof"]:
        p.append("profiles left: %s" % ", ".join(files))
    res.check("subprocess of a program with %s descriptors: the child "
              "ran %.1f ms of C code and exec(), no profile of it (%s)"
              % (b",".join(said(run, "fds")).decode() or "?", ms,
                 ", ".join(files)), not p, p)


def check_pending(res, runs):
    p = []
    for name, run in runs:
        q = run.problems(profile=False)
        lines = (run.stdout or b"").splitlines()
        if not q and b"alive" not in lines:
            q.append("the new program did not say alive: %r" % lines[:5])
        p.extend("%s: %s" % (name, s) for s in q)
    res.check("a SIGPROF of pysig's pending at exec() never reaches the "
              "new program: %s" % ", ".join(n for n, _ in runs), not p, p)


def check_own(res, run):
    # Killed by SIGPROF: 128 + 27 from the shell's timeout, or -27.
    p = []
    if run.status not in (128 + 27, -27, 256 - 27):
        p.append("exit status %r, expected death by SIGPROF (155)"
                 % run.status)
    if b"alive" in (run.stdout or b""):
        p.append("the new program ran to its end")
    res.check("the program's own SIGPROF pending at exec() still reaches "
              "the new program (status %r)" % run.status, not p, p)


def check_failed(res, runs):
    p = []
    shares = []
    for name, run in runs:
        q = run.problems()
        errs = dict(v.decode().split(" ", 1) for v in said(run, "errno"))
        cpu = said(run, "cpu")
        for how in HOWS:
            if errs.get(how) in (None, "None", "0"):
                q.append("%s did not fail with an error: %r"
                         % (how, errs.get(how)))
        prof = run.profile()
        if not q and prof is not None and cpu:
            # Each after_* burns 0.1 s: sampled again after each failure.
            for how in HOWS:
                got = prof.count(lambda f, h=how: f.name == "after_" + h)
                if got < 0.5 * 0.1 * RATE:
                    q.append("after_%s: %d samples for 0.1 s at %d/s"
                             % (how, got, RATE))
            total = prof.count(lambda f: f.name.startswith("after_"))
            shares.append("%s %d for %s s" % (name, total,
                                              cpu[0].decode()))
        p.extend("%s: %s" % (name, s) for s in q)
    res.check("after a failed exec() of each kind the thread is sampled "
              "again: %s" % "; ".join(shares), not p, p)


def check_kept(res, run, what, fn):
    p = run.problems()
    files = profile_files(run)
    kids = [f for f in files if f != "out.prof"]
    got = 0
    if len(kids) != 1:
        p.append("child profiles: %s" % (", ".join(kids) or "none"))
    else:
        prof = Profile(os.path.join(run.dir, "report", kids[0]))
        p.extend(prof.problems)
        got = prof.count(lambda f: f.name == fn)
        if got < 0.5 * 0.3 * RATE:
            p.append("%s: %d samples for 0.3 s" % (fn, got))
    status = said(run, "status")
    if not status or not status[0].startswith(b"0"):
        p.append("the child: status %r" % status)
    res.check("%s: the child's profile keeps %s (%d samples)"
              % (what, fn, got), not p, p)


def main():
    res = Results()
    global MINOR
    MINOR, d = int(sys.argv[1]), sys.argv[2]
    try:
        check_closefds(res, Run(d + ".closefds"))
        check_pending(res, [(h, Run(d + ".pending-" + h))
                            for h in HOWS + ("posix", "wall")])
        check_own(res, Run(d + ".own", expect_status=155))
        check_failed(res, [(t, Run(d + ".failed-" + t))
                           for t in ("perf", "posix", "wall")])
        check_kept(res, Run(d + ".forkwork"),
                   "os.fork, Python work, exec()", "child_work")
        check_kept(res, Run(d + ".preexec"),
                   "subprocess with a busy preexec_fn", "preexec_work")
    finally:
        res.emit()


if __name__ == "__main__":
    main()
