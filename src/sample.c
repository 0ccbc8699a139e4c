/*
 * SIGNAL CONTEXT: runs inside the SIGPROF handler. No malloc, stdio, locks,
 * dlsym or logging. New external calls need an entry in tests/sigsafe.allow.
 *
 * The interrupted thread is stopped inside this handler, so its own frame
 * chain cannot change under us; what can be inconsistent is a frame being
 * pushed or popped at the instant of the signal (the compiler may order the
 * stores that link a frame as it likes).  Every pointer is checked for
 * plausibility and every object for its type before it is followed, and a
 * memory fault is caught by guard.c and counted: the sample is kept up to
 * the last good frame.  Nothing here touches a reference count or calls
 * into Python.
 */

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "format.h"
#include "guard.h"
#include "pystr.h"
#include "sample.h"
#include "sigchain.h"

#define PEEK(type, addr)	(*(const volatile type *)(uintptr_t)(addr))

/*
 * Each thread remembers, by depth from the outermost frame, which code
 * object it found there last time and its id.  While no code object has
 * been freed since (the registry's epoch), an equal address is the same
 * live object, and the frame can be recorded without reading the code
 * object or the shared registry: two cache misses saved per frame, which
 * is most of the handler's cost on a deep stack.
 */
#define SAMPLER_MEMO	128

struct sampler_memo {
	uintptr_t	code;
	uint32_t	id;
	uint32_t	epoch;
	int64_t		size;	/* bytecode bytes (3.11+) */
};

static _Atomic(struct sampler *)	 sampler_active;
static __thread volatile sig_atomic_t	 sampler_busy;
/*
 * The fork() gate (sampler_fork_close()): while it is closed, handlers
 * return at once; sampler_inside counts the handlers past it.
 */
static atomic_int			 sampler_forking;
static atomic_int			 sampler_inside;
static __thread uint32_t		 sampler_tid;
static __thread struct sampler_memo	 sampler_memo[SAMPLER_MEMO];
/* Wall mode: this thread's CPU clock at its previous sample. */
static __thread uint64_t		 sampler_cpu_last;
/*
 * Wall mode: this thread's timers (sampler_thread_timers()), whether it is
 * sampled at the idle rate, its idle samples in a row at the full rate, and
 * the time and state of its previous sample.
 */
static __thread timer_t			 sampler_tick_timer;
static __thread timer_t			 sampler_wake_timer;
static __thread volatile sig_atomic_t	 sampler_timers_set;
static __thread int			 sampler_has_wake;
/*
 * When the next tick is due (0: unknown), and the ticks before
 * sampler_wall_step() re-arms the timer.
 */
static __thread uint64_t		 sampler_wall_due;
static __thread unsigned int		 sampler_wall_left;
static __thread int			 sampler_slow;
static __thread unsigned int		 sampler_idle_run;
static __thread uint64_t		 sampler_last_ns;
static __thread unsigned int		 sampler_last_flags;
/*
 * Task clocks: this thread's CPU clock at its previous signal.  Task clocks
 * and wall-mode timers: the state of its random periods (sampler_jitter()).
 */
static __thread uint64_t		 sampler_perf_last;
static __thread uint64_t		 sampler_rand;

/*
 * Where the native stack is unwound to before the record is reserved (its
 * size is known only then).  unw_backtrace() starts inside the handler, so
 * there is room for the handler's own frames, which are dropped.
 */
#define SAMPLER_NATIVE_SKIP	32
static __thread uint64_t	sampler_native[SAMPLER_MAX_NATIVE +
				    SAMPLER_NATIVE_SKIP];
/* The handler's own frames in the last such walk, in any thread. */
static _Atomic int		sampler_handler_frames;
/* Frames past the interrupted one that the short first walk goes. */
#define SAMPLER_WARM_FRAMES	5

/*
 * Set while this thread unwinds inside the handler: sigprocmask() is then
 * a no-op (below).
 */
static __thread volatile sig_atomic_t	sampler_unwinding;

/* What one walk has reserved, kept in memory so a fault can finish it. */
struct sampler_walk {
	struct sample_stack	*stack;
	struct writer_frame	*frames;
	struct ring_slot	 stack_slot;
	struct sample_code	*code;
	struct ring_slot	 code_slot;
	unsigned int		 n;
	unsigned int		 flags;
	unsigned int		 sample_flags;	/* SAMPLE_* */
	uint64_t		 weight_ns;	/* time the sample stands for */
	int			 woken;		/* by the wake timer: running */
	uintptr_t		 last_code;
	uint32_t		 last_id;
	uint32_t		 epoch;
	int			 in_eval;	/* interrupted in the eval loop */
};

/* Make s the sampler the handler uses (NULL: the handler does nothing). */
void
sampler_set(struct sampler *s)
{
	atomic_store_explicit(&sampler_active, s, memory_order_release);
}

/*
 * Forget the calling thread's cached thread id and code memo (after fork:
 * the child starts a registry of its own, whose ids mean other code).
 */
void
sampler_forget_tid(void)
{
	sampler_tid = 0;
	sampler_cpu_last = 0;
	memset(sampler_memo, 0, sizeof sampler_memo);
	sampler_thread_timers_clear();
	sampler_last_ns = 0;
	sampler_last_flags = 0;
	sampler_perf_last = 0;
	sampler_rand = 0;
}

/* A thread sampled by a CPU-clock timer, not a task clock. */
void
sampler_count_clock_fallback(void)
{
	struct sampler	*s = atomic_load(&sampler_active);

	if (s != NULL)
		atomic_fetch_add_explicit(&s->stats.clock_fallbacks, 1,
		    memory_order_relaxed);
}

/* Give the handler the calling thread's timers (normal context). */
void
sampler_thread_timers(timer_t tick, timer_t wake, int has_wake)
{
	sampler_timers_set = 0;
	atomic_signal_fence(memory_order_seq_cst);
	sampler_tick_timer = tick;
	sampler_wake_timer = wake;
	sampler_has_wake = has_wake;
	sampler_wall_due = 0;
	sampler_slow = 0;
	sampler_idle_run = 0;
	atomic_signal_fence(memory_order_seq_cst);
	sampler_timers_set = 1;
}

/* Take them back before they are deleted (normal context). */
void
sampler_thread_timers_clear(void)
{
	sampler_timers_set = 0;
	atomic_signal_fence(memory_order_seq_cst);
	sampler_slow = 0;
	sampler_idle_run = 0;
}

