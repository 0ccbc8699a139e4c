#!/usr/bin/env python3
"""The checker of forks.sh (not a workload, never profiled).

Usage: checkforks.py MINOR DIR PYSIG_REPORT

DIR.osfork, DIR.mp-fork, DIR.mp-forkserver, DIR.mp-spawn, DIR.sub,
DIR.nofollow and DIR.pattern are runs of forks.py made by lib.sh's
pysig_profile.  Prints eight results, as checkprof.py does.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkprof import Profile, Results, Run  # noqa: E402


def pids(run, role):
    """The pids the workload printed for role ("main", "child", ...)."""
    return [int(m.group(1)) for m in
            re.finditer(rb"^pid %s (\d+)$" % role.encode(),
                        run.stdout or b"", re.M)]


def profiles(run):
    """{file name: Profile} of every profile the run left."""
    out = {}
    for name in sorted(os.listdir(run.dir)):
        if name.endswith(".prof") or ".prof." in name:
            out[name] = Profile(os.path.join(run.dir, "report", name))
    return out


def samples(prof, name):
    return prof.count(lambda f: f.name == name) if prof else 0


def summary(profs, names):
    return ["%s: %s" % (f, ", ".join("%s %d" % (n, samples(p, n))
                                      for n in names))
            for f, p in profs.items()]


def check_osfork(res, run):
    problems = run.problems()
    profs = profiles(run)
    child = pids(run, "child")
    cname = "out.prof.%d" % child[0] if child else "?"
    parent, kid = profs.get("out.prof"), profs.get(cname)
    if not problems and kid is None:
        problems.append("no %s for the child" % cname)
    for p in (parent, kid):
        if p is not None:
            problems.extend(p.problems)
    ok = (not problems and samples(parent, "parent_work") > 0 and
          samples(parent, "child_work") == 0 and
          samples(kid, "child_work") > 0 and
          samples(kid, "parent_work") == 0)
    res.check("os.fork: the parent's profile has parent_work only, the "
              "child's (%s) child_work only" % cname, ok,
              problems + summary(profs, ("parent_work", "child_work")))


def check_mp(res, run, method):
    problems = run.problems()
    profs = profiles(run)
    workers = pids(run, "mp_work")
    found = [pid for pid in workers
             if samples(profs.get("out.prof.%d" % pid), "mp_work") > 0]
    if not problems and len(workers) != 2:
        problems.append("%d workers reported their pid" % len(workers))
    res.check("multiprocessing %s: both workers' profiles have mp_work "
              "(%d of %d)" % (method, len(found), len(workers)),
              not problems and len(found) == 2 and workers,
              problems + summary(profs, ("mp_work",)) +
              ["workers: %r" % workers])


def check_sub(res, run):
    problems = run.problems()
    profs = profiles(run)
    with_work = [f for f, p in profs.items() if samples(p, "sub_work") > 0]
    res.check("subprocess: the child Python's profile has sub_work (%s)"
              % ", ".join(with_work), not problems and
              len(with_work) == 1 and with_work[0].startswith("out.prof."),
              problems + summary(profs, ("sub_work",)))


def check_nofollow(res, run):
    problems = run.problems()
    files = sorted(f for f in os.listdir(run.dir) if ".prof" in f)
    res.check("PYSIG_FOLLOW=0: only the parent's profile (%s)"
              % ", ".join(files), not problems and files == ["out.prof"],
              problems)


def check_pattern(res, run):
    problems = run.problems(profile=False)
    files = sorted(f for f in os.listdir(run.dir) if ".prof" in f)
    want = sorted("p%d.prof" % pid for pid in
                  pids(run, "main") + pids(run, "child"))
    res.check("PYSIG_OUTPUT=p%%p.prof: %s" % ", ".join(files),
              not problems and files == want and len(want) == 2,
              problems + ["expected %r" % want])


def check_per_process(res, run, report):
    problems = run.problems()
    files = [os.path.join(run.dir, f) for f in sorted(os.listdir(run.dir))
             if f.startswith("out.prof")]
    roots = {}
    try:
        out = subprocess.run([report, "--format=collapsed", "--python-only",
                              "--per-process"] + files,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             timeout=120)
        for line in out.stdout.decode("utf-8", "replace").splitlines():
            root = line.split(";")[0]
            roots[root] = roots.get(root, 0) + int(line.rpartition(" ")[2])
        if out.returncode != 0:
            problems.append("pysig-report exited %d: %s" % (
                out.returncode, out.stderr.decode()[:300]))
    except (OSError, subprocess.TimeoutExpired) as e:
        problems.append("pysig-report: %s" % e)
    good = [r for r in roots if re.match(r"\[process \d+ .*forks\.py", r)]
    res.check("--per-process: %d files, %d process roots with their "
              "command line" % (len(files), len(good)),
              not problems and len(files) == 3 and len(good) == 3,
              problems + ["%s %d" % kv for kv in roots.items()])


def main():
    res = Results()
    d, report = sys.argv[2], sys.argv[3]
    try:
        check_osfork(res, Run(d + ".osfork"))
        for m in ("fork", "forkserver", "spawn"):
            check_mp(res, Run(d + ".mp-" + m), m)
        check_sub(res, Run(d + ".sub"))
        check_nofollow(res, Run(d + ".nofollow"))
        check_pattern(res, Run(d + ".pattern"))
        check_per_process(res, Run(d + ".mp-fork"), report)
    finally:
        res.emit()


if __name__ == "__main__":
    main()
