"""Four threads doing equal pure-Python work (they share the GIL)."""

import threading

import benchlib


def spin(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total


def worker():
    for _ in range(benchlib.times(60)):
        spin(25000)


def work():
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


benchlib.run(work)
