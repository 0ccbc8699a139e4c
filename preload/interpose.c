/*
 * sigaction(), signal() and the exec family, interposed.
 *
 * Once pysig's SIGPROF handler is installed, a program that sets its own
 * SIGPROF disposition (Python's signal.signal(), a C library's
 * sigaction()) changes only the disposition src/sigchain.c passes the
 * program's signals to, and reads back what it set: pysig keeps sampling,
 * the program's handler is called for its own SIGPROF signals only.  Every
 * other signal, and SIGPROF before sampling starts, goes straight to
 * glibc.  Both functions stay async-signal-safe.
 *
 * The exec family: a new program starts with SIGPROF's default action,
 * which terminates it, and gets any SIGPROF still pending in the thread
 * that called exec().  A timer may fire while the kernel loads the
 * program, and a timer's signal already queued outlives the timer.  So
 * before calling the real exec() the calling thread, with SIGPROF blocked,
 * stops the timers (preload/timers.c) and takes the SIGPROF signals
 * pending for it: ours are dropped, the program's are queued again, as
 * they were.  Signals pending in other threads go with them.  If exec()
 * fails the timers run again.  Each exec function becomes the system call
 * or glibc function it is made of (execl() builds an argument vector for
 * execve(), as glibc does), so no path through glibc reaches the kernel
 * without the wrapper.  They allocate nothing and never wait for a lock
 * the calling thread holds: exec() may be called in a vfork() child, where
 * they do nothing else, or in a signal handler.
 */

#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "interpose.h"
#include "sigchain.h"
#include "timers.h"

extern char	**environ;

/* glibc's sigaction(), under the name it also exports. */
extern int	__sigaction(int, const struct sigaction *, struct sigaction *);

typedef int (*interpose_execvpe_fn)(const char *, char *const[],
    char *const[]);
typedef int (*interpose_fexecve_fn)(int, char *const[], char *const[]);

static struct {
	_Atomic int	owned;	/* our handler is installed */
	_Atomic pid_t	pid;	/* by this process (not a vfork() child) */
	int		quiet;
	_Atomic int	told;	/* the line about it was printed */
	/* glibc's functions of the exec family that are not one syscall. */
	_Atomic(void *)	execvpe;
	_Atomic(void *)	fexecve;
} interpose;


/* Say once that the program set its own SIGPROF handler. */
static void
interpose_tell(const struct sigaction *sa)
{
	static const char msg[] = "pysig: the program set its own SIGPROF "
	    "handler; pysig keeps sampling with its own timers and passes "
	    "the program's SIGPROF signals to it\n";

	if (!(sa->sa_flags & SA_SIGINFO) && (sa->sa_handler == SIG_DFL ||
	    sa->sa_handler == SIG_IGN))
		return;
	if (interpose.quiet || atomic_exchange(&interpose.told, 1))
		return;
	(void)!write(STDERR_FILENO, msg, sizeof msg - 1);
}

/* glibc's function called name, looked up once into *slot. */
static void *
interpose_next(_Atomic(void *) *slot, const char *name)
{
	void	*fn = atomic_load(slot);

	if (fn == NULL) {
		fn = dlsym(RTLD_NEXT, name);
		atomic_store(slot, fn);
	}
	return fn;
}

static interpose_execvpe_fn
interpose_next_execvpe(void)
{
	return (interpose_execvpe_fn)interpose_next(&interpose.execvpe,
	    "execvpe");
}

static interpose_fexecve_fn
interpose_next_fexecve(void)
{
	return (interpose_fexecve_fn)interpose_next(&interpose.fexecve,
	    "fexecve");
}

/*
 * Before exec(), in the process that samples (not in a vfork() child,
 * which shares its memory): stop the timers and take the SIGPROF signals
 * pending for the calling thread.  Whether the timers were stopped.
 */
static int
interpose_exec_begin(void)
{
	static const struct timespec	zero = { 0, 0 };
	sigset_t			prof, old;
	siginfo_t			si[8];
	int				saved = errno, n = 0, i, held;

	if (!atomic_load(&interpose.owned) ||
	    getpid() != atomic_load(&interpose.pid))
		return 0;
	sigemptyset(&prof);
	sigaddset(&prof, SIGPROF);
	if (pthread_sigmask(SIG_BLOCK, &prof, &old) != 0)
		return 0;
	held = timers_hold();
	/* A few of ours at most (a timer, a wake timer); any of the program's. */
	while (n < (int)(sizeof si / sizeof si[0]) &&
	    sigtimedwait(&prof, &si[n], &zero) == SIGPROF) {
		if (!sigchain_is_ours(&si[n]))
			n++;
	}
	for (i = 0; i < n; i++)
		(void)syscall(SYS_rt_tgsigqueueinfo, getpid(),
		    (pid_t)syscall(SYS_gettid), SIGPROF, &si[i]);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return held;
}

/* exec() failed: the timers run again. */
static void
interpose_exec_end(int held)
{
	int	saved = errno;

	if (held)
		timers_resume();
	errno = saved;
}

/*
 * Look up glibc's functions at load time, in every process that preloads
 * the library (a vfork() child or a signal handler must not call dlsym()).
 */
static void __attribute__((constructor))
interpose_init(void)
{
	(void)interpose_next_execvpe();
	(void)interpose_next_fexecve();
}

