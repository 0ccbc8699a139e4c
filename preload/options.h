/* Configuration of the injected library, read from the environment. */

#ifndef PYSIG_OPTIONS_H
#define PYSIG_OPTIONS_H

#include <limits.h>
#include <stdint.h>

#define OPTIONS_RATE_DEFAULT	100
#define OPTIONS_RATE_MAX		10000
#define OPTIONS_DEPTH_DEFAULT	1024
#define OPTIONS_DEPTH_MAX	4096
#define OPTIONS_NATIVE_DEPTH_DEFAULT	512
#define OPTIONS_NATIVE_DEPTH_MAX	1024	/* SAMPLER_MAX_NATIVE */
#define OPTIONS_IDLE_SLOWDOWN_DEFAULT	10
#define OPTIONS_IDLE_SLOWDOWN_MAX	1000

/* How native stacks are unwound (PYSIG_UNWIND). */
enum options_unwind {
	OPTIONS_UNWIND_TRACE,	/* libunwind's cached fast path */
	OPTIONS_UNWIND_STEP,	/* unw_step() from the signal context */
};

/* What drives the samples in cpu mode (PYSIG_CPU_TIMER). */
enum options_cpu_timer {
	OPTIONS_CPU_TIMER_PERF,		/* task clocks, else POSIX timers */
	OPTIONS_CPU_TIMER_POSIX,	/* POSIX timers on the CPU clocks */
};

struct options {
	char		output[PATH_MAX];
	unsigned int	rate;		/* samples per second of the clock */
	int		wall;		/* PYSIG_MODE=wall: wall-clock timers */
	enum options_cpu_timer cpu_timer;
	unsigned int	idle_slowdown;	/* PYSIG_IDLE_SLOWDOWN, 1: none */
	int		follow;		/* PYSIG_FOLLOW: profile child processes */
	uint64_t	delay_ns;	/* PYSIG_DELAY */
	uint64_t	duration_ns;	/* PYSIG_DURATION, 0: no limit */
	int		toggle_signal;	/* PYSIG_TOGGLE_SIGNAL, 0: none */
	unsigned int	max_depth;	/* Python frames kept per sample */
	int		native;		/* record native stacks */
	unsigned int	native_depth;	/* native frames kept per sample */
	enum options_unwind unwind;
	int		quiet;
};

/*
 * Read PYSIG_* into cfg.  Bad values get one "pysig:" line on stderr each
 * and the default.  Return 0, or -1 if profiling cannot go ahead (the
 * reason has been printed).
 */
int	options_load(struct options *opt);
/* Parse a whole decimal number in [min, max]; 0 on success, -1 if not. */
int	options_parse_uint(const char *s, unsigned long min, unsigned long max,
	    unsigned long *out);

#endif