/* Monotonic time in nanoseconds. */
static inline uint64_t
sampler_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Does obj look like an object of the given type? */
GUARD_NO_ASAN static inline int
sampler_is(const struct pylayout *l, uintptr_t obj, uintptr_t type)
{
	return pystr_ptr_ok(obj) && PEEK(uintptr_t, obj + l->ob_type) == type;
}

/*
 * The fingerprint stored with a registry entry.  It depends only on the
 * address: the registry forgets an address when its code object is freed
 * (the preload wraps PyCode_Type's tp_dealloc), so an address that is found
 * names the object that was defined there.  The fingerprint only catches a
 * slot read while another thread replaces it (see codereg.c).
 */
static inline uint32_t
sampler_code_fp(uintptr_t code)
{
	uint64_t	h = (uint64_t)code * 0x9e3779b97f4a7c15ULL;
	uint32_t	fp = (uint32_t)(h >> 32) ^ (uint32_t)h;

	return fp != 0 ? fp : 1;
}

/* Append the definition of a code object; its new id, or 0 if no room. */
GUARD_NO_ASAN static uint32_t
sampler_define(struct sampler *s, struct sampler_walk *w, uintptr_t code,
    uint32_t fp)
{
	const struct pylayout	*l = s->py.layout;
	struct sample_code	*rec;
	uintptr_t		 name, file, table;
	const uint8_t		*tdata = NULL;
	long			 tlen = 0, nlen, flen;
	int			 cut1, cut2;
	uint32_t		 id;

	name = PEEK(uintptr_t, code + (l->code_qualname >= 0 ?
	    l->code_qualname : l->code_name));
	file = PEEK(uintptr_t, code + l->code_filename);
	table = PEEK(uintptr_t, code + l->code_linetable);
	if (sampler_is(l, table, s->py.bytes_type))
		tlen = pystr_bytes(l, table, &tdata);
	if (tlen < 0)
		tlen = 0;
	rec = ring_reserve(&s->ring, sizeof *rec + 2 * SAMPLER_MAX_NAME +
	    (size_t)(tlen > SAMPLER_MAX_TABLE ? SAMPLER_MAX_TABLE : tlen),
	    SAMPLE_REC_CODE, &w->code_slot);
	if (rec == NULL)
		return 0;
	rec->id = 0;	/* abandoned unless completed below */
	w->code = rec;

	rec->flags = 0;
	if (tlen > SAMPLER_MAX_TABLE) {
		tlen = SAMPLER_MAX_TABLE;
		rec->flags |= CODE_TABLE_TRUNCATED;
	}
	nlen = pystr_utf8(l, name, rec->data, SAMPLER_MAX_NAME, &cut1);
	if (nlen < 0) {
		memcpy(rec->data, "?", 1);
		nlen = 1;
	}
	flen = pystr_utf8(l, file, rec->data + nlen, SAMPLER_MAX_NAME, &cut2);
	if (flen < 0) {
		memcpy(rec->data + nlen, "?", 1);
		flen = 1;
	}
	if (cut1 || cut2)
		rec->flags |= CODE_NAME_TRUNCATED;
	if (tlen > 0)
		memcpy(rec->data + nlen + flen, tdata, (size_t)tlen);
	rec->firstlineno = PEEK(int32_t, code + l->code_firstlineno);
	rec->name_len = (uint32_t)nlen;
	rec->file_len = (uint32_t)flen;
	rec->table_len = (uint32_t)tlen;
	rec->table_kind = (uint8_t)l->table_kind;
	id = codereg_new_id(&s->reg);
	rec->id = id;

	w->code = NULL;
	ring_commit(&s->ring, &w->code_slot);
	codereg_publish(&s->reg, code, fp, id);
	atomic_fetch_add_explicit(&s->stats.codes, 1, memory_order_relaxed);
	return id;
}

/*
 * The id of a code object, defining it the first time.  Within one walk the
 * same address is the same object, so recursion reuses the last answer.
 */
static uint32_t
sampler_code_id(struct sampler *s, struct sampler_walk *w, uintptr_t code)
{
	uint32_t	fp, id;

	if (code == w->last_code)
		return w->last_id;
	fp = sampler_code_fp(code);
	id = codereg_lookup(&s->reg, code, fp);
	if (id == 0)
		id = sampler_define(s, w, code, fp);
	w->last_code = code;
	w->last_id = id;
	return id;
}

/* The calling thread's Python thread state, or 0. */
GUARD_NO_ASAN static uintptr_t
sampler_tstate(const struct sampler_python *py)
{
	uintptr_t	key = py->runtime + (uintptr_t)py->layout->runtime_tss;

	/* Py_tss_t is { int _is_initialized; pthread_key_t _key; }. */
	if (PEEK(int, key) == 0)
		return 0;
	return (uintptr_t)pthread_getspecific(PEEK(pthread_key_t,
	    key + sizeof(int)));
}

/*
 * Where a thread's Python stack starts.  In 3.11 and 3.12 it is read
 * through the thread's _PyCFrame, and a C function calling into Python
 * enters _PyEval_EvalFrameDefault(), which makes its own _PyCFrame the
 * thread's (tstate->cframe = &cframe) in the same few instructions as it
 * fills in that local's previous and current_frame, in whatever order the
 * compiler chose: a signal there finds stale stack contents.  Once done,
 * the new current frame's chain leads (through the entry frame) to the
 * previous _PyCFrame's current frame, or to the end when the previous one
 * is the thread's root_cframe.  So a chain that does not is the caller's
 * state, if the previous _PyCFrame is already the thread's; or unknown.
 */
struct sampler_top {
	uintptr_t	frame;		/* innermost frame, or 0 */
	int		check;		/* the chain must reach outer */
	int		broken;		/* the previous _PyCFrame is no pointer */
	uintptr_t	outer;		/* the caller's frame (or 0: the end) */
	uintptr_t	prev;		/* the previous _PyCFrame */
};

GUARD_NO_ASAN static void
sampler_top(const struct pylayout *l, uintptr_t ts, struct sampler_top *t)
{
	uintptr_t	cframe, root;

	memset(t, 0, sizeof *t);
	if (l->ts_cframe < 0) {
		t->frame = PEEK(uintptr_t, ts + l->ts_frame);
		return;
	}
	cframe = PEEK(uintptr_t, ts + l->ts_cframe);
	if (!pystr_ptr_ok(cframe))
		return;
	t->frame = PEEK(uintptr_t, cframe + l->cframe_frame);
	root = ts + (uintptr_t)l->ts_root_cframe;
	if (cframe == root)
		return;
	t->check = 1;
	t->prev = PEEK(uintptr_t, cframe + l->cframe_previous);
	/*
	 * A previous _PyCFrame with no current frame (the root, or the base
	 * of a greenlet) leaves the chain to end by itself.
	 */
	if (t->prev != root && !pystr_ptr_ok(t->prev))
		t->broken = 1;
	else
		t->outer = PEEK(uintptr_t, t->prev + l->cframe_frame);
}

