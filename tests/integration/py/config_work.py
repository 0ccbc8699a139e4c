"""Workload for config.sh.  Usage: config_work.py SIDE STATUS [child]

Burns about 0.3 s of CPU time in config_burn, writes "<pid> <version>" to
the file SIDE (stdout must not differ between runs), prints a fixed line on
stdout and on stderr, and exits with STATUS.  With "child", first runs
itself (same interpreter, same environment) as a child writing SIDE.child.
"""

import os
import platform
import subprocess
import sys
import time


def config_burn(seconds):
    x = 0
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        for i in range(10000):
            x = (x + i * i) % 1000003
    return x


def main():
    side, status = sys.argv[1], int(sys.argv[2])
    if len(sys.argv) > 3 and sys.argv[3] == "child":
        subprocess.run([sys.executable, __file__, side + ".child", "0"],
                       check=True)
    config_burn(0.3)
    with open(side, "w") as f:
        f.write("%d %s\n" % (os.getpid(), platform.python_version()))
    print("config_work: stdout line")
    sys.stdout.flush()
    sys.stderr.write("config_work: stderr line\n")
    sys.exit(status)


main()
