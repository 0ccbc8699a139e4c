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

/* The SIGPROF handler: a sample, or the program's signal passed on. */
void	sigchain_handler(int, siginfo_t *, void *);
/* Set or read the program's SIGPROF disposition (normal context). */
void	sigchain_set(const struct sigaction *);
void	sigchain_get(struct sigaction *);
/* How to restore a default disposition from the handler: sigaction(). */
void	sigchain_set_real(int (*)(int, const struct sigaction *,
	    struct sigaction *));

#endif
