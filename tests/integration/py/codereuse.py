"""Workload for codereuse.sh: create, run briefly and free thousands of
generated functions, so that new code objects are allocated where freed ones
lived.  A profiler that names code by address would then report an old name
for new code.  The names are chosen so that this shows:

- gen_<i> is only ever called by run_<i % 8>, so an old name under the
  wrong parent is a mis-attribution 7 times in 8;
- idle_<i>, defined beside each gen_<i>, is never called: any sample
  naming it is a mis-attribution;
- each gen_<i> runs once, briefly: a name that absorbs the samples of later
  functions gets far more samples than its CPU time allows.

Prints "t gen_<i> <cpu seconds>" per function, then "reused <n>": how many
gen code objects got the address of a code object freed before.
"""

import gc
import sys
import time

WORK = 8000


def run_0(fn): return fn(WORK)
def run_1(fn): return fn(WORK)
def run_2(fn): return fn(WORK)
def run_3(fn): return fn(WORK)
def run_4(fn): return fn(WORK)
def run_5(fn): return fn(WORK)
def run_6(fn): return fn(WORK)
def run_7(fn): return fn(WORK)


RUNNERS = (run_0, run_1, run_2, run_3, run_4, run_5, run_6, run_7)

TEMPLATE = '''
def idle_%(i)d():
    return %(i)d

def gen_%(i)d(n):
    x = %(i)d
    for j in range(n): x = (x + j * j) %% 1000003
    return x
'''


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.5
    minimum = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    freed = set()       # ids of code objects already freed
    reused = 0
    times = []
    start = time.thread_time()
    i = 0
    while i < minimum or time.thread_time() - start < seconds:
        mod = compile(TEMPLATE % {"i": i}, "<gen_%d>" % i, "exec")
        ns = {}
        exec(mod, ns)
        fn = ns["gen_%d" % i]
        idle_id = id(ns["idle_%d" % i].__code__)
        gen_id = id(fn.__code__)
        if gen_id in freed:
            reused += 1
        t = time.thread_time()
        RUNNERS[i % 8](fn)
        times.append((i, time.thread_time() - t))
        # The module dict and the functions form a cycle: break it so the
        # code objects are freed now, not at the next collection.
        ns.clear()
        del fn, mod, ns
        freed.add(gen_id)
        freed.add(idle_id)
        if i % 100 == 99:
            gc.collect()
        i += 1
    for i, t in times:
        print("t gen_%d %.6f" % (i, t))
    print("reused %d" % reused)


main()
