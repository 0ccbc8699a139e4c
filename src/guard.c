/*
 * SIGNAL CONTEXT: runs inside the SIGPROF handler. No malloc, stdio, locks,
 * dlsym or logging. New external calls need an entry in tests/sigsafe.allow.
 *
 * The fault handler runs with SA_NODEFER, so jumping out of it leaves the
 * signal mask as the SIGPROF handler had it, and returning from the SIGPROF
 * handler then restores the thread's own mask.  A fault that is not ours
 * goes to the previous disposition: we put it back and let the faulting
 * instruction run again (or re-raise a signal that was sent), so the program
 * crashes, or handles the fault, exactly as it would without pysig.
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "guard.h"

static __thread sigjmp_buf	*guard_env;
static struct sigaction		 guard_prev_segv;
static struct sigaction		 guard_prev_bus;

/* Arm (env) or disarm (NULL) the calling thread's recovery point. */
void
guard_arm(sigjmp_buf *env)
{
	guard_env = env;
	/* Keep the compiler from moving reads across the arming. */
	atomic_signal_fence(memory_order_seq_cst);
}

/* Hand a fault that is not ours to the previous disposition. */
static void
guard_chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *prev;

	prev = (sig == SIGBUS) ? &guard_prev_bus : &guard_prev_segv;
	if ((prev->sa_flags & SA_SIGINFO) && prev->sa_sigaction != NULL) {
		prev->sa_sigaction(sig, si, uc);
		return;
	}
	if (!(prev->sa_flags & SA_SIGINFO) && prev->sa_handler != SIG_DFL &&
	    prev->sa_handler != SIG_IGN) {
		prev->sa_handler(sig);
		return;
	}
	/* Default or ignore: restore it and let the fault happen again. */
	sigaction(sig, prev, NULL);
	if (si == NULL || si->si_code <= 0)
		raise(sig);
}

/* The SIGSEGV and SIGBUS handler. */
static void
guard_fault(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf	*env = guard_env;

	if (env != NULL) {
		guard_env = NULL;
		siglongjmp(*env, 1);
	}
	guard_chain(sig, si, uc);
}

/* Install the fault handlers (normal context).  0 or -errno. */
int
guard_install(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = guard_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &guard_prev_segv) != 0)
		return -errno;
	if (sigaction(SIGBUS, &sa, &guard_prev_bus) != 0) {
		int error = errno;

		sigaction(SIGSEGV, &guard_prev_segv, NULL);
		return -error;
	}
	return 0;
}
