/*
 * The sampler: what the SIGPROF handler does.  It reads the interrupted
 * thread's Python frames through the layout of the running CPython version
 * and appends one record to the ring; the first time it meets a function it
 * also appends the function's definition.  Set up and torn down in normal
 * context with the timer disarmed; sampler_signal() is the handler.
 */

#ifndef PYSIG_SAMPLE_H
#define PYSIG_SAMPLE_H

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "codereg.h"
#include "pylayout.h"
#include "ring.h"
#include "writer.h"

/* Ring record types. */
#define SAMPLE_REC_STACK	1
#define SAMPLE_REC_CODE		2
#define SAMPLE_REC_REPEAT	4	/* 3 is the spool's SPOOL_REC_THREAD */

/*
 * Handler cost histogram: 32 ns linear buckets up to 8 us, then eight
 * buckets per power of two (12% resolution) up to about a minute.
 */
#define SAMPLER_HIST_LINEAR	256
#define SAMPLER_HIST_NS		32
#define SAMPLER_HIST_SUB	8
#define SAMPLER_HIST		(SAMPLER_HIST_LINEAR + SAMPLER_HIST_SUB * 24)

/* Upper limits on what one record may hold. */
#define SAMPLER_MAX_DEPTH	4096
#define SAMPLER_MAX_NATIVE	1024	/* native frames */
#define SAMPLER_LOADER_LOCKS	4	/* dynamic loader locks watched */
#define SAMPLER_MAX_NAME	1024	/* bytes of UTF-8 per name */
#define SAMPLER_MAX_TABLE	(256 * 1024)

/* In a ring stack's flags: the record was abandoned; skip it. */
#define SAMPLE_DISCARD		0x8000

/* How the handler unwinds the native stack. */
enum sampler_unwind {
	SAMPLER_UNWIND_OFF,
	SAMPLER_UNWIND_TRACE,	/* unw_backtrace: libunwind's cached fast path */
	SAMPLER_UNWIND_STEP,	/* unw_init_local2 + unw_step from the context */
};

/*
 * A stack as it sits in the ring: the native addresses, innermost first,
 * then the Python frames (sample_stack_frames()), innermost first.
 */
struct sample_stack {
	uint64_t		time_ns;	/* CLOCK_MONOTONIC */
	uint32_t		tid;
	uint16_t		flags;		/* STACK_* (format.h) */
	uint16_t		nframes;
	uint16_t		nnative;
	uint16_t		sample_flags;	/* SAMPLE_* (format.h) */
	uint16_t		unused[2];
	uint64_t		weight_ns;	/* time the sample stands for */
	uint64_t		native[];
};

/* The Python frames of a ring stack. */
static inline struct writer_frame *
sample_stack_frames(const struct sample_stack *s)
{
	return (struct writer_frame *)(uintptr_t)(s->native + s->nnative);
}

/* A function definition as it sits in the ring. */
struct sample_code {
	uint32_t	id;
	int32_t		firstlineno;
	uint32_t	name_len;
	uint32_t	file_len;
	uint32_t	table_len;
	uint8_t		table_kind;
	uint8_t		flags;		/* CODE_* (format.h) */
	uint16_t	unused;
	char		data[];		/* name, file name, line table */
};

/*
 * "The thread's previous stack again": the time a thread sampled slowly
 * while idle spent waiting before it ran again (wall mode, see
 * sampler_thread_timers()).  The spool writes it as a sample of the
 * thread's last stack.
 */
struct sample_repeat {
	uint64_t	time_ns;	/* CLOCK_MONOTONIC */
	uint64_t	weight_ns;
	uint32_t	tid;
	uint16_t	sample_flags;	/* SAMPLE_* (format.h) */
	uint16_t	unused;
};

