/*
 * SIGPROF shared with the program.  pysig's handler stays installed; the
 * program's own disposition, as it set it through sigaction() or signal()
 * (interposed by the preload), is kept here and gets every SIGPROF that
 * pysig's timers did not send.
 */

#ifndef PYSIG_SIGCHAIN_H
#define PYSIG_SIGCHAIN_H

#include <signal.h>

/*
 * What pysig's timers put in si_value.sival_ptr: the address of
 * sigchain_cookie[SIGCHAIN_TICK] for the sampling timers, of
 * sigchain_cookie[SIGCHAIN_WAKE] for the CPU-time timer that tells a
 * thread sampled slowly while idle that it runs again (src/sample.c).
 */
#define SIGCHAIN_TICK		0
#define SIGCHAIN_WAKE		1
#define SIGCHAIN_COOKIES	2
extern char	sigchain_cookie[SIGCHAIN_COOKIES];

/*
 * The kernel's task clock (perf_event_open(), preload/timers.c) signals
 * with si_code POLL_IN and its descriptor in si_fd: such a SIGPROF is ours
 * when the descriptor was given here.  Descriptors are remembered for good
 * (a signal may still be on its way after one is closed); from
 * SIGCHAIN_MAX_FD on they cannot be.
 */
#define SIGCHAIN_MAX_FD		65536
/* Remember fd as a task clock of ours; 0, or -1 if it is too large. */
int	sigchain_add_fd(int fd);
/* Is fd one of ours?  Signal safe. */
int	sigchain_is_fd(int fd);

/* Was this SIGPROF sent by pysig's timers or task clocks?  Signal safe. */
int	sigchain_is_ours(const siginfo_t *);
/* The SIGPROF handler: a sample, or the program's signal passed on. */
void	sigchain_handler(int, siginfo_t *, void *);
/* Set or read the program's SIGPROF disposition (normal context). */
void	sigchain_set(const struct sigaction *);
void	sigchain_get(struct sigaction *);
/* How to restore a default disposition from the handler: sigaction(). */
void	sigchain_set_real(int (*)(int, const struct sigaction *,
	    struct sigaction *));

#endif
