/*
 * The spool: a small process, forked by the preload at start-up, that
 * drains the sample ring (in memory shared with the profiled process) to
 * the profile file.  Keeping the writer out of the profiled process means
 * no extra thread in it (CPython 3.12+ warns at every os.fork() in a
 * multi-threaded process), no allocation or file I/O in it while it runs,
 * and a profile that is finished even when the process is killed.
 */

#ifndef PYSIG_SPOOL_H
#define PYSIG_SPOOL_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "maps.h"
#include "sample.h"
#include "writer.h"

/*
 * A thread started or ended (timers.h), as the preload puts it in the ring
 * for the spool, which writes a THREAD record.
 */
#define SPOOL_REC_THREAD	3

struct spool_thread_event {
	uint64_t	time_ns;	/* CLOCK_MONOTONIC */
	uint32_t	tid;
	uint32_t	event;		/* TIMERS_THREAD_START or _END */
	char		name[64];	/* start: Python name; end: OS name */
};

/* Memory shared by the profiled process and the spool. */
struct spool_shared {
	struct sampler		sampler;
	_Atomic uint64_t	written;	/* samples in the file */
	_Atomic uint64_t	stacks;
	_Atomic uint64_t	lost;		/* bytes not written */
	_Atomic int		error;		/* errno of the last failure */
};

/* The profiled process's handle on its spool. */
struct spool {
	pid_t		python_pid;
	clockid_t	python_cpu;	/* the profiled process's CPU clock */
	uint64_t	start_mono;
	uint64_t	start_cpu;
	int		wall;		/* wall-clock mode */
	const char	*path;		/* the profile's path */
	unsigned int	rate;		/* samples per second asked for */
	int		stop_fd;	/* write end: "finish now" */
	int		done_fd;	/* read end: "finished" */
	struct maps	maps;		/* code mapped in the process */
};

/*
 * Fork the spool, which takes over w and fd (both are released here).
 * 0, or -errno with nothing started.
 */
int	spool_start(struct spool *, struct spool_shared *, struct writer *w,
	    int fd);
/*
 * Ask the spool to drain, write the trailer and exit; wait for it at most
 * timeout_ms.  0 if it finished, -ETIMEDOUT otherwise.
 */
int	spool_finish(struct spool *, int timeout_ms);
/* In a forked child of the profiled process: drop the handle. */
void	spool_forget(struct spool *);

#endif