/*
 * Where frame f stands in its code: the raw instruction offset or pointer,
 * whichever the layout keeps; 0 for no frame.
 */
GUARD_NO_ASAN static uintptr_t
sampler_position(const struct pylayout *l, uintptr_t f)
{
	if (!pystr_ptr_ok(f))
		return 0;
	if (l->frames == PYFRAMES_OBJECT)
		return (uintptr_t)(unsigned int)PEEK(int, f + l->frame_lasti);
	return PEEK(uintptr_t, f + l->frame_instr);
}

/*
 * Count a sample whose innermost frame (0: none) is not where the thread
 * stood at fork() (sampler_mark_fork()).
 */
GUARD_NO_ASAN static void
sampler_count_moved(struct sampler *s, uintptr_t frame)
{
	if (!pystr_ptr_ok(frame))
		frame = 0;
	if (s->forked && frame == s->fork_frame &&
	    sampler_position(s->py.layout, frame) == s->fork_pos)
		return;
	atomic_fetch_add_explicit(&s->stats.moved, 1, memory_order_relaxed);
}

/* Does the chain of _PyCFrames from c reach the thread's root_cframe? */
GUARD_NO_ASAN static int
sampler_cframes_ok(const struct pylayout *l, uintptr_t ts, uintptr_t c,
    unsigned int limit)
{
	uintptr_t	root = ts + (uintptr_t)l->ts_root_cframe;
	unsigned int	n;

	for (n = 0; n <= limit && pystr_ptr_ok(c); n++) {
		if (c == root)
			return 1;
		c = PEEK(uintptr_t, c + l->cframe_previous);
	}
	return 0;
}

/* Is an interpreter frame a C-stack shim (3.12+)? */
GUARD_NO_ASAN static inline int
sampler_is_shim(const struct pylayout *l, uintptr_t f)
{
	return l->owner_cstack >= 0 &&
	    PEEK(int8_t, f + l->frame_owner) == l->owner_cstack;
}

/*
 * Count Python frames from f, stopping past limit; *met tells whether the
 * chain passed through the frame outer, or ended (0) if outer is 0.
 */
GUARD_NO_ASAN static unsigned int
sampler_count(const struct pylayout *l, uintptr_t f, unsigned int limit,
    uintptr_t outer, int *met)
{
	unsigned int	n = 0;

	*met = 0;
	while (pystr_ptr_ok(f) && n <= limit) {
		if (f == outer)
			*met = 1;
		/*
		 * Following the links is a chain of dependent loads; start
		 * loading the other fields the fill pass reads meanwhile.
		 */
		__builtin_prefetch((const void *)(f + (uintptr_t)(l->frames ==
		    PYFRAMES_OBJECT ? l->frame_lasti : l->frame_instr)));
		if (l->frames == PYFRAMES_OBJECT || !sampler_is_shim(l, f))
			n++;
		f = PEEK(uintptr_t, f + l->frame_back);
	}
	if (f == outer)
		*met = 1;
	return n;
}

/* A code object's id and bytecode size, checking it is one. */
GUARD_NO_ASAN static int
sampler_code(struct sampler *s, struct sampler_walk *w, uintptr_t code,
    uint32_t *id, int64_t *size)
{
	const struct pylayout	*l = s->py.layout;

	if (!sampler_is(l, code, s->py.code_type))
		return -1;
	*size = l->code_code >= 0 ?
	    (int64_t)PEEK(long, code + l->var_size) * 2 : 0;
	*id = sampler_code_id(s, w, code);
	return 0;
}

/*
 * Read up to cap frames from f into the stack record; depth is the number
 * of frames to the outermost when the stack is complete, 0 if truncated.
 * Stops at the first frame that fails validation and flags it.
 */
GUARD_NO_ASAN static void
sampler_fill(struct sampler *s, struct sampler_walk *w, uintptr_t f,
    unsigned int cap, unsigned int depth)
{
	const struct pylayout	*l = s->py.layout;
	struct writer_frame	*out = w->frames;
	struct sampler_memo	*m;
	uintptr_t		 code, instr;
	int64_t			 addr, size;
	uint32_t		 id, entry;
	unsigned int		 r;
	int			 lasti;

	while (pystr_ptr_ok(f) && w->n < cap) {
		if (l->frames == PYFRAMES_OBJECT) {
			if (!sampler_is(l, f, s->py.frame_type))
				goto invalid;
		} else if (sampler_is_shim(l, f)) {
			/* The frame above a shim was entered from C. */
			if (w->n > 0)
				out[w->n - 1].ref |= 1;
			f = PEEK(uintptr_t, f + l->frame_back);
			continue;
		}
		code = PEEK(uintptr_t, f + l->frame_code);
		r = depth - 1 - w->n;
		m = depth != 0 && r < SAMPLER_MEMO ? &sampler_memo[r] : NULL;
		if (m != NULL && m->code == code && m->epoch == w->epoch) {
			id = m->id;
			size = m->size;
		} else {
			if (sampler_code(s, w, code, &id, &size) != 0)
				goto invalid;
			if (id == 0) {
				w->flags |= SAMPLE_DISCARD;
				return;
			}
			if (m != NULL) {
				m->code = code;
				m->id = id;
				m->epoch = w->epoch;
				m->size = size;
			}
		}
		if (l->frames == PYFRAMES_OBJECT) {
			lasti = PEEK(int, f + l->frame_lasti);
			addr = lasti < 0 ? -1 : (int64_t)lasti * l->lasti_scale;
			entry = 1;
		} else {
			instr = PEEK(uintptr_t, f + l->frame_instr);
			addr = (int64_t)(instr - (code + (uintptr_t)l->code_code));
			if (addr < 0 || addr >= size)
				addr = -1;
			entry = l->frame_is_entry >= 0 ?
			    (PEEK(uint8_t, f + l->frame_is_entry) != 0) : 0;
		}
		out[w->n].ref = id << 1 | entry;
		out[w->n].addr = (int32_t)addr;
		w->n++;
		f = PEEK(uintptr_t, f + l->frame_back);
	}
	/* The outermost frame read was entered from C if a shim or nothing
	 * lies below it. */
	if (w->n > 0 && l->frames == PYFRAMES_INTERP &&
	    (!pystr_ptr_ok(f) || sampler_is_shim(l, f)))
		out[w->n - 1].ref |= 1;
	return;
invalid:
	/*
	 * A frame is the thread's current one only once it is set up, so
	 * an innermost frame that is not valid was read in the window of
	 * sampler_top that its checks did not catch: stale stack contents
	 * that look consistent.
	 */
	if (w->n == 0 && w->in_eval && l->ts_cframe >= 0) {
		w->flags |= STACK_ENTERING;
		atomic_fetch_add_explicit(&s->stats.entering, 1,
		    memory_order_relaxed);
		return;
	}
	w->flags |= STACK_INVALID;
	atomic_fetch_add_explicit(&s->stats.invalid, 1, memory_order_relaxed);
}

