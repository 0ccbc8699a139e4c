#!/usr/bin/env python3
"""The checker of control.sh (not a workload, never profiled).

Usage: checkcontrol.py MINOR DIR

DIR.delay, DIR.duration, DIR.toggle and DIR.bad are runs of control.py.
Prints four results, as checkprof.py does.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkprof import Results, Run, stacks_text  # noqa: E402


def counts(run):
    prof = run.profile()
    return prof, {n: (prof.count(lambda f, n=n: f.name == n) if prof else 0)
                  for n in ("a_work", "b_work", "c_work")}


def main():
    res = Results()
    d = sys.argv[2]
    try:
        run = Run(d + ".delay")
        prof, n = counts(run)
        p = run.problems()
        delay = prof.info.get("delay_ns") if prof else None
        res.check("PYSIG_DELAY=0.6: a_work (until 0.4 s) %d samples (0), "
                  "b_work (until 1.2 s) %d (> 0), delay_ns %s"
                  % (n["a_work"], n["b_work"], delay),
                  not p and n["a_work"] == 0 and n["b_work"] > 0 and
                  delay == "600000000", p + stacks_text(prof))
        run = Run(d + ".duration")
        prof, n = counts(run)
        p = run.problems()
        paused = prof.info_int("paused") if prof else None
        m = re.search(rb"^started ([0-9.]+)", run.stdout or b"", re.M)
        started = float(m.group(1)) if m else None
        what = ("PYSIG_DURATION=0.3: a_work (from %s s to 0.4 s) %d samples "
                "(> 0), b_work (from 0.4 s) %d (0), %s signals after it"
                % (started, n["a_work"], n["b_work"], paused))
        if not p and started is not None and started > 0.25:
            # A loaded machine: the interpreter took (nearly) the whole
            # window to start; b_work must still be unsampled.
            if n["b_work"] == 0:
                res.skip("%s: the interpreter took %.3f s to start"
                         % (what, started))
            else:
                res.check(what, False, stacks_text(prof))
        else:
            res.check(what, not p and n["a_work"] > 0 and
                      n["b_work"] == 0 and paused, p + stacks_text(prof))
        run = Run(d + ".toggle")
        prof, n = counts(run)
        p = run.problems()
        toggles = prof.info_int("toggles") if prof else None
        res.check("PYSIG_TOGGLE_SIGNAL=SIGUSR2: a_work %d, b_work %d "
                  "(paused: 0), c_work %d samples, %s toggles"
                  % (n["a_work"], n["b_work"], n["c_work"], toggles),
                  not p and n["a_work"] > 0 and n["b_work"] == 0 and
                  n["c_work"] > 0 and toggles == 2, p + stacks_text(prof))
        run = Run(d + ".bad")
        prof, n = counts(run)
        p = run.problems()
        lines = [l for l in run.stderr_lines() if l.startswith("pysig:")]
        want = ("PYSIG_MODE=fast", "PYSIG_DELAY=soon",
                "PYSIG_TOGGLE_SIGNAL=SIGKILL", "PYSIG_FOLLOW=2")
        missing = [w for w in want if not any(w in l for l in lines)]
        mode = prof.info.get("mode") if prof else None
        res.check("bad PYSIG_MODE, PYSIG_DELAY, PYSIG_TOGGLE_SIGNAL and "
                  "PYSIG_FOLLOW: one pysig: line each, profiled in %s mode"
                  % mode, not p and not missing and len(lines) == 5 and
                  mode == "cpu" and n["a_work"] + n["b_work"] > 0,
                  p + ["missing: %r" % missing] + lines)
    finally:
        res.emit()


if __name__ == "__main__":
    main()
