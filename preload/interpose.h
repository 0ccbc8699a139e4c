/*
 * sigaction() and signal(), interposed for SIGPROF once sampling starts:
 * the program's handler is kept aside (src/sigchain.c) while pysig's stays
 * installed.
 */

#ifndef PYSIG_INTERPOSE_H
#define PYSIG_INTERPOSE_H

/* Install pysig's SIGPROF handler and take over SIGPROF.  0 or -errno. */
int	interpose_start(int quiet);

#endif
