/*
 * Recovering from a memory fault while the handler reads interpreter memory
 * (a frame half pushed, a pointer to memory just unmapped).  The handler
 * arms a per-thread jump buffer; our SIGSEGV/SIGBUS handler jumps back to it
 * when armed and otherwise hands the signal to whoever had it before.
 */

#ifndef PYSIG_GUARD_H
#define PYSIG_GUARD_H

#include <setjmp.h>

/* Install the fault handlers (normal context).  0 or -errno. */
int	guard_install(void);
/* Arm (env) or disarm (NULL) the calling thread's recovery point. */
void	guard_arm(sigjmp_buf *env);

#endif
