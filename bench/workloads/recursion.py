"""Call-heavy pure Python: naive recursion (fib) and small calls.

Ackermann's recursion stays about 60 frames deep: deeper, it would cross a
boundary of the interpreter's frame stack chunks up and down, which 3.11+
answers with an mmap() and a munmap() each time, and the workload would
time this machine's page faults rather than Python calls."""

import benchlib


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def ackermann(m, n):
    if m == 0:
        return n + 1
    if n == 0:
        return ackermann(m - 1, 1)
    return ackermann(m - 1, ackermann(m, n - 1))


def work():
    for _ in range(benchlib.times(2)):
        fib(29)
        for _ in range(1200):
            ackermann(2, 30)


benchlib.run(work)
