/*
 * The injected library.  A constructor checks that the process is a CPython
 * we can read, opens the profile, forks the spool process (spool.c) and
 * arms a timer per thread that sends it SIGPROF (timers.c); the handler
 * (src/sample.c) fills a lock-free ring in shared memory that the spool
 * drains to the file every 200 ms.  At exit the timers are deleted and the
 * spool writes the trailer.  A child made by fork() starts a profile of
 * its own the same way, from the fork handler.  Any failure prints one "pysig:" line and
 * leaves the program to run unprofiled; nothing here exits, aborts or
 * changes the program's signal handling other than SIGPROF (and
 * SIGSEGV/SIGBUS, chained).
 */

#include "config.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "format.h"
#include "guard.h"
#include "interpose.h"
#include "loader.h"
#include "maps.h"
#include "options.h"
#include "pylayout.h"
#include "sample.h"
#include "spool.h"
#include "timers.h"
#include "writer.h"

#define PRELOAD_RING_BYTES	(4u << 20)
#define PRELOAD_CODE_SLOTS	(1u << 16)
#define PRELOAD_FINISH_MS	5000

enum preload_state {
	PRELOAD_OFF,
	PRELOAD_RUNNING,
	PRELOAD_DONE,
};

static struct {
	enum preload_state	 state;
	pid_t			 pid;
	struct options		 opt;
	char			 path[PATH_MAX];
	int			 timer_armed;
	int			 perf;		/* cpu mode: task clocks */
	int			 forked;	/* a child of a profiled process */
	struct spool		 spool;
	struct spool_shared	*shared;
	uintptr_t		 eval_start;
	uintptr_t		 eval_end;
	char			 python[32];
	unsigned long		 python_hex;
} preload;

static struct sampler	*preload_sampler;
static void		(*preload_code_dealloc_next)(void *);

/* Print one "pysig:" line on stderr. */
static void __attribute__((format(printf, 1, 2)))
preload_warn(const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof buf - 2)
		n = (int)sizeof buf - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, "pysig: ", 7) == 7)
		(void)!write(STDERR_FILENO, buf, (size_t)n);
}

