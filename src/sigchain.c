/*
 * SIGNAL CONTEXT: runs inside the SIGPROF handler. No malloc, stdio, locks,
 * dlsym or logging. New external calls need an entry in tests/sigsafe.allow.
 *
 * A program may use SIGPROF itself: setitimer(ITIMER_PROF) with a handler,
 * kill(), its own POSIX timer, SIG_IGN.  Our timers send SIGPROF with
 * SI_TIMER and the address of a sigchain_cookie as their value, our task
 * clocks with POLL_IN and a descriptor we opened; every other SIGPROF goes
 * to the disposition the program set, so its handler runs at
 * its own rate and never at ours, an ignored SIGPROF stays ignored and a
 * default one still terminates the process.
 *
 * The disposition is kept in two slots: a writer fills the slot not in use
 * and then publishes its index, so the handler never reads a half-written
 * one.  Two sigaction() calls racing each other on SIGPROF are as racy as
 * they are without pysig.  Not emulated: SA_RESETHAND and SA_NODEFER (our
 * handler's flags apply), and the disposition across execve() (a caught
 * signal becomes SIG_DFL there, so a SIG_IGN set through us is not kept).
 */

#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "sample.h"
#include "sigchain.h"

char			 sigchain_cookie[SIGCHAIN_COOKIES];

/* One bit per descriptor number: our task clocks. */
static _Atomic uint64_t	 sigchain_fds[SIGCHAIN_MAX_FD / 64];

static struct sigaction	 sigchain_program[2];
static _Atomic unsigned int sigchain_slot;
static int		(*sigchain_real)(int, const struct sigaction *,
			    struct sigaction *);

/* Keep the real sigaction() for the default disposition (normal context). */
void
sigchain_set_real(int (*real)(int, const struct sigaction *,
    struct sigaction *))
{
	sigchain_real = real;
}

/* Record the program's disposition (normal context). */
void
sigchain_set(const struct sigaction *sa)
{
	unsigned int	next;

	next = (atomic_load_explicit(&sigchain_slot, memory_order_relaxed) +
	    1) & 1;
	memcpy(&sigchain_program[next], sa, sizeof *sa);
	atomic_store_explicit(&sigchain_slot, next, memory_order_release);
}

/* Read the program's disposition. */
void
sigchain_get(struct sigaction *sa)
{
	unsigned int	slot;

	slot = atomic_load_explicit(&sigchain_slot, memory_order_acquire);
	memcpy(sa, &sigchain_program[slot & 1], sizeof *sa);
}

/* Remember fd as a task clock of ours (normal context). */
int
sigchain_add_fd(int fd)
{
	if (fd < 0 || fd >= SIGCHAIN_MAX_FD)
		return -1;
	atomic_fetch_or(&sigchain_fds[fd / 64], (uint64_t)1 << (fd % 64));
	return 0;
}

/* Is fd one of our task clocks? */
int
sigchain_is_fd(int fd)
{
	if (fd < 0 || fd >= SIGCHAIN_MAX_FD)
		return 0;
	return (atomic_load_explicit(&sigchain_fds[fd / 64],
	    memory_order_relaxed) >> (fd % 64)) & 1;
}

/* Hand a SIGPROF that is not ours to the program's disposition. */
static void
sigchain_forward(int sig, siginfo_t *si, void *uc)
{
	struct sigaction	p;
	sigset_t		old;
	int			saved = errno;

	sigchain_get(&p);
	if (!(p.sa_flags & SA_SIGINFO) && p.sa_handler == SIG_IGN)
		return;
	if (!(p.sa_flags & SA_SIGINFO) && p.sa_handler == SIG_DFL) {
		/*
		 * SIGPROF's default action terminates the process: put it
		 * back and send the signal again; it stays blocked until we
		 * return, then kills the process as it would have.
		 */
		memset(&p, 0, sizeof p);
		p.sa_handler = SIG_DFL;
		sigemptyset(&p.sa_mask);
		if (sigchain_real != NULL && sigchain_real(sig, &p, NULL) == 0)
			raise(sig);
		errno = saved;
		return;
	}
	/* The program's handler runs with the signals it asked to block. */
	pthread_sigmask(SIG_BLOCK, &p.sa_mask, &old);
	if (p.sa_flags & SA_SIGINFO)
		p.sa_sigaction(sig, si, uc);
	else
		p.sa_handler(sig);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
}

/* Was this SIGPROF sent by one of our timers or task clocks? */
int
sigchain_is_ours(const siginfo_t *si)
{
	if (si == NULL)
		return 0;
	if (si->si_code == SI_TIMER &&
	    (si->si_value.sival_ptr == &sigchain_cookie[SIGCHAIN_TICK] ||
	    si->si_value.sival_ptr == &sigchain_cookie[SIGCHAIN_WAKE]))
		return 1;
	return si->si_code == POLL_IN && sigchain_is_fd(si->si_fd);
}

/* The SIGPROF handler: a sample, or the program's signal passed on. */
void
sigchain_handler(int sig, siginfo_t *si, void *uc)
{
	if (sigchain_is_ours(si)) {
		sampler_signal(sig, si, uc);
		return;
	}
	sigchain_forward(sig, si, uc);
}