#if defined(__x86_64__)
/*
 * Unwind with unw_backtrace(), which uses libunwind's per-thread cache of
 * frame layouts (one lookup per return address after the first time) and
 * crosses the signal frame by itself.  It starts in this function: the
 * frames up to the interrupted instruction (the context's RIP) are ours.
 */
static unsigned int
sampler_unwind_trace(unsigned int cap, const ucontext_t *uc,
    unsigned int *flags)
{
	uint64_t	pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	int		n, i, known;

	/*
	 * First a short walk, to a few frames above the interrupted one.  An
	 * address libunwind's cache has not seen goes through unw_step(),
	 * whose conservative checks turn on memory validation in the cursor,
	 * and nothing turns it off again (libunwind's dwarf_set_validate()
	 * can only set the flag): every stack page the rest of that walk
	 * reads then costs mincore(), read() and write() (only the last four
	 * pages are remembered).  The interrupted address is new in many
	 * samples, as it is any instruction of the program, and so is the call
	 * site it returns to now and then.  On 3.8 with 200 Python frames that
	 * was six validations per sample, eighteen system calls, and a median
	 * handler time four times larger.  The short walk takes those misses
	 * on a cursor of its own, and the full one finds them cached.  It
	 * costs about 50 ns when nothing is new.
	 */
	known = atomic_load_explicit(&sampler_handler_frames,
	    memory_order_relaxed);
	if (known > 0)
		(void)unw_backtrace((void **)sampler_native,
		    known + 1 + SAMPLER_WARM_FRAMES);
	n = unw_backtrace((void **)sampler_native,
	    (int)(cap + SAMPLER_NATIVE_SKIP));
	for (i = 0; i < n && i < SAMPLER_NATIVE_SKIP; i++)
		if (sampler_native[i] == pc)
			break;
	if (i >= n || i >= SAMPLER_NATIVE_SKIP) {
		*flags |= STACK_NATIVE_FAILED;
		return 0;
	}
	/* Stored only when it changes: every thread's handler reads it. */
	if (i != known)
		atomic_store_explicit(&sampler_handler_frames, i,
		    memory_order_relaxed);
	/*
	 * More than cap frames from the interrupted one: the stack is cut.
	 * The walk's limit leaves room for SAMPLER_NATIVE_SKIP frames of the
	 * handler, more than it has, so the walk can end past cap without
	 * reaching its limit: that stack is cut too.
	 */
	if ((unsigned int)(n - i) > cap) {
		*flags |= STACK_NATIVE_TRUNCATED;
		n = i + (int)cap;
	}
	memmove(sampler_native, sampler_native + i,
	    (size_t)(n - i) * sizeof sampler_native[0]);
	return (unsigned int)(n - i);
}

/*
 * Unwind with unw_init_local2() from the signal's context and unw_step():
 * libunwind's general path, which reports errors.
 */
static unsigned int
sampler_unwind_step(unsigned int cap, ucontext_t *uc, unsigned int *flags)
{
	unw_cursor_t	cursor;
	unw_word_t	ip;
	unsigned int	n = 0;
	int		r;

	if (unw_init_local2(&cursor, uc, UNW_INIT_SIGNAL_FRAME) < 0) {
		*flags |= STACK_NATIVE_FAILED;
		return 0;
	}
	do {
		if (unw_get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		if (n == cap) {
			*flags |= STACK_NATIVE_TRUNCATED;
			break;
		}
		sampler_native[n++] = (uint64_t)ip;
	} while ((r = unw_step(&cursor)) > 0);
	if (n < cap && r < 0)
		*flags |= STACK_NATIVE_FAILED;
	return n;
}
#endif

/*
 * The process's sigprocmask(), interposed for the sake of libunwind, which
 * wraps every lock it takes and every dl_iterate_phdr() call in a pair of
 * sigprocmask() calls blocking all signals, so that a signal handler using
 * libunwind cannot deadlock on a lock its own thread holds.  Debian's
 * libunwind 1.6 is built without the per-thread cache, so even a cached
 * step takes its global cache lock: about fifteen calls per sample, each a
 * system call of about 0.5 us here, were most of the handler's cost.
 * Inside the handler they are not needed: SIGPROF is blocked there, and no
 * other signal handler of a Python process unwinds with libunwind.  So
 * while this thread unwinds in the handler the call does nothing (the old
 * mask it reports is "all blocked", which is only handed back to us); at
 * any other time it is pthread_sigmask(), which is what glibc's
 * sigprocmask() is.  libunwind still takes its locks: other threads stay
 * excluded.
 */
__attribute__((visibility("default"))) int
sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	int	error;

	if (sampler_unwinding) {
		if (old != NULL)
			sigfillset(old);
		return 0;
	}
	if ((error = pthread_sigmask(how, set, old)) != 0) {
		errno = error;
		return -1;
	}
	return 0;
}

/*
 * A glibc mutex starts with its lock word, non-zero from the moment it is
 * taken until it is given back.
 */
int
sampler_loader_busy(const struct sampler *s)
{
	unsigned int	i;

	for (i = 0; i < s->nloader_locks && i < SAMPLER_LOADER_LOCKS; i++) {
		if (s->loader_lock[i][0] != 0)
			return 1;
	}
	return 0;
}

