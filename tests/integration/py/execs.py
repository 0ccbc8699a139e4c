"""Workloads for exec.sh: programs that call exec() under pysig.

Usage: execs.py closefds HELPER | pending HOW HELPER | own HELPER |
       failed | forkwork HELPER | preexec HELPER

HELPER is a C program that unblocks SIGPROF, then prints "alive" and exits
0: a SIGPROF still pending when it was executed kills it.

closefds: with thousands of descriptors open, subprocess.run(HELPER): on
    3.8 and 3.9 a fork() whose child closes them all in C before exec();
    prints "child STATUS CPU_MS" (the child's CPU time, exec'd program
    included, from wait4).
pending: blocks SIGPROF, burns CPU (pysig's timer fires and its signal
    stays pending), then executes HELPER by HOW: execv (os.execv), execve
    (os.execve), fexecve (os.execve on a descriptor), or through ctypes:
    execl, execlp, execle, execvp, execvpe.
own: the same, with a SIGPROF of the program's own pending (os.kill):
    HELPER must be killed by it, as without pysig.
failed: every exec function fails (ENOENT, EBADF); after each, a Python
    function named for it burns 0.1 s of CPU.  Prints "errno NAME N" for
    each and "cpu SECONDS" for the burning.
forkwork: os.fork(); the child burns 0.3 s in child_work, then executes
    HELPER; prints "pid child PID" and the child's "status N".
preexec: subprocess.run(HELPER, preexec_fn=preexec_work), which burns
    0.3 s; prints "status N".
"""

import ctypes
import errno
import os
import resource
import signal
import subprocess
import sys
import time


def burn(seconds):
    x = 0
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        for i in range(2000):
            x = (x + i * i) % 1000003
    return x


def block_sigprof():
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGPROF])


def closefds(helper):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 40000
    if soft < want and (hard == resource.RLIM_INFINITY or hard >= want):
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    fds = []
    try:
        while len(fds) < min(want, limit) - 64:
            fds.append(os.dup(2))
    except OSError:
        for fd in fds[-64:]:
            os.close(fd)
        del fds[-64:]
    r = subprocess.Popen([helper], stdout=subprocess.PIPE)
    out = r.stdout.read()
    _, status, usage = os.wait4(r.pid, 0)
    r.returncode = os.waitstatus_to_exitcode(status) if hasattr(
        os, "waitstatus_to_exitcode") else status >> 8
    for fd in fds:
        os.close(fd)
    print("fds %d" % len(fds))
    print("child %d %.1f %s" % (r.returncode,
                                (usage.ru_utime + usage.ru_stime) * 1000,
                                out.decode().strip()))


CTYPES_ARGS = {
    "execl": lambda h: (h, h, None),
    "execlp": lambda h: (h, h, None),
    "execle": lambda h: (h, h, None, None),
    "execvp": lambda h: (h, argv(h)),
    "execvpe": lambda h: (h, argv(h), argv()),
}


def argv(*items):
    arr = (ctypes.c_char_p * (len(items) + 1))()
    for i, item in enumerate(items):
        arr[i] = item
    return arr


def do_exec(how, helper):
    """Execute helper by how; returns (errno) only if it failed."""
    if how == "execv":
        os.execv(helper, [helper])
    elif how == "execve":
        os.execve(helper, [helper], {})
    elif how == "fexecve":
        fd = os.open(helper, os.O_RDONLY)
        os.execve(fd, [helper], {})
    else:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = getattr(libc, how)
        h = os.fsencode(helper)
        fn(*CTYPES_ARGS[how](h))
        return ctypes.get_errno()


def pending(how, helper, own):
    block_sigprof()
    if own:
        os.kill(os.getpid(), signal.SIGPROF)
    burn(0.05)
    sys.stdout.flush()
    err = do_exec(how, helper)
    print("exec by %s failed: %s" % (how, os.strerror(err or 0)))
    sys.exit(3)


def burner(name):
    """A function called name that burns 0.1 s of CPU (its own code
    object, so that the profile tells them apart)."""
    ns = {"burn": burn}
    exec("def %s():\n    return burn(0.1)\n" % name, ns)
    return ns[name]


def failed():
    missing = "/nonexistent/pysig-no-such-program"
    t0 = time.thread_time()
    for how in ("execv", "execve", "fexecve", "execl", "execlp", "execle",
                "execvp", "execvpe"):
        err = None
        try:
            if how == "fexecve":
                r, w = os.pipe()
                os.close(w)
                os.execve(r, [missing], {})
            else:
                err = do_exec(how, missing)
        except OSError as e:
            err = e.errno
        print("errno %s %s" % (how, errno.errorcode.get(err, err)))
        burner("after_" + how)()
    print("cpu %.3f" % (time.thread_time() - t0))


def child_work():
    return burn(0.3)


def forkwork(helper):
    pid = os.fork()
    if pid == 0:
        child_work()
        os.execv(helper, [helper])
    print("pid child %d" % pid)
    _, status = os.waitpid(pid, 0)
    print("status %d" % (status >> 8 if os.WIFEXITED(status)
                         else -os.WTERMSIG(status)))


def preexec_work():
    burn(0.3)


def preexec(helper):
    r = subprocess.run([helper], preexec_fn=preexec_work,
                       stdout=subprocess.PIPE)
    print("status %d %s" % (r.returncode, r.stdout.decode().strip()))


def main():
    mode = sys.argv[1]
    if mode == "closefds":
        closefds(sys.argv[2])
    elif mode == "pending":
        pending(sys.argv[2], sys.argv[3], False)
    elif mode == "own":
        pending("execv", sys.argv[2], True)
    elif mode == "failed":
        failed()
    elif mode == "forkwork":
        forkwork(sys.argv[2])
    elif mode == "preexec":
        preexec(sys.argv[2])
    else:
        sys.exit(__doc__)
    print("done")
    sys.stdout.flush()


main()
