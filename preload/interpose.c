/*
 * sigaction() and signal(), interposed.  Once pysig's SIGPROF handler is
 * installed, a program that sets its own SIGPROF disposition (Python's
 * signal.signal(), a C library's sigaction()) changes only the disposition
 * src/sigchain.c passes the program's signals to, and reads back what it
 * set: pysig keeps sampling, the program's handler is called for its own
 * SIGPROF signals only.  Every other signal, and SIGPROF before sampling
 * starts, goes straight to glibc.  Both functions stay async-signal-safe.
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "interpose.h"
#include "sigchain.h"

/* glibc's sigaction(), under the name it also exports. */
extern int	__sigaction(int, const struct sigaction *, struct sigaction *);

static struct {
	_Atomic int	owned;	/* our handler is installed */
	int		quiet;
	_Atomic int	told;	/* the line about it was printed */
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