/* Counters, read by the writer thread for the trailer. */
struct sampler_stats {
	_Atomic uint64_t	samples;	/* handler ran with sampling on */
	_Atomic uint64_t	no_python;
	_Atomic uint64_t	truncated;
	_Atomic uint64_t	invalid;
	_Atomic uint64_t	entering;	/* read while entering a frame */
	_Atomic uint64_t	faults;
	_Atomic uint64_t	reentered;
	_Atomic uint64_t	codes;
	_Atomic uint64_t	native_truncated;
	_Atomic uint64_t	native_failed;
	_Atomic uint64_t	native_loader;	/* loader lock busy: none */
	_Atomic uint64_t	overruns;	/* timer expirations missed */
	_Atomic uint64_t	idle;		/* wall mode: not running */
	_Atomic uint64_t	gil;		/* held the GIL */
	_Atomic uint64_t	paused;		/* signals outside the window */
	_Atomic uint64_t	forking;	/* signals while fork() waited */
	_Atomic uint64_t	toggles;	/* pause/resume signals */
	_Atomic uint64_t	idle_slow;	/* samples at the idle rate */
	_Atomic uint64_t	idle_wakes;	/* back to the full rate */
	_Atomic uint64_t	clock_fallbacks; /* timers, not task clocks */
	/*
	 * Samples whose innermost Python frame, or its position in its code,
	 * is not where the thread stood at fork() (sampler_mark_fork()): in
	 * a forked child, samples of Python code it ran after fork(); in any
	 * other process, all samples.  Not in the trailer: the spool's test
	 * for a child that only exec()ed another program.
	 */
	_Atomic uint64_t	moved;
	_Atomic uint64_t	cost_sum;
	_Atomic uint64_t	cost_max;
	_Atomic uint64_t	cost_hist[SAMPLER_HIST];
};

/* Addresses of CPython objects, found by the preload at start-up. */
struct sampler_python {
	const struct pylayout	*layout;
	uintptr_t		 runtime;	/* &_PyRuntime */
	uintptr_t		 code_type;	/* &PyCode_Type */
	uintptr_t		 frame_type;	/* &PyFrame_Type */
	uintptr_t		 unicode_type;	/* &PyUnicode_Type */
	uintptr_t		 bytes_type;	/* &PyBytes_Type */
	uintptr_t		 eval_start;	/* _PyEval_EvalFrameDefault, */
	uintptr_t		 eval_end;	/* if its size is known */
};

struct sampler {
	struct sampler_python	py;
	unsigned int		max_depth;
	unsigned int		native_depth;	/* 0: no native stacks */
	enum sampler_unwind	unwind;
	int			wall;		/* wall-clock timers: tell idle */
	uint64_t		period_ns;	/* of the timers */
	/*
	 * Wall mode: a thread idle for SAMPLER_IDLE_STREAK samples in a row
	 * is sampled idle_slowdown times less often until it runs again
	 * (1: never).  See sampler_thread_timers().
	 */
	unsigned int		idle_slowdown;
	/*
	 * Sampling window, CLOCK_MONOTONIC: signals before from_ns or from
	 * until_ns on (0: none) take no sample, nor while paused is set.
	 */
	uint64_t		from_ns;
	uint64_t		until_ns;
	_Atomic int		paused;
	/* A forked child: where its thread stood at fork() (stats.moved). */
	int			forked;
	uintptr_t		fork_frame;
	uintptr_t		fork_pos;
	struct ring		ring;
	struct codereg		reg;
	struct sampler_stats	stats;
	/*
	 * The dynamic loader's locks that dl_iterate_phdr() takes (glibc's
	 * recursive pthread mutexes, src/loader.c): libunwind takes them
	 * when a return address is not in its cache yet.
	 */
	const volatile int	*loader_lock[SAMPLER_LOADER_LOCKS];
	unsigned int		 nloader_locks;
};

/*
 * Is a loader lock taken, or being taken or given back?  Then the handler
 * does not unwind.  Taken by another thread: when the interrupted thread
 * was taking it or giving it back, it would wait for itself forever.
 * Taken by the interrupted thread: libunwind would wait for its cache's
 * lock, which a handler in another thread may hold while it waits for
 * this very loader lock.
 */