/* Install pysig's SIGPROF handler and take over SIGPROF.  0 or -errno. */
int
interpose_start(int quiet)
{
	struct sigaction	sa, prev;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = sigchain_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigchain_set_real(__sigaction);
	if (__sigaction(SIGPROF, &sa, &prev) != 0)
		return -errno;
	/* In a forked child the handler is already ours. */
	if (!atomic_load(&interpose.owned))
		sigchain_set(&prev);
	interpose.quiet = quiet;
	atomic_store(&interpose.pid, getpid());
	atomic_store(&interpose.owned, 1);
	return 0;
}

/*
 * sigaction(), interposed: for SIGPROF while we own it, set and report
 * the program's disposition, not the installed one.
 */
__attribute__((visibility("default"))) int
sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction	prev;

	if (sig != SIGPROF || !atomic_load(&interpose.owned))
		return __sigaction(sig, act, old);
	sigchain_get(&prev);
	if (act != NULL) {
		sigchain_set(act);
		interpose_tell(act);
	}
	if (old != NULL)
		memcpy(old, &prev, sizeof *old);
	return 0;
}

/*
 * signal(), interposed: glibc's calls its sigaction() internally, which
 * the interposition above would not see.  BSD semantics, as glibc's:
 * restart system calls, block the signal in its handler.
 */
__attribute__((visibility("default"))) void
(*signal(int sig, void (*handler)(int)))(int)
{
	struct sigaction	sa, old;

	if (handler == SIG_ERR || sig <= 0 || sig >= NSIG) {
		errno = EINVAL;
		return SIG_ERR;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, sig);
	sa.sa_flags = SA_RESTART;
	if (sigaction(sig, &sa, &old) != 0)
		return SIG_ERR;
	return old.sa_handler;
}

/*
 * The exec family, interposed (see the top of this file).  Each returns
 * only when exec() failed, with errno as it left it.
 */
__attribute__((visibility("default"))) int
execve(const char *path, char *const argv[], char *const envp[])
{
	int	held = interpose_exec_begin();
	long	r;

	r = syscall(SYS_execve, path, argv, envp);
	interpose_exec_end(held);
	return (int)r;
}

__attribute__((visibility("default"))) int
execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

__attribute__((visibility("default"))) int
execvpe(const char *file, char *const argv[], char *const envp[])
{
	interpose_execvpe_fn	next = interpose_next_execvpe();
	int			held, r;

	if (next == NULL) {
		errno = ENOSYS;
		return -1;
	}
	held = interpose_exec_begin();
	r = next(file, argv, envp);
	interpose_exec_end(held);
	return r;
}

__attribute__((visibility("default"))) int
execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

__attribute__((visibility("default"))) int
fexecve(int fd, char *const argv[], char *const envp[])
{
	interpose_fexecve_fn	next = interpose_next_fexecve();
	int			held, r;

	if (next == NULL) {
		errno = ENOSYS;
		return -1;
	}
	held = interpose_exec_begin();
	r = next(fd, argv, envp);
	interpose_exec_end(held);
	return r;
}

/* The arguments of execl() after arg0 up to the NULL, with arg0: how many. */
static size_t
interpose_count(va_list *ap)
{
	size_t	n = 1;

	while (va_arg(*ap, char *) != NULL)
		n++;
	return n;
}

/* The forms of execl(). */
#define INTERPOSE_EXECL		0
#define INTERPOSE_EXECLP	1	/* searches PATH */
#define INTERPOSE_EXECLE	2	/* envp follows the NULL */

/* Arguments that fit on the stack; more go in a mapping. */
#define INTERPOSE_ARGS		64

/*
 * execl(), execlp() and execle(): the arguments after arg0 (in *ap) into
 * a vector for execve() or execvpe(), as glibc does, which refuses
 * INT_MAX of them or more (E2BIG).  No malloc: exec() may be called in a
 * vfork() child or a signal handler.
 */
static int
interpose_execl(int form, const char *path, const char *arg0, va_list *ap)
{
	char	*local[INTERPOSE_ARGS], **argv = local, **envp = environ;
	va_list	 copy;
	size_t	 n, i;
	int	 r, saved;

	va_copy(copy, *ap);
	n = interpose_count(&copy);
	va_end(copy);
	if (n >= INT_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (n + 1 > INTERPOSE_ARGS) {
		argv = mmap(NULL, (n + 1) * sizeof *argv, PROT_READ |
		    PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (argv == MAP_FAILED)
			return -1;
	}
	argv[0] = (char *)arg0;
	for (i = 1; i <= n; i++)
		argv[i] = va_arg(*ap, char *);
	if (form == INTERPOSE_EXECLE)
		envp = va_arg(*ap, char **);
	if (form == INTERPOSE_EXECLP)
		r = execvpe(path, argv, envp);
	else
		r = execve(path, argv, envp);
	if (argv != local) {
		saved = errno;
		munmap(argv, (n + 1) * sizeof *argv);
		errno = saved;
	}
	return r;
}

__attribute__((visibility("default"))) int
execl(const char *path, const char *arg0, ...)
{
	va_list	ap;
	int	r;

	va_start(ap, arg0);
	r = interpose_execl(INTERPOSE_EXECL, path, arg0, &ap);
	va_end(ap);
	return r;
}

__attribute__((visibility("default"))) int
execlp(const char *file, const char *arg0, ...)
{
	va_list	ap;
	int	r;

	va_start(ap, arg0);
	r = interpose_execl(INTERPOSE_EXECLP, file, arg0, &ap);
	va_end(ap);
	return r;
}

__attribute__((visibility("default"))) int
execle(const char *path, const char *arg0, ...)
{
	va_list	ap;
	int	r;

	va_start(ap, arg0);
	r = interpose_execl(INTERPOSE_EXECLE, path, arg0, &ap);
	va_end(ap);
	return r;
}
