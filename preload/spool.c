/*
 * The spool process.  Forked twice (the middle process exits at once) so
 * that it is nobody's child: the profiled program's wait() never sees it.
 * It starts a new session so terminal signals do not reach it, closes every
 * descriptor but its own (a pipe the program's caller reads must reach EOF
 * when the program exits), and watches the program through a pidfd: when
 * told to finish it writes the trailer; when the program dies without
 * telling it (kill -9, os._exit, exec) it writes what is left and a last
 * STATS record.
 */

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "format.h"
#include "spool.h"
#include "timers.h"

#define SPOOL_FLUSH_MS	200
#define SPOOL_STATS_NS	1000000000ULL
#define SPOOL_BOUNDS	4	/* flush ends kept to cut back to */

/*
 * The id of each thread's last stack in the file, for SAMPLE_REC_REPEAT:
 * an open-addressing table by thread id (0: a free slot), at most half
 * full.  The spool's own memory.
 */
struct spool_last {
	uint32_t	tid;
	uint64_t	id;
};

static struct spool_last	*spool_last;
static size_t			 spool_nlast;
static size_t			 spool_last_size;	/* a power of two */

/* The slot of tid: its own, or the free one where it would go. */
static struct spool_last *
spool_last_slot(struct spool_last *t, size_t size, uint32_t tid)
{
	size_t	i = (tid * 2654435761u) & (size - 1);

	while (t[i].tid != 0 && t[i].tid != tid)
		i = (i + 1) & (size - 1);
	return &t[i];
}

/* Remember tid's last stack (dropped if memory runs out). */
static void
spool_last_set(uint32_t tid, uint64_t id)
{
	struct spool_last	*t, *e;
	size_t			 size, i;

	if (tid == 0)
		return;
	if (2 * (spool_nlast + 1) > spool_last_size) {
		size = spool_last_size != 0 ? 2 * spool_last_size : 64;
		if ((t = calloc(size, sizeof *t)) == NULL)
			return;
		for (i = 0; i < spool_last_size; i++) {
			if (spool_last[i].tid != 0)
				*spool_last_slot(t, size, spool_last[i].tid) =
				    spool_last[i];
		}
		free(spool_last);
		spool_last = t;
		spool_last_size = size;
	}
	e = spool_last_slot(spool_last, spool_last_size, tid);
	if (e->tid == 0)
		spool_nlast++;
	e->tid = tid;
	e->id = id;
}

/* tid's last stack, or WRITER_NO_STACK. */
static uint64_t
spool_last_get(uint32_t tid)
{
	struct spool_last	*e;

	if (spool_last_size == 0 || tid == 0)
		return WRITER_NO_STACK;
	e = spool_last_slot(spool_last, spool_last_size, tid);
	return e->tid == tid ? e->id : WRITER_NO_STACK;
}

