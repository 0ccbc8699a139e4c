"""Deep stacks: the work runs about 200 Python frames down."""

import benchlib


def leaf(x):
    return x * 2 + 1


def busy():
    total = 0
    for i in range(benchlib.times(3000000)):
        total += leaf(i)
    return total


def deep(n):
    # <module>, run, work and 197 frames of deep: busy() is frame 200.
    return busy() if n == 0 else deep(n - 1)


def work():
    deep(196)


benchlib.run(work)