/* Unwind the interrupted native stack into sampler_native; the count. */
static __attribute__((noinline)) unsigned int
sampler_unwind(struct sampler *s, void *uc, unsigned int *flags)
{
	unsigned int	n = 0;

	if (uc == NULL || s->native_depth == 0)
		return 0;
	*flags |= STACK_NATIVE;
	/*
	 * libunwind calls dl_iterate_phdr() for a return address it has not
	 * seen, which takes the loader's lock: if this thread was stopped
	 * while taking or giving it back (in dlopen(), say), that waits for
	 * ever; if this thread holds it, another thread's handler may hold
	 * libunwind's cache lock and wait for it.  No native stack for this
	 * sample rather than a hang.
	 */
	if (sampler_loader_busy(s)) {
		*flags |= STACK_NATIVE_FAILED;
		atomic_fetch_add_explicit(&s->stats.native_loader, 1,
		    memory_order_relaxed);
		atomic_fetch_add_explicit(&s->stats.native_failed, 1,
		    memory_order_relaxed);
		return 0;
	}
#if defined(__x86_64__)
	sampler_unwinding = 1;
	atomic_signal_fence(memory_order_seq_cst);
	if (s->unwind == SAMPLER_UNWIND_STEP)
		n = sampler_unwind_step(s->native_depth, uc, flags);
	else
		n = sampler_unwind_trace(s->native_depth, uc, flags);
	atomic_signal_fence(memory_order_seq_cst);
	sampler_unwinding = 0;
#else
	*flags |= STACK_NATIVE_FAILED;
#endif
	if (*flags & STACK_NATIVE_TRUNCATED)
		atomic_fetch_add_explicit(&s->stats.native_truncated, 1,
		    memory_order_relaxed);
	if (*flags & STACK_NATIVE_FAILED)
		atomic_fetch_add_explicit(&s->stats.native_failed, 1,
		    memory_order_relaxed);
	return n;
}

