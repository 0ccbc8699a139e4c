#!/usr/bin/env python3
"""The checker of the fault tests (exits.sh, unwritable.sh, ownsigprof.sh,
eintr.sh, stress.sh, overload.sh, security.sh); never profiled.

Usage: checkfaults.py TEST MINOR ARGS...

Like checkprof.py, which it uses for the runs and reports: each TEST prints
a fixed number of "ok"/"not ok"/"skip" lines.  The question is always what
a user sees: the program's exit status and output as without pysig, one
"pysig:" line where something failed, a profile that reads.
"""

import os
import stat
import sys

from checkprof import Results, Run, read, stacks_text


def pysig_lines(run):
    return [line for line in run.stderr_lines() if line.startswith("pysig:")]


def same_as(run, base, stderr=True):
    """How run differs from base in exit status, stdout and (without its
    "pysig:" lines) stderr."""
    p = []
    if base.status is None or run.status is None:
        p.append("a run did not happen")
    elif run.status != base.status:
        p.append("exit status %s, without pysig %s" % (run.status,
                                                       base.status))
    if run.stdout != base.stdout:
        p.append("stdout %r, without pysig %r" % (run.stdout, base.stdout))
    theirs = [line for line in run.stderr_lines()
              if not line.startswith("pysig:")]
    if stderr and theirs != base.stderr_lines():
        p.append("stderr %r, without pysig %r" % (theirs[-8:],
                                                 base.stderr_lines()[-8:]))
    if run.status == 124:
        # What the hung processes were waiting for (pysig_run's hang.txt).
        hang = read(os.path.join(run.dir, "hang.txt"))
        p.extend("hang: " + line for line in (hang or "").splitlines()[:200])
    return p


def profiled(run, func):
    """Problems with run's profile: unreadable, or no sample in func."""
    prof = run.profile()
    if prof is None:
        return ["no profile written"]
    p = list(prof.problems)
    if not prof.count(lambda f: f.name == func):
        p.append("no sample in %s (%d samples)" % (func, prof.total()))
        p.extend(stacks_text(prof, 4))
    return p


def check_exits(res, minor, top):
    for how, status in (("_exit", 5), ("abort", 134), ("exception", 1),
                        ("sysexit", 3)):
        base = Run(os.path.join(top, how, "base"))
        run = Run(os.path.join(top, how, "prof"))
        p = same_as(run, base)
        if base.status != status:
            p.append("without pysig the status is %s, expected %d"
                     % (base.status, status))
        if pysig_lines(run):
            p.append("pysig wrote on stderr with PYSIG_QUIET=1: %r"
                     % pysig_lines(run))
        res.check("%s: exit status %d, stdout and stderr as without pysig"
                  % (how, status), not p, p)
        p = profiled(run, "exits_burn")
        res.check("%s: the profile reads and has samples in exits_burn"
                  % how, not p, p)


def check_unwritable(res, minor, top, cases):
    base = Run(os.path.join(top, "base"))
    for name in cases.split(","):
        d = os.path.join(top, name)
        if os.path.exists(os.path.join(d, "skip")):
            res.skip("%s: %s" % (name, read(os.path.join(d, "skip")).strip()))
            continue
        run = Run(d)
        p = same_as(run, base)
        lines = pysig_lines(run)
        if len(lines) != 1:
            p.append("%d pysig: lines, expected one: %r" % (len(lines), lines))
        if name in ("fsize", "tmpfs"):
            # The header fits, the samples do not.
            prof = run.profile()
            if lines and "could not be written" not in lines[0]:
                p.append("the line does not say data was lost")
            if prof is None:
                p.append("no profile")
            else:
                p.extend(prof.problems)
                lost = prof.info_int("write_errors")
                if not lost:
                    p.append("info write_errors: %r" %
                             prof.info.get("write_errors"))
                if prof.info.get("trailer") != "yes":
                    p.append("info trailer: %r" % prof.info.get("trailer"))
            what = "the program unchanged, one pysig: line, info says " \
                "write_errors > 0"
        else:
            what = "one pysig: line, the program runs unprofiled, unchanged"
        res.check("%s: %s" % (name, what), not p, p)


def check_ownsigprof(res, minor, top):
    base = Run(os.path.join(top, "base"))
    run = Run(os.path.join(top, "prof"))
    p = same_as(run, base)
    if b"True" not in (base.stdout or b""):
        p.append("the run without pysig failed its own checks")
    res.check("setitimer(ITIMER_PROF) with a handler, a handler without a "
              "timer, a thread blocking SIGPROF, SIG_IGN: output and status "
              "as without pysig", not p, p)
    lines = [line for line in pysig_lines(run) if "SIGPROF" in line]
    res.check("one pysig: line says the program set its own SIGPROF handler",
              len(lines) == 1, ["stderr: " + x for x in run.stderr_lines()])
    p = profiled(run, "own_burn")
    res.check("pysig kept sampling: samples in own_burn", not p, p)


