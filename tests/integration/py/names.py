"""Workload for names.sh: CPU burnt in functions of every kind whose names
CPython spells differently: a method, a nested function, a lambda, a
generator, a generator expression, a coroutine run by asyncio, code made by
exec(compile(...)), non-ASCII names, and a file with a non-ASCII path.

Usage: names.py DIR    (DIR gets the file dir_ü/😀.py, written here)
"""

import asyncio
import functools
import importlib.util
import os
import sys
import time

SECONDS = 0.15          # CPU time given to each kind


def repeat(fn):
    end = time.thread_time() + SECONDS
    while time.thread_time() < end:
        fn()


class Worker:
    def method(self):
        x = 0
        for i in range(20000):
            x = (x + i * i) % 1000003
        return x


def outer():
    def inner():
        x = 0
        for i in range(20000):
            x = (x + i * i) % 1000003
        return x
    return inner()


spin_lambda = lambda n: [(i * i) % 1000003 for i in range(n)]  # noqa: E731


def gen_squares(n):
    for i in range(n):
        x = 0
        for j in range(20):
            x = (x + i * j) % 1000003
        yield x


def drive_generator():
    return sum(gen_squares(1000))


def use_genexpr():
    return sum((i * i) % 1000003 for i in range(20000))


async def crunch():
    x = 0
    for i in range(20000):
        x = (x + i * i) % 1000003
    await asyncio.sleep(0)
    return x


async def drive_coroutines():
    end = time.thread_time() + SECONDS
    while time.thread_time() < end:
        await asyncio.gather(crunch(), crunch())


GENERATED = '''
def generated_fn():
    x = 0
    for i in range(20000):
        x = (x + i * i) % 1000003
    return x
'''


def función_ñ():
    x = 0
    for i in range(20000):
        x = (x + i * i) % 1000003
    return x


def 関数():
    x = 0
    for i in range(20000):
        x = (x + i * i) % 1000003
    return x


SMILE = '''
def smile_work():
    x = 0
    for i in range(20000):
        x = (x + i * i) % 1000003
    return x
'''


def load_smile(base):
    d = os.path.join(base, "dir_\u00fc")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "\U0001f600.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(SMILE)
    spec = importlib.util.spec_from_file_location("smile", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    smile = load_smile(sys.argv[1])
    ns = {}
    exec(compile(GENERATED, "<generated>", "exec"), ns)
    w = Worker()
    repeat(w.method)
    repeat(outer)
    repeat(functools.partial(spin_lambda, 20000))
    repeat(drive_generator)
    repeat(use_genexpr)
    asyncio.run(drive_coroutines())
    repeat(ns["generated_fn"])
    repeat(función_ñ)
    repeat(関数)
    repeat(smile.smile_work)


main()
