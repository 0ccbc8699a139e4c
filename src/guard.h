/*
 * Recovering from a memory fault while the handler reads interpreter memory
 * (a frame half pushed, a pointer to memory just unmapped).  The handler
 * arms a per-thread jump buffer; our SIGSEGV/SIGBUS handler jumps back to it
 * when armed and otherwise hands the signal to whoever had it before.
 */

#ifndef PYSIG_GUARD_H
#define PYSIG_GUARD_H

#include <setjmp.h>

/*
 * For the functions that read interpreter memory under the guard.  What they
 * read may be memory ASan has poisoned (a freed object still named by a frame
 * being pushed): the guard and the checks that follow, not ASan, decide what
 * is used, so in sanitizer builds these reads are left uninstrumented.
 */
#define GUARD_NO_ASAN	__attribute__((no_sanitize_address))

/* Install the fault handlers (normal context).  0 or -errno. */
int	guard_install(void);
/* Arm (env) or disarm (NULL) the calling thread's recovery point. */
void	guard_arm(sigjmp_buf *env);

#endif
