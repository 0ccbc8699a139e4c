/*
 * Per-thread sampling timers.  Every thread of the profiled process gets
 * its own timer whose SIGPROF goes to that thread alone: in cpu mode the
 * thread's task clock (a perf event, see timers.c) where the kernel allows
 * it, else a POSIX timer on the thread's CPU clock (SIGEV_THREAD_ID); in
 * wall mode a POSIX timer on CLOCK_MONOTONIC.  Threads alive at start are found in
 * /proc/self/task; threads created later are armed by a pthread_create()
 * wrapper in the new thread itself, and their timer is deleted when the
 * thread ends (a thread-specific key's destructor, which runs on return,
 * pthread_exit() and cancellation alike).  In wall mode, the threads that
 * arm their own timer (all but those found at start) also get a wake timer
 * on their CPU clock, which lets the handler sample them less often while
 * they wait (sampler_thread_timers(), src/sample.h).  Normal context only.
 */

#ifndef PYSIG_TIMERS_H
#define PYSIG_TIMERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What the timers tell the spool about threads (a ring record). */
#define TIMERS_THREAD_START	1
#define TIMERS_THREAD_END	2

/*
 * Called in normal context when a thread starts or ends under the wrapper,
 * with the thread's id and a name: at its start the name the creating
 * thread gave it (timers_name_fn), at its end its OS name.
 */
typedef void (*timers_event_fn)(int event, pid_t tid, const char *name);
/*
 * Called in the creating thread, in pthread_create(): write the new
 * thread's name, if the caller knows it, into buf ("" otherwise).
 */
typedef void (*timers_name_fn)(char *buf, size_t size);

/* The longest name passed to timers_event_fn, with its NUL. */
#define TIMERS_NAME_MAX	64

/*
 * Can this process sample its threads with task clocks?  0, or -errno:
 * EACCES when kernel.perf_event_paranoid is above 1 for an unprivileged
 * user, EPERM or ENOSYS when a seccomp filter forbids perf_event_open(),
 * ENOENT when the kernel has no perf events.
 */
int	timers_perf_probe(uint64_t period_ns);
/*
 * Prepare: wall clock or thread CPU clocks; in wall mode, whether threads
 * get wake timers (sampler_thread_timers(), src/sample.h); in cpu mode,
 * whether they get task clocks (a thread whose task clock cannot be opened
 * gets a timer, counted by sampler_count_clock_fallback()); the period in
 * ns, the callbacks for thread events and names (either may be NULL).
 * 0 or -errno.
 */
int	timers_init(int wall, int wake, int perf, uint64_t period_ns,
	    timers_event_fn, timers_name_fn);
/*
 * Arm a timer for every thread alive now and for every thread created
 * from now on.  0, or -errno if the calling thread's timer failed (then
 * nothing is armed).
 */
int	timers_start(void);
/* Delete every timer; threads created from now on get none. */
void	timers_stop(void);
/*
 * In the child after fork(): forget the parent's timers (none exist) and
 * close its task clocks.
 */
void	timers_forget(void);
/*
 * Before exec(), in the process that armed the timers: stop them all.
 * 1 if they were (0: not this process's, or the table was busy: exec()
 * called from a signal handler, say).
 */
int	timers_hold(void);
/* exec() failed: restart the timers timers_hold() stopped. */
void	timers_resume(void);
/* Timers currently armed. */
unsigned int	timers_count(void);

#endif