def check_eintr(res, minor, top):
    base = Run(os.path.join(top, "base"))
    p = []
    if base.status != 0 or not base.stdout or b"False" in base.stdout:
        p.append("the run without pysig failed")
    for mode in ("wall", "cpu"):
        run = Run(os.path.join(top, mode))
        q = p + same_as(run, base)
        res.check("%s mode at 1000/s: read, sleep, select, recv, "
                  "communicate, waitpid give what they give without pysig"
                  % mode, not q, q)
    run = Run(os.path.join(top, "wall"))
    prof = run.profile()
    q = ["no profile"] if prof is None else prof.problems
    if prof is not None and not q and prof.total() == 0:
        q = ["no samples"]
    res.check("wall mode: the profile reads and has samples", not q, q)


def check_stress(res, minor, top, depth, forks):
    base = Run(os.path.join(top, "recursion", "base"))
    run = Run(os.path.join(top, "recursion", "prof"))
    p = same_as(run, base, stderr=False)
    if ("[%s]" % depth).encode() not in (base.stdout or b""):
        p.append("without pysig the recursion failed: %r" % base.stdout)
    res.check("%s-deep recursion: output and status as without pysig"
              % depth, not p, p + ["stderr: " + x for x in
                                   run.stderr_lines()[-5:]])
    prof = run.profile()
    p = ["no profile"] if prof is None else list(prof.problems)
    if prof is not None:
        cap = prof.info_int("max_depth") or 0
        longest = max((len(f) for f, _ in prof.stacks), default=0)
        # The cap, plus a [truncated] frame and the thread's root frame.
        if not cap or longest > cap + 2:
            p.append("a stack of %d frames, max_depth %s" % (longest, cap))
        if not prof.count(lambda f: f.name == "[truncated]"):
            p.append("no [truncated] stack")
        if not prof.count(lambda f: f.name == "stress_burn"):
            p.append("no sample in stress_burn")
    res.check("the stack depth cap holds, deep stacks are marked truncated",
              not p, p)

    d = os.path.join(top, "forks")
    base = Run(os.path.join(d, "base"))
    run = Run(os.path.join(d, "prof"))
    p = same_as(run, base, stderr=False)
    if b"after the forks: True" not in (run.stdout or b""):
        p.append("descriptors or timers leaked: %r" % run.stderr_lines())
    res.check("%s forks: output as without pysig, the parent's descriptors "
              "and timers the same after" % forks, not p, p)
    names = [n for n in os.listdir(os.path.join(d, "prof"))
             if n.startswith("out.prof")]
    p = []
    if len(names) != int(forks) + 1:
        p.append("%d profiles, expected %d" % (len(names), int(forks) + 1))
    for n in names:
        size = os.path.getsize(os.path.join(d, "prof", n))
        prof = run.profile(n)
        if prof is None or prof.problems:
            p.append("%s: %r" % (n, prof.problems if prof else "missing"))
        elif size > 1 << 20:
            p.append("%s: %d bytes" % (n, size))
    res.check("a profile per process, each readable and under 1 MiB", not p,
              p[:10])


def check_overload(res, minor, top, limit_kib):
    base = Run(os.path.join(top, "base"))
    run = Run(os.path.join(top, "prof"))
    p = same_as(run, base, stderr=False)
    peak0 = read(os.path.join(top, "base", "peak"))
    peak1 = read(os.path.join(top, "prof", "peak"))
    growth = None
    if not peak0 or not peak1:
        p.append("no peak RSS written")
    else:
        growth = int(peak1) - int(peak0)
        if growth > int(limit_kib):
            p.append("peak RSS grew by %d KiB, more than %s KiB"
                     % (growth, limit_kib))
    res.check("output as without pysig; peak RSS grew by %s KiB (<= %s)"
              % (growth, limit_kib), not p, p)
    prof = run.profile()
    p = ["no profile"] if prof is None else list(prof.problems)
    if prof is not None and not p:
        dropped = prof.info_int("dropped")
        if not dropped:
            p.append("info dropped: %r" % prof.info.get("dropped"))
        if prof.info_int("written") != prof.total() and \
                prof.info_int("samples_read") != prof.info_int("written"):
            p.append("written %r, read %r" % (prof.info.get("written"),
                                              prof.info.get("samples_read")))
    res.check("drops are counted and shown by --format=info (dropped: %s)"
              % (prof.info.get("dropped") if prof else None), not p, p)