int		sampler_loader_busy(const struct sampler *);

/* Make s the sampler the handler uses (NULL: the handler does nothing). */
void		sampler_set(struct sampler *s);
/* The SIGPROF handler. */
void		sampler_signal(int, siginfo_t *, void *);
/* The handler of the pause/resume signal (PYSIG_TOGGLE_SIGNAL). */
void		sampler_toggle(int, siginfo_t *, void *);
/*
 * Forget the calling thread's cached thread id, code memo and timers
 * (after fork).
 */
void		sampler_forget_tid(void);
/*
 * Wall mode, normal context, in the thread itself: its sampling timer
 * (CLOCK_MONOTONIC, every period), which the handler re-arms every
 * SAMPLER_WALL_EVERY ticks of the full rate for a random step
 * (sampler_jitter()), and if has_wake a disarmed timer on its own CPU
 * clock, both signalling the thread, the second with
 * sigchain_cookie[SIGCHAIN_WAKE].  Waking a thread that waits (for a lock,
 * the GIL, I/O) to sample it costs about as much CPU as the handler, and
 * its stack does not change while it waits: after SAMPLER_IDLE_STREAK idle
 * samples in a row the handler stretches the sampling timer's period by
 * idle_slowdown, each sample standing for that much more time, and arms
 * the CPU timer for one period of CPU time.  When that fires, or a tick
 * finds that the thread ran half a period or more, it runs again:
 * its time since its previous sample is split into the CPU time it ran
 * (this sample) and the rest, idle at its previous stack (a
 * SAMPLE_REC_REPEAT record), and the full rate is back.  A thread whose
 * timers were never given is always sampled at the full rate, at fixed
 * steps; one without a wake timer, at the full rate.
 */
#define SAMPLER_IDLE_STREAK	2
/* Wall mode: the ticks between random steps (sampler_wall_step()). */
#define SAMPLER_WALL_EVERY	4
void		sampler_thread_timers(timer_t tick, timer_t wake,
		    int has_wake);
/* The calling thread's timers are about to be deleted. */
void		sampler_thread_timers_clear(void);
/*
 * Cpu mode with task clocks: a thread got a timer on its CPU clock instead
 * (normal context; counted in the active sampler's stats).
 */
void		sampler_count_clock_fallback(void);
/*
 * Take one sample of the calling thread now (tests and the handler); uc is
 * the signal's context for the native stack, NULL for none.
 */
void		sampler_take(struct sampler *s, uint64_t now_ns, void *uc);
/*
 * The fork() gate, for pthread_atfork(): sampler_fork_close() stops new
 * handlers from doing anything and returns how many other threads are
 * inside the handler; sampler_fork_inside() says how many still are;
 * sampler_fork_open(child) lets handlers sample again.
 */
unsigned int	sampler_fork_close(void);
unsigned int	sampler_fork_inside(void);
void		sampler_fork_open(int child);
/*
 * In a child after fork(), before its timer starts (normal context): note
 * the calling thread's innermost Python frame and its position there.
 * A child that calls exec() before it runs any Python code (subprocess's
 * fork and exec) takes no sample elsewhere, however long its C code ran.
 */
void		sampler_mark_fork(struct sampler *s);
/* Does the calling thread's Python thread state hold the GIL? */
int		sampler_holds_gil(const struct sampler_python *);
/*
 * The calling thread's next random period (task clock or wall-mode timer),
 * in [period_ns / 2, 3 * period_ns / 2); seed starts its sequence (signal
 * safe).
 */
uint64_t	sampler_jitter(uint64_t period_ns, uint64_t seed);
/* Histogram bucket of a cost and the upper bound of a bucket, in ns. */
unsigned int	sampler_hist_bucket(uint64_t ns);
uint64_t	sampler_hist_value(unsigned int bucket);

#endif