/* Nanoseconds on a clock. */
static uint64_t
spool_clock(clockid_t clock)
{
	struct timespec	ts;

	if (clock_gettime(clock, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A percentile of the handler cost histogram, in ns. */
static uint64_t
spool_percentile(const uint64_t *hist, uint64_t total, double p)
{
	uint64_t	seen = 0, want;
	unsigned int	b;

	if (total == 0)
		return 0;
	want = (uint64_t)(p * (double)total);
	if (want >= total)
		want = total - 1;
	for (b = 0; b < SAMPLER_HIST; b++) {
		seen += hist[b];
		if (seen > want)
			return sampler_hist_value(b);
	}
	return sampler_hist_value(SAMPLER_HIST - 1);
}

/* Append a STATS or TRAILER record with the counters so far. */
static void
spool_stats(struct spool *sp, struct spool_shared *sh, struct writer *w,
    int type)
{
	struct sampler_stats	*st = &sh->sampler.stats;
	uint64_t		 hist[SAMPLER_HIST], total = 0, samples;
	uint64_t		 now, cpu, max, p50, p99;
	unsigned int		 b;
	char			 rate[32];

#define LOAD(x)	atomic_load_explicit(&(x), memory_order_relaxed)
	for (b = 0; b < SAMPLER_HIST; b++) {
		hist[b] = LOAD(st->cost_hist[b]);
		total += hist[b];
	}
	samples = LOAD(st->samples);
	now = spool_clock(CLOCK_MONOTONIC);
	cpu = spool_clock(sp->python_cpu);
	cpu = cpu > sp->start_cpu ? cpu - sp->start_cpu : 0;
	writer_kv_begin(w, type);
	writer_kv_u64(w, "samples", samples);
	writer_kv_u64(w, "written", writer_samples(w));
	writer_kv_u64(w, "dropped", LOAD(sh->sampler.ring.dropped));
	writer_kv_u64(w, "truncated", LOAD(st->truncated));
	writer_kv_u64(w, "no_python", LOAD(st->no_python));
	writer_kv_u64(w, "invalid_frames", LOAD(st->invalid));
	writer_kv_u64(w, "entering_frames", LOAD(st->entering));
	writer_kv_u64(w, "faults", LOAD(st->faults));
	writer_kv_u64(w, "reentered", LOAD(st->reentered));
	writer_kv_u64(w, "codes", LOAD(st->codes));
	writer_kv_u64(w, "native_truncated", LOAD(st->native_truncated));
	writer_kv_u64(w, "native_failed", LOAD(st->native_failed));
	writer_kv_u64(w, "native_loader_busy", LOAD(st->native_loader));
	writer_kv_u64(w, "overruns", LOAD(st->overruns));
	writer_kv_u64(w, "idle", LOAD(st->idle));
	writer_kv_u64(w, "gil", LOAD(st->gil));
	writer_kv_u64(w, "paused", LOAD(st->paused));
	writer_kv_u64(w, "forking", LOAD(st->forking));
	writer_kv_u64(w, "toggles", LOAD(st->toggles));
	if (sp->wall) {
		writer_kv_u64(w, "idle_slow", LOAD(st->idle_slow));
		writer_kv_u64(w, "idle_wakes", LOAD(st->idle_wakes));
	} else
		writer_kv_u64(w, "clock_fallbacks", LOAD(st->clock_fallbacks));
	writer_kv_u64(w, "sampling", !LOAD(sh->sampler.paused));
	writer_kv_u64(w, "stacks", writer_stacks(w));
	writer_kv_u64(w, "handler_ns_mean",
	    total ? LOAD(st->cost_sum) / total : 0);
	writer_kv_u64(w, "handler_ns_total", LOAD(st->cost_sum));
	/* Bucket bounds can exceed the largest cost seen: clamp to it. */
	max = LOAD(st->cost_max);
	p50 = spool_percentile(hist, total, .5);
	p99 = spool_percentile(hist, total, .99);
	writer_kv_u64(w, "handler_ns_p50", p50 < max ? p50 : max);
	writer_kv_u64(w, "handler_ns_p99", p99 < max ? p99 : max);
	writer_kv_u64(w, "handler_ns_max", max);
	writer_kv_u64(w, "duration_ns", now - sp->start_mono);
	if (cpu != 0)
		writer_kv_u64(w, "cpu_ns", cpu);
	if (sp->wall && samples != 0) {
		/*
		 * Per thread and second of wall time: the rate asked for,
		 * less the expirations the kernel could not deliver.
		 */
		snprintf(rate, sizeof rate, "%.1f", (double)sp->rate *
		    (double)samples / (double)(samples +
		    LOAD(st->overruns)));
		writer_kv(w, "effective_rate", rate);
	} else if (!sp->wall && cpu != 0) {
		/* Per second of CPU time, all threads together. */
		snprintf(rate, sizeof rate, "%.1f",
		    (double)samples * 1e9 / (double)cpu);
		writer_kv(w, "effective_rate", rate);
	}
	writer_kv_u64(w, "write_errors", writer_lost_bytes(w));
	writer_kv_u64(w, "end_mono_ns", now);
	writer_kv_end(w);
#undef LOAD
}

/*
 * Make sure the mapping of every native address is in the profile: an
 * address outside every known mapping means new code was mapped (an
 * extension module, ctypes, dlopen), so read /proc/PID/maps again (at most
 * a few times a second: a bad unwind can produce addresses in nothing).
 */
static void
spool_check_native(struct spool *sp, struct writer *w, const uint64_t *addr,
    unsigned int n)
{
	unsigned int	i;

	for (i = 0; i < n; i++) {
		if (maps_find(&sp->maps, addr[i]) == NULL) {
			maps_rescan(&sp->maps, sp->python_pid, w);
			return;
		}
	}
}

/* The OS name of a thread of the profiled process, "" if gone. */
static void
spool_comm(struct spool *sp, uint32_t tid, char *name, size_t size)
{
	char	path[64];
	ssize_t	n;
	int	fd;

	name[0] = '\0';
	snprintf(path, sizeof path, "/proc/%ld/task/%lu/comm",
	    (long)sp->python_pid, (unsigned long)tid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, name, size - 1);
	close(fd);
	if (n < 0)
		n = 0;
	while (n > 0 && name[n - 1] == '\n')
		n--;
	name[n] = '\0';
}

/*
 * Append a THREAD record for every thread of the profiled process alive
 * now, with its OS name: at start (the main thread, threads started before
 * the library) and at the end (names set while the program ran).
 */
static void
spool_threads(struct spool *sp, struct writer *w)
{
	struct dirent	*de;
	DIR		*dir;
	char		 path[64], name[64];
	unsigned long	 tid;

	snprintf(path, sizeof path, "/proc/%ld/task", (long)sp->python_pid);
	if ((dir = opendir(path)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if ((tid = strtoul(de->d_name, NULL, 10)) == 0)
			continue;
		spool_comm(sp, (uint32_t)tid, name, sizeof name);
		writer_thread(w, (uint32_t)tid, 0, 0, 0, name, "");
	}
	closedir(dir);
}

/* Move every committed ring record into the writer. */
static void
spool_drain(struct spool *sp, struct spool_shared *sh, struct writer *w)
{
	struct ring	*r = &sh->sampler.ring;
	const void	*p;
	unsigned int	 type;
	size_t		 len;

	while ((p = ring_peek(r, &type, &len)) != NULL) {
		if (type == SAMPLE_REC_STACK && len >= sizeof(struct
		    sample_stack)) {
			const struct sample_stack *s = p;

			if (!(s->flags & SAMPLE_DISCARD) &&
			    len >= sizeof *s + s->nnative * sizeof(uint64_t) +
			    s->nframes * sizeof(struct writer_frame)) {
				spool_check_native(sp, w, s->native,
				    s->nnative);
				spool_last_set(s->tid, writer_sample_state(w,
				    s->time_ns, s->tid, s->flags,
				    sample_stack_frames(s), s->nframes,
				    s->native, s->nnative, s->sample_flags,
				    s->weight_ns));
			}
		} else if (type == SAMPLE_REC_REPEAT && len >= sizeof(struct
		    sample_repeat)) {
			const struct sample_repeat *rp = p;
			uint64_t id = spool_last_get(rp->tid);

			if (id != WRITER_NO_STACK)
				writer_sample_again(w, rp->time_ns, rp->tid,
				    id, rp->sample_flags, rp->weight_ns);
		} else if (type == SPOOL_REC_THREAD && len >= sizeof(struct
		    spool_thread_event)) {
			const struct spool_thread_event *e = p;
			char	name[64], given[sizeof e->name + 1];

			memcpy(given, e->name, sizeof e->name);
			given[sizeof e->name] = '\0';
			if (e->event == TIMERS_THREAD_START) {
				spool_comm(sp, e->tid, name, sizeof name);
				writer_thread(w, e->tid, THREAD_STARTED,
				    e->time_ns, 0, name, given);
			} else
				writer_thread(w, e->tid, THREAD_ENDED, 0,
				    e->time_ns, given, "");
		} else if (type == SAMPLE_REC_CODE && len >= sizeof(struct
		    sample_code)) {
			const struct sample_code *c = p;

			if (c->id != 0)
				writer_code(w, c->id, c->firstlineno,
				    c->table_kind, c->flags, c->data,
				    c->name_len, c->data + c->name_len,
				    c->file_len, (const uint8_t *)c->data +
				    c->name_len + c->file_len, c->table_len);
		}
		ring_release(r);
	}
	atomic_store_explicit(&sh->written, writer_samples(w),
	    memory_order_relaxed);
	atomic_store_explicit(&sh->stacks, writer_stacks(w),
	    memory_order_relaxed);
}

/*
 * Write what is buffered; a failure (a full disk, a file size limit) is
 * counted, told to the program for its exit message, and the spool goes
 * on: the next flush may succeed.  0 or -errno.
 */
static int
spool_flush(struct spool_shared *sh, struct writer *w)
{
	int	error;

	if ((error = writer_flush(w)) != 0)
		atomic_store_explicit(&sh->error, -error, memory_order_relaxed);
	atomic_store_explicit(&sh->lost, writer_lost_bytes(w),
	    memory_order_relaxed);
	return error;
}

/* Close every descriptor but the ones the spool keeps (sorted, distinct). */
static void
spool_close_others(const int *keep, size_t nkeep)
{
	unsigned int	from = 0;
	long		max;
	size_t		i;
	int		fd;

	for (i = 0; i <= nkeep; i++) {
		unsigned int to = i < nkeep ? (unsigned int)keep[i] : ~0U;

		if (to > from && syscall(SYS_close_range, from, to - 1, 0) != 0)
			break;
		from = to + 1;
	}
	if (i > nkeep)
		return;
	/* No close_range (Linux < 5.9): one at a time. */
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 0; fd < max; fd++) {
		for (i = 0; i < nkeep; i++)
			if (keep[i] == fd)
				break;
		if (i == nkeep)
			close(fd);
	}
}

/* Sort a few descriptors, dropping negative ones; return how many remain. */
static size_t
spool_sort_fds(int *fds, size_t n)
{
	size_t	i, j, m = 0;
	int	t;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			fds[m++] = fds[i];
	for (i = 1; i < m; i++)
		for (j = i; j > 0 && fds[j - 1] > fds[j]; j--) {
			t = fds[j];
			fds[j] = fds[j - 1];
			fds[j - 1] = t;
		}
	return m;
}

/*
 * The pipe from the program reached its end without a word: did it exec()
 * another program (it is still alive) rather than die?
 */
static int
spool_execed(struct spool *sp, int pidfd)
{
	struct pollfd	pfd;

	if (pidfd < 0)
		return kill(sp->python_pid, 0) == 0;
	/* Its descriptors close a moment before a dying process is reaped. */
	pfd.fd = pidfd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, 100) == 0;
}

/*
 * A process that ran no Python code of its own and did not exit cleanly:
 * a forked child that never left the frame it forked in, whether it then
 * executed another program or died (subprocess's fork and exec, or its
 * failed exec: the samples of its C code are of no use), or any process
 * that executed another program before its first sample.  Remove its
 * profile, unless the path now names another file (the new program, a
 * Python, made its own).  Whether it was removed.
 */
static int
spool_discard(struct spool *sp, int fd)
{
	struct stat	a, b;

	if (sp->path == NULL || fstat(fd, &a) != 0 || !S_ISREG(a.st_mode) ||
	    stat(sp->path, &b) != 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino)
		return 0;
	return unlink(sp->path) == 0;
}

/* The spool's main loop; never returns. */
static void __attribute__((noreturn))
spool_main(struct spool *sp, struct spool_shared *sh, struct writer *w,
    int fd, int stop_fd, int done_fd, int pidfd)
{
	struct pollfd	 pfd[2];
	sigset_t	 all;
	uint64_t	 last_stats = spool_clock(CLOCK_MONOTONIC), now;
	int		 keep[4] = { fd, stop_fd, done_fd, pidfd };
	uint64_t	 bound[SPOOL_BOUNDS];
	int		 clean = 0, n, i;
	char		 c;

	setsid();
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	prctl(PR_SET_NAME, "pysig-spool", 0, 0, 0);
	spool_close_others(keep, spool_sort_fds(keep, 4));

	/* The header's end, then the ends of the last good flushes. */
	for (i = 0; i < SPOOL_BOUNDS; i++)
		bound[i] = writer_bytes(w);
	spool_threads(sp, w);
	pfd[0].fd = stop_fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = pidfd;
	pfd[1].events = POLLIN;
	for (;;) {
		n = poll(pfd, pidfd >= 0 ? 2 : 1, SPOOL_FLUSH_MS);
		if (n > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			/* A byte: a clean exit.  EOF: exec or death. */
			clean = read(stop_fd, &c, 1) == 1;
			break;
		}
		if (n > 0 && pidfd >= 0 && (pfd[1].revents & POLLIN))
			break;		/* the program died */
		if (pidfd < 0 && kill(sp->python_pid, 0) != 0 &&
		    errno == ESRCH)
			break;
		spool_drain(sp, sh, w);
		now = spool_clock(CLOCK_MONOTONIC);
		if (now - last_stats >= SPOOL_STATS_NS) {
			spool_stats(sp, sh, w, REC_STATS);
			last_stats = now;
		}
		if (spool_flush(sh, w) == 0 &&
		    writer_bytes(w) != bound[SPOOL_BOUNDS - 1]) {
			memmove(bound + 1, bound + 2,
			    (SPOOL_BOUNDS - 2) * sizeof bound[0]);
			bound[SPOOL_BOUNDS - 1] = writer_bytes(w);
		}
	}
	spool_drain(sp, sh, w);
	if (!clean && atomic_load(&sh->sampler.stats.moved) == 0 &&
	    (sh->sampler.forked || spool_execed(sp, pidfd)) &&
	    spool_discard(sp, fd)) {
		if (write(done_fd, "x", 1) < 0)
			_exit(1);
		_exit(0);
	}
	if (clean)
		spool_threads(sp, w);
	/*
	 * The samples first, then the last record on its own: on a full
	 * disk the samples that do not fit are cut back to whole records.
	 * If the last record, which says write_errors, still does not fit,
	 * cut the file back to the end of ever earlier flushes (down to the
	 * header) to make room for it: a profile that says it lost data is
	 * worth more than its last samples.
	 */
	if (spool_flush(sh, w) != 0)
		writer_discard(w);
	spool_stats(sp, sh, w, clean ? REC_TRAILER : REC_STATS);
	for (i = SPOOL_BOUNDS - 1; spool_flush(sh, w) != 0 && i >= 0; i--) {
		if (writer_cut(w, bound[i]) != 0)
			break;
		spool_stats(sp, sh, w, clean ? REC_TRAILER : REC_STATS);
	}
	close(fd);
	if (write(done_fd, "x", 1) < 0)
		_exit(1);
	_exit(0);
}

/* Move a descriptor to a high number (close-on-exec); the result. */
static int
spool_move_high(int fd)
{
	int	high = fcntl(fd, F_DUPFD_CLOEXEC, 512);

	if (high < 0)
		return fd;
	close(fd);
	return high;
}

/*
 * fork() without the pthread_atfork() handlers: the spool may be started
 * from the profiled process's own fork handler (a profiled child), where
 * glibc's fork() must not be called again, and it should not run other
 * libraries' handlers either.  The child only makes system calls and uses
 * malloc, whose locks are free here (the process is single-threaded, at
 * start-up or in a fork child).
 */
static pid_t
spool_fork(void)
{
	return (pid_t)syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L);
}

/* Fork the spool, which takes over w and fd. */
int
spool_start(struct spool *sp, struct spool_shared *sh, struct writer *w,
    int fd)
{
	int	stop[2], done[2], pidfd, error, status;
	pid_t	pid, mid;

	sp->python_pid = getpid();
	if (clock_getcpuclockid(sp->python_pid, &sp->python_cpu) != 0)
		sp->python_cpu = CLOCK_PROCESS_CPUTIME_ID;
	if (pipe2(stop, O_CLOEXEC) != 0)
		return -errno;
	if (pipe2(done, O_CLOEXEC) != 0) {
		error = errno;
		close(stop[0]);
		close(stop[1]);
		return -error;
	}
	mid = spool_fork();
	if (mid < 0) {
		error = errno;
		close(stop[0]);
		close(stop[1]);
		close(done[0]);
		close(done[1]);
		return -error;
	}
	if (mid == 0) {
		/* The middle process: open the pidfd, fork again, leave. */
		pidfd = (int)syscall(SYS_pidfd_open, sp->python_pid, 0);
		pid = spool_fork();
		if (pid == 0)
			spool_main(sp, sh, w, fd, stop[0], done[1], pidfd);
		_exit(pid < 0 ? 1 : 0);
	}
	close(stop[0]);
	close(done[1]);
	close(fd);
	writer_free(w);
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		close(stop[1]);
		close(done[0]);
		return -ECHILD;
	}
	/*
	 * Keep the program's low descriptor numbers free: some programs
	 * expect the first file they open to be descriptor 3.
	 */
	sp->stop_fd = spool_move_high(stop[1]);
	sp->done_fd = spool_move_high(done[0]);
	return 0;
}

/* Ask the spool to finish and wait for it at most timeout_ms. */
int
spool_finish(struct spool *sp, int timeout_ms)
{
	struct pollfd	pfd;
	char		c;
	int		n;

	if (write(sp->stop_fd, "x", 1) != 1)
		return -errno;
	pfd.fd = sp->done_fd;
	pfd.events = POLLIN;
	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -ETIMEDOUT;
	n = (int)read(sp->done_fd, &c, 1);
	close(sp->stop_fd);
	close(sp->done_fd);
	return n == 1 ? 0 : -EPIPE;
}

/* In a forked child of the profiled process: drop the handle. */
void
spool_forget(struct spool *sp)
{
	close(sp->stop_fd);
	close(sp->done_fd);
	sp->stop_fd = sp->done_fd = -1;
}