def check_security(res, minor, top):
    base = Run(os.path.join(top, "base"))
    d = os.path.join(top, "symlink")
    run = Run(d)
    p = same_as(run, base)
    victim = read(os.path.join(d, "victim"))
    if victim != "precious\n":
        p.append("the symlink's target was written: %r" % victim[:80])
    out = os.path.join(d, "out.prof")
    if os.path.islink(out):
        p.append("out.prof is still a symlink and the program was profiled")
    res.check("a symlink planted at the output path is not followed", not p,
              p)

    for umask, mode in (("077", 0o600), ("022", 0o644)):
        d = os.path.join(top, "umask" + umask)
        run = Run(d)
        p = same_as(run, base)
        prof = os.path.join(d, "out.prof")
        got = os.stat(prof).st_mode & 0o7777 if os.path.exists(prof) else None
        if got != mode:
            p.append("mode %s, expected %o" % (
                "none" if got is None else "%o" % got, mode))
        res.check("umask %s: the profile has mode %o" % (umask, mode),
                  not p, p)

    run = Run(os.path.join(top, "umask022"))
    fds = (read(os.path.join(top, "umask022", "cwd", "fds")) or "").split()
    fds0 = (read(os.path.join(top, "base", "cwd", "fds")) or "").split()
    p = same_as(run, base)
    if not fds0 or fds != fds0:
        p.append("a child inherits descriptors %r, without pysig %r"
                 % (fds, fds0))
    res.check("a child process inherits no descriptor of pysig's "
              "(O_CLOEXEC)", not p, p)

    d = os.path.join(top, "setuid")
    if os.path.exists(os.path.join(d, "skip")):
        res.skip("set-group-ID: " + read(os.path.join(d, "skip")).strip())
    else:
        run = Run(d)
        p = same_as(run, Run(os.path.join(top, "setuid_base")))
        if pysig_lines(run):
            p.append("pysig: lines %r" % pysig_lines(run))
        left = [n for n in os.listdir(d) if n.startswith("out.prof")]
        if left:
            p.append("profiles written: %r" % left)
        res.check("a set-group-ID Python (AT_SECURE) is left alone: no "
                  "profile, no pysig: line, output unchanged", not p, p)

    run = Run(os.path.join(top, "empty"))
    p = same_as(run, base)
    prof = run.profile()
    lines = [x for x in pysig_lines(run) if "samples written" not in x]
    if lines:
        p.append("pysig: lines %r" % lines)
    if prof is None or prof.info.get("rate") != "100" or \
            prof.info.get("max_depth") != "1024":
        p.append("info rate %r max_depth %r" % (
            prof and prof.info.get("rate"), prof and prof.info.get(
                "max_depth")))
    res.check("empty PYSIG_RATE, PYSIG_MAX_DEPTH, PYSIG_DURATION count as "
              "unset: defaults, no message", not p, p)
    check_special(res, top)


def check_special(res, top):
    """A FIFO nobody reads, a device: kept, the program unchanged."""
    base = Run(os.path.join(top, "base"))
    p = []
    for name, kind, test in (("fifo", "FIFO", stat.S_ISFIFO),
                             ("device", "device", stat.S_ISCHR)):
        d = os.path.join(top, name)
        if not os.path.exists(os.path.join(d, "status")):
            continue        # no mknod (not root)
        run = Run(d)
        p.extend("%s: %s" % (kind, x) for x in same_as(run, base))
        out = os.path.join(d, "out.prof")
        if not os.path.lexists(out) or not test(os.lstat(out).st_mode):
            p.append("the %s at the output path was replaced" % kind)
    res.check("a FIFO or a device at the output path is never replaced; "
              "no hang, the program unchanged", not p, p)


TESTS = {
    "exits": check_exits,
    "unwritable": check_unwritable,
    "ownsigprof": check_ownsigprof,
    "eintr": check_eintr,
    "stress": check_stress,
    "overload": check_overload,
    "security": check_security,
}


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in TESTS:
        sys.exit("usage: checkfaults.py TEST MINOR ARGS... (TEST: %s)"
                 % ", ".join(sorted(TESTS)))
    res = Results()
    try:
        TESTS[sys.argv[1]](res, int(sys.argv[2]), *sys.argv[3:])
    finally:
        res.emit()


if __name__ == "__main__":
    main()
