"""Workload of exits.sh: burn 0.4 s of CPU in exits_burn, print a line on
stdout and stderr, then leave one way.

Usage: exits.py _exit | abort | exception | sysexit
"""

import os
import sys
import time


def exits_burn(seconds):
    x = 0
    end = time.process_time() + seconds
    while time.process_time() < end:
        for i in range(2000):
            x = (x + i * i) % 1000003
    return x


def main():
    how = sys.argv[1]
    exits_burn(0.4)
    print("exits: stdout before %s" % how)
    sys.stderr.write("exits: stderr before %s\n" % how)
    sys.stdout.flush()
    sys.stderr.flush()
    if how == "_exit":
        os._exit(5)
    elif how == "abort":
        os.abort()
    elif how == "exception":
        raise ValueError("exits: unhandled")
    elif how == "sysexit":
        sys.exit(3)


main()