/* The calling thread's CPU clock in ns (a system call, signal safe). */
static inline uint64_t
sampler_cpu(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Does the thread state ts hold the GIL?  The GIL is in _PyRuntime up to
 * 3.11 and the interpreter's (through a pointer) from 3.12; it is held by
 * ts when it is locked and ts took it last.  Sets SAMPLE_GIL_KNOWN when
 * the answer is known.
 */
GUARD_NO_ASAN static unsigned int
sampler_gil(const struct sampler_python *py, uintptr_t ts)
{
	const struct pylayout	*l = py->layout;
	uintptr_t		 gil, interp;

	if (!pystr_ptr_ok(ts))
		return SAMPLE_GIL_KNOWN;	/* no thread state, no GIL */
	if (l->runtime_gil >= 0)
		gil = py->runtime + (uintptr_t)l->runtime_gil;
	else if (l->interp_gil >= 0 && l->ts_interp >= 0) {
		interp = PEEK(uintptr_t, ts + l->ts_interp);
		if (!pystr_ptr_ok(interp))
			return 0;
		gil = PEEK(uintptr_t, interp + l->interp_gil);
		if (!pystr_ptr_ok(gil))
			return 0;
	} else
		return 0;
	if (PEEK(int, gil + l->gil_locked) != 0 &&
	    PEEK(uintptr_t, gil + l->gil_holder) == ts)
		return SAMPLE_GIL_KNOWN | SAMPLE_GIL;
	return SAMPLE_GIL_KNOWN;
}

/*
 * Wall mode: was the thread running?  Idle when its CPU clock advanced by
 * less than half the time the sample stands for since its previous sample
 * (span_ns, sampler_span()): it slept, waited for I/O, a lock or the GIL
 * (or for a CPU, on a loaded machine).  A waiting thread woken by the
 * signal runs a few microseconds (and the handler a few more) before it
 * waits again, so it stays idle; and the running samples of a thread add
 * up to its CPU time.  Woken (see sampler_slow_sample()), it is running.
 * The clock is read at the end of the sample, so the walk's own cost is
 * not counted as running next time: a system call, not the vDSO.  A
 * sample at the idle rate reads it once more at its start, to split its
 * time before the walk.
 */
static unsigned int
sampler_state(uint64_t span_ns, int woken)
{
	uint64_t	cpu = sampler_cpu(), ran = cpu - sampler_cpu_last;
	int		first = sampler_cpu_last == 0;

	sampler_cpu_last = cpu;
	if (!first && !woken && ran < span_ns / 2)
		return SAMPLE_STATE | SAMPLE_IDLE;
	return SAMPLE_STATE;
}

/*
 * The wall time a sample's state is judged over: the time it stands for,
 * or the time since the thread's previous sample if that is shorter (a
 * random step shorter than the period: a thread that ran throughout ran
 * less than the period).  Not the time since if longer: a thread that ran
 * for half a period or more ran at least as long as a thread running
 * throughout a shortest step.
 */
static uint64_t
sampler_span(uint64_t weight_ns, uint64_t now)
{
	if (sampler_last_ns != 0 && now > sampler_last_ns &&
	    now - sampler_last_ns < weight_ns)
		return now - sampler_last_ns;
	return weight_ns;
}

/* A duration or a CLOCK_MONOTONIC time in ns, as a timespec. */
static struct timespec
sampler_timespec(uint64_t ns)
{
	struct timespec	ts;

	ts.tv_sec = (time_t)(ns / 1000000000ULL);
	ts.tv_nsec = (long)(ns % 1000000000ULL);
	return ts;
}

/*
 * Sample the calling thread every period (slow: every idle_slowdown
 * periods, and arm the wake timer for one period of its CPU time; else
 * disarm it).  0, or -1 with nothing changed.
 */
static int
sampler_pace(const struct sampler *s, int slow)
{
	struct itimerspec	its, wake;
	uint64_t		ns = s->period_ns *
				    (slow ? s->idle_slowdown : 1);

	its.it_interval = sampler_timespec(ns);
	its.it_value = its.it_interval;
	memset(&wake, 0, sizeof wake);
	if (slow) {
		wake.it_interval = sampler_timespec(s->period_ns);
		wake.it_value = wake.it_interval;
	}
	if (timer_settime(sampler_wake_timer, 0, &wake, NULL) != 0)
		return -1;
	sampler_wall_due = 0;
	if (timer_settime(sampler_tick_timer, 0, &its, NULL) != 0) {
		if (slow) {
			memset(&wake, 0, sizeof wake);
			(void)timer_settime(sampler_wake_timer, 0, &wake,
			    NULL);
		}
		return -1;
	}
	sampler_slow = slow;
	return 0;
}

/*
 * A signal to a thread sampled at the idle rate.  If it has run since its
 * previous sample (the wake timer says one period of CPU time; a tick
 * finds half of one or more), the time since is split: what it ran,
 * which this sample stands for, and before that what it waited, at its
 * previous stack (a SAMPLE_REC_REPEAT record); and it is back at the full
 * rate (sampler_repace()).  Otherwise the sample stands for idle_slowdown
 * periods, and those of the expirations missed.  Less than half a period
 * is what any signal costs a waiting thread: in Python's time.sleep()
 * the interrupted wait takes the GIL to run signal handlers, for up to a
 * few hundred microseconds on a loaded machine.
 */
static void
sampler_slow_sample(struct sampler *s, struct sampler_walk *w,
    uint64_t now, int wake, int overrun)
{
	struct sample_repeat	*r;
	struct ring_slot	 slot;
	uint64_t		 since, ran;

	since = sampler_last_ns != 0 && now > sampler_last_ns ?
	    now - sampler_last_ns : s->period_ns;
	ran = sampler_cpu() - sampler_cpu_last;
	if (sampler_cpu_last == 0 || ran > since)
		ran = since;
	if (!wake && ran < s->period_ns / 2) {
		w->weight_ns = s->period_ns * s->idle_slowdown *
		    (uint64_t)(1 + (overrun > 0 ? overrun : 0));
		return;
	}
	w->woken = 1;
	w->weight_ns = ran != 0 ? ran : 1;
	if (since - ran < s->period_ns / 2) {
		w->weight_ns = since;	/* a wait too short to tell apart */
		return;
	}
	if ((r = ring_reserve(&s->ring, sizeof *r, SAMPLE_REC_REPEAT,
	    &slot)) == NULL)
		return;
	r->time_ns = now;
	r->weight_ns = since - ran;
	r->tid = sampler_tid;
	r->sample_flags = (uint16_t)(sampler_last_flags | SAMPLE_STATE |
	    SAMPLE_IDLE);
	r->unused = 0;
	ring_commit(&s->ring, &slot);
}

/*
 * After a sample in wall mode: to the idle rate after SAMPLER_IDLE_STREAK
 * idle samples in a row, back to the full rate when the thread runs.
 */
static void
sampler_repace(struct sampler *s, const struct sampler_walk *w,
    uint64_t now)
{
	int	idle = (w->sample_flags & SAMPLE_IDLE) != 0;

	sampler_last_ns = now;
	sampler_last_flags = w->sample_flags;
	if (!s->wall || s->idle_slowdown <= 1 || !sampler_timers_set ||
	    !sampler_has_wake)
		return;
	if (sampler_slow && (w->woken || !idle)) {
		if (sampler_pace(s, 0) == 0)
			atomic_fetch_add_explicit(&s->stats.idle_wakes, 1,
			    memory_order_relaxed);
		sampler_idle_run = 0;
	} else if (sampler_slow)
		atomic_fetch_add_explicit(&s->stats.idle_slow, 1,
		    memory_order_relaxed);
	else if (!idle)
		sampler_idle_run = 0;
	else if (++sampler_idle_run >= SAMPLER_IDLE_STREAK) {
		(void)sampler_pace(s, 1);
		sampler_idle_run = 0;
	}
}

/* Walk the calling thread's Python stack into the ring. */
GUARD_NO_ASAN static __attribute__((noinline)) void
sampler_walk(struct sampler *s, struct sampler_walk *w, uint64_t now,
    void *uc)
{
	const struct pylayout	*l = s->py.layout;
	struct sampler_top	 t;
	uintptr_t		 ts, top = 0;
	unsigned int		 depth = 0, nnative;
	int			 met;

	nnative = sampler_unwind(s, uc, &w->flags);
#if defined(__x86_64__)
	if (uc != NULL) {
		uintptr_t pc = (uintptr_t)((const ucontext_t *)uc)->
		    uc_mcontext.gregs[REG_RIP];

		w->in_eval = pc >= s->py.eval_start && pc < s->py.eval_end;
	}
#endif
	ts = sampler_tstate(&s->py);
	if (pystr_ptr_ok(ts)) {
		sampler_top(l, ts, &t);
		sampler_count_moved(s, t.frame);
		top = t.frame;
		depth = sampler_count(l, top, s->max_depth, t.outer, &met);
		if (t.broken || (t.check && !met && depth <= s->max_depth)) {
			/* Entering a frame from C (see sampler_top). */
			atomic_fetch_add_explicit(&s->stats.entering, 1,
			    memory_order_relaxed);
			if (!t.broken &&
			    sampler_cframes_ok(l, ts, t.prev, s->max_depth)) {
				top = t.outer;
				depth = sampler_count(l, top, s->max_depth, 0,
				    &met);
			} else {
				top = 0;
				depth = 0;
				w->flags |= STACK_ENTERING;
			}
		}
	} else {
		sampler_count_moved(s, 0);
		w->flags |= STACK_NOPY;
		atomic_fetch_add_explicit(&s->stats.no_python, 1,
		    memory_order_relaxed);
	}
	if (depth > s->max_depth) {
		depth = s->max_depth;
		w->flags |= STACK_TRUNCATED;
		atomic_fetch_add_explicit(&s->stats.truncated, 1,
		    memory_order_relaxed);
	}
	w->stack = ring_reserve(&s->ring, sizeof *w->stack +
	    nnative * sizeof w->stack->native[0] +
	    depth * sizeof *w->frames, SAMPLE_REC_STACK, &w->stack_slot);
	if (w->stack == NULL)
		return;
	w->stack->time_ns = now;
	w->stack->tid = sampler_tid;
	w->stack->nnative = (uint16_t)nnative;
	if (nnative != 0)
		memcpy(w->stack->native, sampler_native,
		    nnative * sizeof w->stack->native[0]);
	w->frames = sample_stack_frames(w->stack);
	w->epoch = atomic_load_explicit(&s->reg.epoch, memory_order_acquire);
	if (depth > 0)
		sampler_fill(s, w, top, depth,
		    (w->flags & STACK_TRUNCATED) ? 0 : depth);
	w->sample_flags |= sampler_gil(&s->py, ts);
	if (s->wall)
		w->sample_flags |= sampler_state(sampler_span(w->weight_ns,
		    now), w->woken);
}

/*
 * Take one sample of the calling thread now, standing for the timer's
 * period and the periods of the expirations missed before it; at the idle
 * rate, see sampler_slow_sample().
 */
static void
sampler_sample(struct sampler *s, uint64_t now, void *uc, int overrun,
    int wake)
{
	struct sampler_walk	w;
	sigjmp_buf		env;

	/* A wake timer's signal sent before the full rate was back. */
	if (wake && !sampler_slow)
		return;
	memset(&w, 0, sizeof w);
	if (sampler_tid == 0)
		sampler_tid = (uint32_t)syscall(SYS_gettid);
	if (sampler_slow)
		sampler_slow_sample(s, &w, now, wake, overrun);
	else
		w.weight_ns = s->period_ns *
		    (uint64_t)(1 + (overrun > 0 ? overrun : 0));
	atomic_fetch_add_explicit(&s->stats.samples, 1, memory_order_relaxed);
	if (sigsetjmp(env, 0) == 0) {
		guard_arm(&env);
		sampler_walk(s, &w, now, uc);
		guard_arm(NULL);
	} else {
		/* A fault: w is in memory (its address escaped), keep it. */
		sampler_unwinding = 0;
		w.flags |= STACK_FAULT;
		atomic_fetch_add_explicit(&s->stats.faults, 1,
		    memory_order_relaxed);
	}
	if (w.code != NULL) {
		w.code->id = 0;
		ring_commit(&s->ring, &w.code_slot);
	}
	if (overrun > 0)
		atomic_fetch_add_explicit(&s->stats.overruns,
		    (uint64_t)overrun, memory_order_relaxed);
	if (w.sample_flags & SAMPLE_IDLE)
		atomic_fetch_add_explicit(&s->stats.idle, 1,
		    memory_order_relaxed);
	if (w.sample_flags & SAMPLE_GIL)
		atomic_fetch_add_explicit(&s->stats.gil, 1,
		    memory_order_relaxed);
	if (w.stack != NULL) {
		w.stack->flags = (uint16_t)w.flags;
		w.stack->nframes = (uint16_t)w.n;
		w.stack->sample_flags = (uint16_t)w.sample_flags;
		w.stack->weight_ns = w.weight_ns;
		ring_commit(&s->ring, &w.stack_slot);
	}
	sampler_repace(s, &w, now);
}

/*
 * Does the calling thread have a Python thread state that holds the GIL?
 * Normal context too: it reads memory only, so it is safe before the
 * interpreter exists or after it is gone.
 */
int
sampler_holds_gil(const struct sampler_python *py)
{
	uintptr_t	ts = sampler_tstate(py);

	if (!pystr_ptr_ok(ts))
		return 0;
	return (sampler_gil(py, ts) & SAMPLE_GIL) != 0;
}

/* Note where the calling thread stands, in a child after fork(). */
void
sampler_mark_fork(struct sampler *s)
{
	struct sampler_top	t;
	sigjmp_buf		env;
	uintptr_t		ts;

	s->fork_frame = 0;
	s->fork_pos = 0;
	/* Normal context: a fault's jump restores the signal mask. */
	if (sigsetjmp(env, 1) == 0) {
		guard_arm(&env);
		ts = sampler_tstate(&s->py);
		if (pystr_ptr_ok(ts)) {
			sampler_top(s->py.layout, ts, &t);
			if (pystr_ptr_ok(t.frame)) {
				s->fork_frame = t.frame;
				s->fork_pos = sampler_position(s->py.layout,
				    t.frame);
			}
		}
		guard_arm(NULL);
		s->forked = 1;
	} else {
		/* Unreadable: every sample counts as moved. */
		s->forked = 0;
	}
}

/* Take one sample of the calling thread now. */
void
sampler_take(struct sampler *s, uint64_t now, void *uc)
{
	sampler_sample(s, now, uc, 0, 0);
}

/* Histogram bucket of a cost in ns. */
unsigned int
sampler_hist_bucket(uint64_t ns)
{
	unsigned int	e, b;

	if (ns < SAMPLER_HIST_LINEAR * SAMPLER_HIST_NS)
		return (unsigned int)(ns / SAMPLER_HIST_NS);
	e = 63 - (unsigned int)__builtin_clzll(ns);	/* 13 or more */
	b = SAMPLER_HIST_LINEAR + (e - 13) * SAMPLER_HIST_SUB +
	    (unsigned int)((ns >> (e - 3)) & 7);
	return b < SAMPLER_HIST ? b : SAMPLER_HIST - 1;
}

/* The upper bound of a bucket in ns. */
uint64_t
sampler_hist_value(unsigned int bucket)
{
	unsigned int	e, sub;

	if (bucket < SAMPLER_HIST_LINEAR)
		return (uint64_t)(bucket + 1) * SAMPLER_HIST_NS;
	e = 13 + (bucket - SAMPLER_HIST_LINEAR) / SAMPLER_HIST_SUB;
	sub = (bucket - SAMPLER_HIST_LINEAR) % SAMPLER_HIST_SUB;
	return (uint64_t)(SAMPLER_HIST_SUB + sub + 1) << (e - 3);
}

/*
 * A task clock's signal: the periods it stands for beyond one, from the
 * thread's CPU time since its previous signal.  The kernel sends one
 * signal per period of that time, but one sent while the previous is
 * still pending (blocked: the handler ran longer than a period, or the
 * program blocks SIGPROF) is lost.  The CPU clock, not the event's count:
 * the same time, and reading a descriptor that may have been closed and
 * reused (by a thread opening a file while this one's last signal was on
 * its way) could take the program's data.
 */
static int
sampler_perf_overrun(const struct sampler *s)
{
	uint64_t	cpu = sampler_cpu(), last = sampler_perf_last, periods;

	sampler_perf_last = cpu;
	if (cpu == 0 || last == 0 || cpu < last)
		return 0;
	periods = (cpu - last + s->period_ns / 2) / s->period_ns;
	if (periods <= 1)
		return 0;
	return periods - 1 < (uint64_t)INT_MAX ? (int)(periods - 1) : INT_MAX;
}

/*
 * The length of a task clock's or a wall-mode timer's next period:
 * uniform in [period / 2, 3 * period / 2), so a mean of one period.  A
 * sampler that fires at fixed steps of CPU time sees a loop whose
 * iterations take a multiple (or a simple fraction) of the period at the
 * same points every time, and Python loops are that regular: the bench's
 * acc_shares, whose four functions take 2.0 ms a round on 3.12, had errors
 * of 5 to 10 points in one run out of three.  In wall-clock time, so does
 * a loop paced by the clock.  Random steps sample every phase alike
 * (xorshift64*, seeded from the thread id and the clock).
 */
uint64_t
sampler_jitter(uint64_t period_ns, uint64_t seed)
{
	uint64_t	x = sampler_rand;

	if (x == 0)
		x = (seed * 0x9e3779b97f4a7c15ULL) | 1;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	sampler_rand = x;
	return period_ns / 2 + ((x * 0x2545f4914f6cdd1dULL) >> 11) % period_ns;
}

/*
 * Wall mode at the full rate: every SAMPLER_WALL_EVERY ticks, the calling
 * thread's next tick a random step (sampler_jitter()) after the one being
 * handled was due, then every period.  Re-arming a timer costs a few
 * microseconds here (a virtual machine's timer); shifting the phase every
 * few ticks samples every phase of a program in step with the rate alike
 * just the same.  The steps average one period however late the signals
 * come: the tick handled was due when the timer was armed for it, or a
 * period after the one before, and overrun periods before its last
 * expiry; from now if unknown (the first tick, back from the idle rate)
 * or far behind.  Only for a thread whose timer was given
 * (sampler_thread_timers()); an error leaves the timer as it was.
 */
static void
sampler_wall_step(const struct sampler *s, uint64_t now, int overrun)
{
	struct itimerspec	its;
	uint64_t		due = sampler_wall_due, next;

	sampler_wall_due = 0;
	if (!sampler_timers_set || sampler_slow)
		return;
	if (due != 0 && overrun > 0)
		due += s->period_ns * (uint64_t)overrun;
	if (due == 0 || due > now || now - due > 2 * s->period_ns) {
		due = now;
		sampler_wall_left = 0;
	}
	if (sampler_wall_left > 0) {
		sampler_wall_left--;
		sampler_wall_due = due + s->period_ns;
		return;
	}
	next = due + sampler_jitter(s->period_ns, now ^ sampler_tid);
	its.it_interval = sampler_timespec(s->period_ns);
	its.it_value = sampler_timespec(next);
	if (timer_settime(sampler_tick_timer, TIMER_ABSTIME, &its, NULL) == 0) {
		sampler_wall_due = next;
		sampler_wall_left = SAMPLER_WALL_EVERY - 1;
	}
}

/* The SIGPROF handler. */
void
sampler_signal(int sig, siginfo_t *si, void *uc)
{
	struct sampler	*s;
	int		 saved = errno, timer, wake, overrun = 0;
	uint64_t	 t0, cost, max, next;

	/* Sequentially consistent, as sampler_fork_close() is. */
	atomic_fetch_add(&sampler_inside, 1);
	s = atomic_load_explicit(&sampler_active, memory_order_acquire);
	if (s == NULL)
		goto out;
	if (atomic_load(&sampler_forking)) {
		atomic_fetch_add_explicit(&s->stats.forking, 1,
		    memory_order_relaxed);
		goto out;
	}
	if (sampler_busy) {
		atomic_fetch_add_explicit(&s->stats.reentered, 1,
		    memory_order_relaxed);
		goto out;
	}
	sampler_busy = 1;
	t0 = sampler_now();
	/*
	 * A sampling timer's signal counts the expirations it stands for, a
	 * task clock's (sigchain_is_fd()) its periods; the wake timer's says
	 * the thread runs again.  The task clock's periods are counted
	 * outside the sampling window too, so the first sample in it stands
	 * for one.
	 */
	timer = si != NULL && si->si_code == SI_TIMER;
	wake = timer &&
	    si->si_value.sival_ptr == &sigchain_cookie[SIGCHAIN_WAKE];
	if (timer && !wake) {
		overrun = si->si_overrun;
		if (s->wall)
			sampler_wall_step(s, t0, overrun);
	} else if (si != NULL && si->si_code == POLL_IN) {
		overrun = sampler_perf_overrun(s);
		next = sampler_jitter(s->period_ns, t0 ^ sampler_tid);
		/* Counted from now; an error leaves the period as it was. */
		(void)ioctl(si->si_fd, PERF_EVENT_IOC_PERIOD, &next);
	}
	if (t0 < s->from_ns || (s->until_ns != 0 && t0 >= s->until_ns) ||
	    atomic_load_explicit(&s->paused, memory_order_relaxed)) {
		atomic_fetch_add_explicit(&s->stats.paused, 1,
		    memory_order_relaxed);
		sampler_busy = 0;
		goto out;
	}
	sampler_sample(s, t0, uc, overrun, wake);
	cost = sampler_now() - t0;
	atomic_fetch_add_explicit(&s->stats.cost_sum, cost,
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&s->stats.cost_hist[sampler_hist_bucket(cost)],
	    1, memory_order_relaxed);
	max = atomic_load_explicit(&s->stats.cost_max, memory_order_relaxed);
	while (cost > max && !atomic_compare_exchange_weak_explicit(
	    &s->stats.cost_max, &max, cost, memory_order_relaxed,
	    memory_order_relaxed))
		;
	sampler_busy = 0;
out:
	atomic_fetch_sub(&sampler_inside, 1);
	errno = saved;
}

/*
 * The fork() gate.  A thread that forks while another is inside the
 * handler gives its child a copy of whatever locks that handler holds
 * (libunwind's, the loader's), held by a thread the child does not have:
 * the child's first sample would wait for them forever.  So the
 * pthread_atfork() prepare handler closes the gate, waits until no handler
 * is inside, and the parent and child handlers open it again.
 */
unsigned int
sampler_fork_close(void)
{
	atomic_store(&sampler_forking, 1);
	return sampler_fork_inside();
}

/* How many handlers are still inside, besides the calling thread's. */
unsigned int
sampler_fork_inside(void)
{
	int	n = atomic_load(&sampler_inside) - (sampler_busy ? 1 : 0);

	return n > 0 ? (unsigned int)n : 0;
}

/* Open the gate; in the child of fork(), only the calling thread is left. */
void
sampler_fork_open(int child)
{
	if (child)
		atomic_store(&sampler_inside, sampler_busy ? 1 : 0);
	atomic_store(&sampler_forking, 0);
}

/* The pause/resume signal: flip the sampler's pause flag. */
void
sampler_toggle(int sig, siginfo_t *si, void *uc)
{
	struct sampler	*s;

	(void)sig;
	(void)si;
	(void)uc;
	s = atomic_load_explicit(&sampler_active, memory_order_acquire);
	if (s == NULL)
		return;
	atomic_fetch_xor_explicit(&s->paused, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->stats.toggles, 1, memory_order_relaxed);
}