/* Nanoseconds on a clock. */
static uint64_t
preload_clock(clockid_t clock)
{
	struct timespec	ts;

	if (clock_gettime(clock, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Find the interpreter's version.  Py_Version (3.11+) is exact; before it,
 * Py_GetVersion() returns a static string that is safe to read before the
 * interpreter is initialised.  Return 0, or -1 if this is not a CPython.
 */
static int
preload_python_version(int *major, int *minor, int *micro)
{
	const char	*(*get_version)(void);
	const char	*v;
	const unsigned long *hex;

	get_version = (const char *(*)(void))dlsym(RTLD_DEFAULT,
	    "Py_GetVersion");
	if (get_version == NULL)
		return -1;
	v = get_version();
	if (v == NULL || sscanf(v, "%d.%d.%d", major, minor, micro) != 3)
		return -1;
	snprintf(preload.python, sizeof preload.python, "%d.%d.%d", *major,
	    *minor, *micro);
	hex = dlsym(RTLD_DEFAULT, "Py_Version");
	if (hex != NULL)
		preload.python_hex = *hex;
	else
		preload.python_hex = ((unsigned long)*major << 24) |
		    ((unsigned long)*minor << 16) |
		    ((unsigned long)*micro << 8) | 0xf0;
	if (strstr(v, "free-threading") != NULL)
		return -2;
	return 0;
}

/* dl_iterate_phdr() callback: does the main program name a Python main? */
static int
preload_main_names(struct dl_phdr_info *info, size_t size, void *arg)
{
	/* Py_BytesMain (3.8+), _Py_UnixMain (3.7), Py_Main (older). */
	static const char *const want[] = {
		"\0Py_BytesMain\0", "\0_Py_UnixMain\0", "\0Py_Main\0",
	};
	const ElfW(Dyn)		*dyn = NULL;
	const char		*strtab = NULL;
	size_t			 strsz = 0;
	int			*found = arg;
	ElfW(Half)		 i;

	for (i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(info->dlpi_addr +
			    info->dlpi_phdr[i].p_vaddr);
	for (; dyn != NULL && dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_STRTAB) {
			/* ld.so relocates this entry in place on x86_64. */
			strtab = (const char *)dyn->d_un.d_ptr;
			if ((uintptr_t)strtab < info->dlpi_addr)
				strtab += info->dlpi_addr;
		} else if (dyn->d_tag == DT_STRSZ)
			strsz = dyn->d_un.d_val;
	}
	for (i = 0; strtab != NULL && i < sizeof want / sizeof want[0]; i++)
		if (memmem(strtab, strsz, want[i], strlen(want[i] + 1) + 2))
			*found = 1;
	return 1;	/* the main program comes first: stop there */
}

/*
 * Is the main program the Python interpreter?  Its main() calls
 * Py_BytesMain (or an older version's equivalent), so that name is in its
 * dynamic string table whether libpython is shared (an import) or linked
 * in (an export).  Programs that only embed libpython (perf, gdb, vim) are
 * left alone.
 */
static int
preload_is_interpreter(void)
{
	int	found = 0;

	dl_iterate_phdr(preload_main_names, &found);
	return found;
}

/* Look up the CPython objects the sampler reads.  0 or -1 (printed). */
static int
preload_python_symbols(struct sampler_python *py)
{
	static const char *const names[] = {
		"_PyRuntime", "PyCode_Type", "PyFrame_Type", "PyUnicode_Type",
		"PyBytes_Type",
	};
	uintptr_t	*slots[] = {
		&py->runtime, &py->code_type, &py->frame_type,
		&py->unicode_type, &py->bytes_type,
	};
	size_t		 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		*slots[i] = (uintptr_t)dlsym(RTLD_DEFAULT, names[i]);
		if (*slots[i] == 0) {
			preload_warn("Python %s: symbol %s not found; "
			    "not profiling", preload.python, names[i]);
			return -1;
		}
	}
	/* A debug build has a different object layout. */
	if (dlsym(RTLD_DEFAULT, "_Py_NegativeRefcount") != NULL ||
	    dlsym(RTLD_DEFAULT, "_Py_RefTotal") != NULL) {
		preload_warn("Python %s is a debug build, which is not "
		    "supported; not profiling", preload.python);
		return -1;
	}
	return 0;
}

/*
 * 3.13+ starts _PyRuntime with _Py_DebugOffsets: "xdebugpy", the version,
 * then the thread state's offsets.  Check the one the walker starts from,
 * so that a build with another layout is refused rather than misread.
 */
static int
preload_python_check(const struct sampler_python *py)
{
	const char	*cookie = (const char *)py->runtime;
	uint64_t	 version;

	if (py->layout->minor < 13)
		return 0;
	if (memcmp(cookie, "xdebugpy", 8) != 0) {
		preload_warn("Python %s: _PyRuntime has no debug offsets; "
		    "not profiling", preload.python);
		return -1;
	}
	memcpy(&version, cookie + 8, sizeof version);
	if ((version >> 16) != (preload.python_hex >> 16)) {
		preload_warn("Python %s: debug offsets are for version %llx; "
		    "not profiling", preload.python,
		    (unsigned long long)version);
		return -1;
	}
	return 0;
}

/* PyCode_Type's tp_dealloc, wrapped: forget the address, then free. */
static void
preload_code_dealloc(void *code)
{
	codereg_forget(&preload_sampler->reg, (uintptr_t)code);
	preload_code_dealloc_next(code);
}

/*
 * Wrap PyCode_Type's tp_dealloc so the registry forgets a code object when
 * it is freed: a later object at the same address is then defined afresh
 * (vmprof, which keys on the address alone, reports such functions under
 * the name of whatever lived there before).  The type is a static object in
 * writable memory and PyType_Ready() keeps a tp_dealloc already set; the
 * wrapper stays for the life of the process.
 */
static int
preload_hook_code(const struct sampler_python *py)
{
	void	(**slot)(void *);

	slot = (void (**)(void *))(py->code_type +
	    (uintptr_t)py->layout->type_dealloc);
	if (*slot == NULL) {
		preload_warn("Python %s: PyCode_Type has no tp_dealloc; "
		    "not profiling", preload.python);
		return -1;
	}
	if (*slot != preload_code_dealloc) {
		preload_code_dealloc_next = *slot;
		*slot = preload_code_dealloc;
	}
	return 0;
}

/* Read a small file (e.g. /proc/self/cmdline); bytes read or -1. */
static ssize_t
preload_read_file(const char *path, char *buf, size_t size)
{
	ssize_t	n, total = 0;
	int	fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((size_t)total < size) {
		n = read(fd, buf + total, size - (size_t)total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
	}
	close(fd);
	return total;
}

/* Append the HEADER record. */
static void
preload_header(struct writer *w)
{
	char	buf[8192], path[PATH_MAX];
	ssize_t	n, i, start;

	writer_kv_begin(w, REC_HEADER);
	writer_kv(w, "pysig", PACKAGE_VERSION);
	writer_kv_u64(w, "pid", (uint64_t)getpid());
	writer_kv_u64(w, "ppid", (uint64_t)getppid());
	if (preload.forked)
		writer_kv(w, "forked", "1");
	writer_kv(w, "python", preload.python);
	snprintf(buf, sizeof buf, "%lx", preload.python_hex);
	writer_kv(w, "python_hex", buf);
	n = readlink("/proc/self/exe", path, sizeof path - 1);
	if (n > 0) {
		path[n] = '\0';
		writer_kv(w, "executable", path);
	}
	n = preload_read_file("/proc/self/cmdline", buf, sizeof buf - 1);
	if (n > 0) {
		buf[n] = '\0';
		for (i = 0, start = 0; i <= n; i++) {
			if (i == n || buf[i] == '\0') {
				if (i > start || i < n)
					writer_kv(w, "arg", buf + start);
				start = i + 1;
			}
		}
	}
	if (getcwd(path, sizeof path) != NULL)
		writer_kv(w, "cwd", path);
	writer_kv_u64(w, "start_time_ns", preload_clock(CLOCK_REALTIME));
	writer_kv_u64(w, "start_mono_ns", preload.spool.start_mono);
	writer_kv(w, "mode", preload.opt.wall ? "wall" : "cpu");
	writer_kv(w, "clock", preload.opt.wall ? "monotonic" :
	    preload.perf ? "task-clock" : "thread-cputime");
	writer_kv(w, "timers", "per-thread");
	writer_kv_u64(w, "rate", preload.opt.rate);
	if (preload.opt.wall)
		writer_kv_u64(w, "idle_slowdown", preload.opt.idle_slowdown);
	writer_kv_u64(w, "delay_ns", preload.opt.delay_ns);
	if (preload.opt.duration_ns != 0)
		writer_kv_u64(w, "sampling_ns", preload.opt.duration_ns);
	if (preload.opt.toggle_signal != 0)
		writer_kv(w, "toggle_signal",
		    sigabbrev_np(preload.opt.toggle_signal) != NULL ?
		    sigabbrev_np(preload.opt.toggle_signal) : "?");
	writer_kv_u64(w, "max_depth", preload.opt.max_depth);
	writer_kv_u64(w, "buffer_bytes", PRELOAD_RING_BYTES);
	writer_kv_u64(w, "native", preload_sampler->native_depth != 0);
	if (preload_sampler->native_depth != 0) {
		writer_kv_u64(w, "native_depth", preload_sampler->native_depth);
		writer_kv(w, "unwind", preload_sampler->unwind ==
		    SAMPLER_UNWIND_STEP ? "step" : "trace");
		writer_kv_u64(w, "loader_locks",
		    preload_sampler->nloader_locks);
	}
	if (preload.eval_end != 0) {
		snprintf(buf, sizeof buf, "%llx",
		    (unsigned long long)preload.eval_start);
		writer_kv(w, "eval_start", buf);
		snprintf(buf, sizeof buf, "%llx",
		    (unsigned long long)preload.eval_end);
		writer_kv(w, "eval_end", buf);
	}
	writer_kv_end(w);
}

/*
 * Find the eval loop's code, [start, end): native frames there stand for
 * Python frames.  pysig-report also knows it by name, but a stripped
 * interpreter may have no name for its cold parts; the exported symbol and
 * its size are always there.
 */
static void
preload_eval_range(void)
{
	const ElfW(Sym)	*sym = NULL;
	Dl_info		 info;
	void		*eval;

	eval = dlsym(RTLD_DEFAULT, "_PyEval_EvalFrameDefault");
	if (eval == NULL || dladdr1(eval, &info, (void **)&sym,
	    RTLD_DL_SYMENT) == 0 || sym == NULL || sym->st_size == 0)
		return;
	preload.eval_start = (uintptr_t)eval;
	preload.eval_end = (uintptr_t)eval + sym->st_size;
}

/*
 * Prepare libunwind for the handler: a per-thread cache (no locks, no
 * signal masking per sample) and one unwind now, so that its one-time
 * set-up does not run inside a signal handler.
 */
static void
preload_native_init(void)
{
	const int	*locks[SAMPLER_LOADER_LOCKS];
	void		*pcs[16];
	int		 n, i;

	if (!preload.opt.native)
		return;
	unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
	if (unw_backtrace(pcs, 16) <= 0) {
		preload_warn("libunwind cannot unwind here; native stacks "
		    "off");
		return;
	}
	preload_sampler->native_depth = preload.opt.native_depth;
	preload_sampler->unwind = preload.opt.unwind == OPTIONS_UNWIND_STEP ?
	    SAMPLER_UNWIND_STEP : SAMPLER_UNWIND_TRACE;
	/*
	 * Without them (not glibc?) a sample taken while its thread takes
	 * or gives back the loader's lock may hang the thread: the header's
	 * loader_locks says 0.
	 */
	n = loader_locks(locks, SAMPLER_LOADER_LOCKS);
	for (i = 0; i < n; i++)
		preload_sampler->loader_lock[i] = locks[i];
	preload_sampler->nloader_locks = n > 0 ? (unsigned int)n : 0;
}

/* Stop sampling and finish the profile (atexit). */
static void
preload_fini(void)
{
	if (preload.state != PRELOAD_RUNNING || preload.pid != getpid())
		return;
	preload.state = PRELOAD_DONE;
	if (preload.timer_armed) {
		timers_stop();
		preload.timer_armed = 0;
	}
	sampler_set(NULL);
	if (spool_finish(&preload.spool, PRELOAD_FINISH_MS) != 0) {
		preload_warn("the spool did not finish within %d ms; %s may "
		    "be incomplete", PRELOAD_FINISH_MS, preload.path);
		return;
	}
	if (atomic_load(&preload.shared->lost) != 0)
		preload_warn("%s: %llu bytes could not be written (%s); the "
		    "profile is incomplete", preload.path,
		    (unsigned long long)atomic_load(&preload.shared->lost),
		    strerror(atomic_load(&preload.shared->error)));
	else if (!preload.opt.quiet)
		preload_warn("%llu samples written to %s",
		    (unsigned long long)atomic_load(&preload.shared->written),
		    preload.path);
}

/*
 * Write the header from the program's process with SIGXFSZ blocked: under
 * a file size limit (ulimit -f) smaller than the header the write would
 * otherwise kill the program before Python starts (Python ignores SIGXFSZ,
 * but only once it is initialised).  A SIGXFSZ caused here is taken back.
 */
static int
preload_flush_header(struct writer *w)
{
	struct timespec	zero = { 0, 0 };
	sigset_t	xfsz, old, pending;
	int		was, error;

	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	pthread_sigmask(SIG_BLOCK, &xfsz, &old);
	was = sigpending(&pending) == 0 && sigismember(&pending, SIGXFSZ);
	error = writer_flush(w);
	if (!was)
		(void)sigtimedwait(&xfsz, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return error;
}

static int	preload_path(void);
static int	preload_memory(void);
static int	preload_start_timer(void);

/*
 * Start a profile of this process: open the file, write its header and
 * mappings, start a spool for it, arm the timers.  The sampler's memory
 * is mapped and set up.  0, or -1 after printing why (nothing is left
 * running and the file is removed).
 */
static int
preload_begin(void)
{
	struct writer	*w;
	struct stat	 st;
	int		 fd, regular, error;

	/*
	 * A new file, not the old one truncated: a forked child's spool may
	 * still hold the file of this pid when the child exec()s a Python.
	 * Only a file or a symlink is removed, never a device (/dev/null as
	 * root) or a FIFO; a FIFO nobody reads fails to open (ENXIO) rather
	 * than blocking the program.
	 */
	if (lstat(preload.path, &st) == 0 && (S_ISREG(st.st_mode) ||
	    S_ISLNK(st.st_mode)))
		(void)unlink(preload.path);
	fd = open(preload.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK, 0666);
	if (fd < 0 || fcntl(fd, F_SETFL, 0) != 0 || fstat(fd, &st) != 0) {
		preload_warn("cannot open %s: %s; not profiling", preload.path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* What to remove on failure: only a file we made. */
	regular = S_ISREG(st.st_mode);
	preload.spool.start_mono = preload_clock(CLOCK_MONOTONIC);
	preload.spool.start_cpu = preload_clock(CLOCK_PROCESS_CPUTIME_ID);
	preload.spool.wall = preload.opt.wall;
	preload.spool.rate = preload.opt.rate;
	preload.spool.path = preload.path;
	if ((w = writer_create(fd, preload.spool.start_mono)) == NULL) {
		preload_warn("out of memory; not profiling");
		goto fail;
	}
	writer_file_header(w);
	preload_header(w);
	maps_write(&preload.spool.maps, w);
	if ((error = preload_flush_header(w)) != 0) {
		preload_warn("cannot write %s: %s; not profiling", preload.path,
		    strerror(-error));
		writer_free(w);
		goto fail;
	}
	/* From here on the spool owns the writer and the descriptor. */
	if ((error = spool_start(&preload.spool, preload.shared, w, fd)) != 0) {
		preload_warn("cannot start the spool process: %s; "
		    "not profiling", strerror(-error));
		if (regular)
			unlink(preload.path);
		return -1;
	}
	preload.state = PRELOAD_RUNNING;
	sampler_set(preload_sampler);
	if ((error = preload_start_timer()) != 0) {
		preload_warn("cannot start the timer: %s; not profiling",
		    strerror(-error));
		preload.opt.quiet = 1;
		preload_fini();
		if (regular)
			unlink(preload.path);
		return -1;
	}
	return 0;
fail:
	close(fd);
	if (regular)
		unlink(preload.path);
	return -1;
}

/*
 * How long fork() waits for the handlers running in other threads to
 * finish (a sample takes microseconds, rarely a millisecond) before it
 * goes on without them; the child then records no native stacks.
 */
#define PRELOAD_FORK_WAIT_NS	500000000ULL

/* Did every handler finish before the last fork()? */
static int	preload_fork_drained = 1;

/*
 * Before fork(): no sample may be half taken in another thread, or the
 * child inherits the locks it holds (sampler_fork_close()).
 */
static void
preload_prepare(void)
{
	struct timespec	nap = { 0, 20000 };
	uint64_t	deadline;

	preload_fork_drained = 1;
	if (sampler_fork_close() == 0)
		return;
	deadline = preload_clock(CLOCK_MONOTONIC) + PRELOAD_FORK_WAIT_NS;
	while (sampler_fork_inside() != 0) {
		if (preload_clock(CLOCK_MONOTONIC) >= deadline) {
			preload_fork_drained = 0;
			return;
		}
		nanosleep(&nap, NULL);
	}
}

static void
preload_parent(void)
{
	sampler_fork_open(0);
}

/*
 * In a child after fork() there is no timer (POSIX timers are not
 * inherited) and the spool belongs to the parent, as do the samples in the
 * shared ring: drop them.  Unless PYSIG_FOLLOW=0, the child then starts a
 * profile of its own, "<output>.<pid>", with fresh memory (a new ring and
 * code registry, so nothing of the parent's is written twice and code ids
 * start afresh), its own spool and a timer for its one thread.
 */
static void
preload_child(void)
{
	struct spool_shared	*old = preload.shared;
	void			*old_ring = preload_sampler != NULL ?
				    preload_sampler->ring.data : NULL;
	void			*old_slots = preload_sampler != NULL ?
				    preload_sampler->reg.slots : NULL;
	struct sampler		 copy;
	int			 was_running = preload.state == PRELOAD_RUNNING;

	sampler_fork_open(1);
	timers_forget();
	preload.timer_armed = 0;
	sampler_set(NULL);
	sampler_forget_tid();
	if (was_running)
		spool_forget(&preload.spool);
	preload.state = PRELOAD_DONE;
	if (!was_running || !preload.opt.follow)
		return;

	copy = *preload_sampler;
	preload.pid = getpid();
	if (preload_path() != 0 || preload_memory() != 0)
		return;
	preload_sampler->py = copy.py;
	preload_sampler->max_depth = copy.max_depth;
	/* A handler left inside libunwind may hold its locks: no unwinding. */
	preload_sampler->native_depth = preload_fork_drained ?
	    copy.native_depth : 0;
	preload_sampler->unwind = copy.unwind;
	memcpy(preload_sampler->loader_lock, copy.loader_lock,
	    sizeof copy.loader_lock);
	preload_sampler->nloader_locks = copy.nloader_locks;
	preload_sampler->wall = copy.wall;
	preload_sampler->period_ns = copy.period_ns;
	preload_sampler->idle_slowdown = copy.idle_slowdown;
	preload_sampler->from_ns = copy.from_ns;
	preload_sampler->until_ns = copy.until_ns;
	atomic_store(&preload_sampler->paused, atomic_load(&copy.paused));
	sampler_mark_fork(preload_sampler);
	munmap(old_ring, PRELOAD_RING_BYTES);
	munmap(old_slots, PRELOAD_CODE_SLOTS * sizeof(struct codereg_slot));
	munmap(old, sizeof *old);
	preload.forked = 1;
	(void)preload_begin();
}

/*
 * Where to write.  "%p" in PYSIG_OUTPUT stands for the process id, in
 * every process.  Otherwise the first process writes PYSIG_OUTPUT and any
 * other Python process of the tree (a forked child, or a Python started by
 * a profiled process: the library comes with LD_PRELOAD) writes
 * "<output>.<pid>" so that it does not overwrite its parent's profile.
 */
static int
preload_path(void)
{
	const char	*root = getenv("PYSIG_ROOT_PID"), *at;
	const char	*out = preload.opt.output;
	char		 pid[32];
	int		 n;

	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	if ((at = strstr(out, "%p")) != NULL) {
		n = snprintf(preload.path, sizeof preload.path, "%.*s%s%s",
		    (int)(at - out), out, pid, at + 2);
		if (root == NULL && !preload.forked)
			setenv("PYSIG_ROOT_PID", pid, 1);
	} else if ((root != NULL && strcmp(root, pid) != 0) || preload.forked)
		n = snprintf(preload.path, sizeof preload.path, "%s.%s",
		    out, pid);
	else {
		n = snprintf(preload.path, sizeof preload.path, "%s", out);
		setenv("PYSIG_ROOT_PID", pid, 1);
	}
	if (n < 0 || (size_t)n >= sizeof preload.path) {
		preload_warn("PYSIG_OUTPUT: path too long; not profiling");
		return -1;
	}
	return 0;
}

/*
 * Map zeroed memory: shared with the spool for the sampler and its ring,
 * private for the code registry.  All of it is populated now: a page first
 * touched inside the handler would cost a page fault there, and a
 * transparent huge page the zeroing of 2 MiB.
 */
static int
preload_memory(void)
{
	void	*shared, *ring, *slots;
	int	 error;

	shared = mmap(NULL, sizeof *preload.shared, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (shared == MAP_FAILED)
		return -errno;
	ring = mmap(NULL, PRELOAD_RING_BYTES, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (ring == MAP_FAILED) {
		error = errno;
		munmap(shared, sizeof *preload.shared);
		return -error;
	}
	slots = mmap(NULL, PRELOAD_CODE_SLOTS * sizeof(struct codereg_slot),
	    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
	    -1, 0);
	if (slots == MAP_FAILED) {
		error = errno;
		munmap(ring, PRELOAD_RING_BYTES);
		munmap(shared, sizeof *preload.shared);
		return -error;
	}
	preload.shared = shared;
	preload_sampler = &preload.shared->sampler;
	ring_init(&preload_sampler->ring, ring, PRELOAD_RING_BYTES);
	codereg_init(&preload_sampler->reg, slots, PRELOAD_CODE_SLOTS);
	return 0;
}

/*
 * A thread started or ended (timers.c, normal context): tell the spool,
 * which writes a THREAD record.  Dropped, like a sample, if the ring is
 * full.
 */
static void
preload_thread_event(int event, pid_t tid, const char *name)
{
	struct spool_thread_event	*e;
	struct ring_slot		 slot;

	e = ring_reserve(&preload_sampler->ring, sizeof *e, SPOOL_REC_THREAD,
	    &slot);
	if (e == NULL)
		return;
	e->time_ns = preload_clock(CLOCK_MONOTONIC);
	e->tid = (uint32_t)tid;
	e->event = (uint32_t)event;
	memset(e->name, 0, sizeof e->name);
	if (name != NULL)
		strncpy(e->name, name, sizeof e->name - 1);
	ring_commit(&preload_sampler->ring, &slot);
}

/* CPython's API, for the names of threads (looked up at start-up). */
static struct {
	int	 (*gil_check)(void);
	void	*(*get_locals)(void);
	void	*(*dict_get)(void *, const char *);
	int	 (*has_attr)(void *, const char *);
	void	*(*get_attr)(void *, const char *);
	const char *(*as_utf8)(void *);
	void	 (*decref)(void *);
	void	 (*err_fetch)(void **, void **, void **);
	void	 (*err_restore)(void *, void *, void *);
} preload_api;

/* Look up the API preload_thread_name() uses; all or nothing. */
static void
preload_api_init(void)
{
	static const char *const names[] = {
		"PyGILState_Check", "PyEval_GetLocals", "PyDict_GetItemString",
		"PyObject_HasAttrString", "PyObject_GetAttrString",
		"PyUnicode_AsUTF8", "Py_DecRef", "PyErr_Fetch", "PyErr_Restore",
	};
	void	**slots = (void **)&preload_api;
	size_t	  i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if ((slots[i] = dlsym(RTLD_DEFAULT, names[i])) == NULL) {
			memset(&preload_api, 0, sizeof preload_api);
			return;
		}
	}
}

/*
 * The Python name of a thread being created (timers.c calls this inside
 * pthread_create(), in the creating thread).  threading.Thread.start()
 * starts the thread from C with the GIL held, its frame the current one:
 * the name is its "self"'s _name.  Only a Thread (it has _bootstrap and a
 * str _name) is asked; any error is cleared and the name left empty.
 */
static void
preload_thread_name(char *buf, size_t size)
{
	void		*locals, *self, *name, *type, *value, *tb;
	const char	*utf8;

	buf[0] = '\0';
	/*
	 * PyGILState_Check() says yes before the interpreter is initialised:
	 * check first that this thread has a thread state that holds the GIL.
	 */
	if (preload_api.gil_check == NULL || preload_sampler == NULL ||
	    !sampler_holds_gil(&preload_sampler->py) ||
	    preload_api.gil_check() != 1)
		return;
	preload_api.err_fetch(&type, &value, &tb);
	if ((locals = preload_api.get_locals()) != NULL &&
	    (self = preload_api.dict_get(locals, "self")) != NULL &&
	    preload_api.has_attr(self, "_bootstrap") &&
	    preload_api.has_attr(self, "_name") &&
	    (name = preload_api.get_attr(self, "_name")) != NULL) {
		if ((utf8 = preload_api.as_utf8(name)) != NULL) {
			strncpy(buf, utf8, size - 1);
			buf[size - 1] = '\0';
		}
		preload_api.decref(name);
	}
	/* Drop any error raised here; put back what was pending. */
	preload_api.err_restore(type, value, tb);
}

/*
 * Cpu mode: sample with the threads' task clocks if the kernel lets us
 * (timers.h), else say why once and use timers on their CPU clocks.
 */
static void
preload_cpu_timer(void)
{
	char	paranoid[16] = "";
	int	error, fd;
	ssize_t	n;

	if (preload.opt.wall || preload.opt.cpu_timer != OPTIONS_CPU_TIMER_PERF)
		return;
	if ((error = timers_perf_probe(preload_sampler->period_ns)) == 0) {
		preload.perf = 1;
		return;
	}
	if (preload.opt.quiet)
		return;
	if (error == -EACCES &&
	    (fd = open("/proc/sys/kernel/perf_event_paranoid",
	    O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, paranoid, sizeof paranoid - 1);
		close(fd);
		paranoid[n > 0 ? n : 0] = '\0';
		paranoid[strcspn(paranoid, "\n")] = '\0';
	}
	preload_warn("no task clock (perf_event_open: %s%s%s%s): cpu mode "
	    "samples at the kernel's scheduler ticks, at most CONFIG_HZ per "
	    "second and thread (PYSIG_CPU_TIMER=posix chooses that without this "
	    "message)",
	    strerror(-error), paranoid[0] != '\0' ?
	    ", kernel.perf_event_paranoid=" : "", paranoid,
	    paranoid[0] != '\0' ? ", allowed at 1 or below" : "");
}

/* Install the handler and arm a timer in every thread. */
static int
preload_start_timer(void)
{
	struct sigaction	sa;
	int			error;

	if ((error = interpose_start(preload.opt.quiet)) != 0)
		return error;
	if (preload.opt.toggle_signal != 0) {
		memset(&sa, 0, sizeof sa);
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		sa.sa_sigaction = sampler_toggle;
		if (sigaction(preload.opt.toggle_signal, &sa, NULL) != 0)
			return -errno;
	}

	/*
	 * POSIX timers, not setitimer(): they are not inherited by fork()
	 * and are deleted by execve(), so no other program gets our SIGPROF.
	 */
	preload_api_init();
	if ((error = timers_init(preload.opt.wall,
	    preload_sampler->idle_slowdown > 1, preload.perf,
	    preload_sampler->period_ns,
	    preload_thread_event, preload_thread_name)) != 0 ||
	    (error = timers_start()) != 0)
		return error;
	preload.timer_armed = 1;
	return 0;
}

/* The constructor: decide whether to profile and start. */
static void __attribute__((constructor))
preload_init(void)
{
	struct sampler_python	 py;
	const char		*root;
	int			 major, minor, micro, error;

	/* Never in set-user-ID or set-group-ID programs. */
	if (getauxval(AT_SECURE))
		return;
	error = preload_python_version(&major, &minor, &micro);
	if (error == -1 || !preload_is_interpreter())
		return;		/* not CPython: stay out of the way */
	if (error == -2) {
		preload_warn("Python %s is a free-threading build, which is "
		    "not supported; not profiling", preload.python);
		return;
	}
	memset(&py, 0, sizeof py);
	py.layout = pylayout_find(major, minor);
	if (py.layout == NULL) {
		preload_warn("Python %s is not supported (supported: %s); "
		    "not profiling", preload.python, pylayout_supported());
		return;
	}
	if (options_load(&preload.opt) != 0)
		return;
	if (preload_python_symbols(&py) != 0 || preload_python_check(&py) != 0)
		return;
	preload.pid = getpid();
	root = getenv("PYSIG_ROOT_PID");
	if (!preload.opt.follow && root != NULL &&
	    strtol(root, NULL, 10) != (long)preload.pid)
		return;		/* PYSIG_FOLLOW=0: a child, unprofiled */
	if (preload_path() != 0)
		return;
	if ((error = preload_memory()) != 0) {
		preload_warn("cannot map the sample buffer: %s; not profiling",
		    strerror(-error));
		return;
	}
	preload_sampler->py = py;
	preload_sampler->max_depth = preload.opt.max_depth;
	preload_sampler->wall = preload.opt.wall;
	preload_sampler->period_ns = 1000000000ULL / preload.opt.rate;
	preload_sampler->idle_slowdown = preload.opt.wall ?
	    preload.opt.idle_slowdown : 1;
	/* PYSIG_DELAY and PYSIG_DURATION: the window the handler samples. */
	preload_sampler->from_ns = preload_clock(CLOCK_MONOTONIC) +
	    preload.opt.delay_ns;
	if (preload.opt.duration_ns != 0)
		preload_sampler->until_ns = preload_sampler->from_ns +
		    preload.opt.duration_ns;
	if (preload_hook_code(&py) != 0)
		return;
	preload_cpu_timer();
	preload_native_init();
	preload_eval_range();
	preload_sampler->py.eval_start = preload.eval_start;
	preload_sampler->py.eval_end = preload.eval_end;
	if (preload_sampler->native_depth != 0 &&
	    maps_load(&preload.spool.maps, preload.eval_start) != 0) {
		preload_warn("out of memory; not profiling");
		return;
	}
	if ((error = guard_install()) != 0) {
		preload_warn("cannot install the fault handler: %s; "
		    "not profiling", strerror(-error));
		return;
	}
	if (preload_begin() != 0)
		return;
	atexit(preload_fini);
	/*
	 * Registered after timers.c's own fork handlers: the prepare handler
	 * runs before timers.c takes its lock, the child handler after it
	 * gives it back.
	 */
	pthread_atfork(preload_prepare, preload_parent, preload_child);
}
