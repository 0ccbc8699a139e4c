"""Workload of security.sh: burn 0.3 s of CPU in security_burn, list the
descriptors a child process inherits (os.system closes nothing) into the
file "fds" of the working directory, print whether the process runs in
secure-execution mode (AT_SECURE: set-user-ID or set-group-ID) and a fixed
line on stdout and stderr.
"""

import ctypes
import os
import sys
import time


def security_burn(seconds):
    x = 0
    end = time.process_time() + seconds
    while time.process_time() < end:
        for i in range(2000):
            x = (x + i * i) % 1000003
    return x


def main():
    security_burn(0.3)
    os.system("ls /proc/self/fd > fds")
    getauxval = ctypes.CDLL(None).getauxval
    getauxval.restype = ctypes.c_ulong
    print("AT_SECURE", getauxval(23))
    print("security: stdout line")
    sys.stderr.write("security: stderr line\n")


main()
