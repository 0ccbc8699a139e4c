/*
 * Unit tests for the sampler (src/sample.c) on fake interpreter memory laid
 * out with each version's table: thread state, frames, code objects and
 * strings, built here the way CPython 3.8 to 3.13 lay them out.
 */

#include "config.h"

#include <check.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "format.h"
#include "guard.h"
#include "loader.h"
#include "pylayout.h"
#include "sample.h"
#include "sigchain.h"
#include "fakepy.h"

static const int minors[] = { 8, 9, 10, 11, 12, 13 };
#define NMINORS	(int)(sizeof minors / sizeof minors[0])

/* Stand-ins for the type objects: only their addresses matter. */
static char	type_code, type_frame, type_unicode, type_bytes;

static struct sampler		 s;
static const struct pylayout	*l;
static uint8_t			*runtime;
static pthread_key_t		 key;
static uint8_t			*tstate;
static uint8_t			*cframe;

/* Store a pointer into a fake object. */
static void
put_ptr(uint8_t *obj, int off, const void *v)
{
	memcpy(obj + off, &v, sizeof v);
}

/* A str of the fake unicode type. */
static uintptr_t
make_str(const char *utf8)
{
	return fakepy_str(l, &type_unicode, utf8);
}

/* A code object named name (qualname qual on 3.11+) in file. */
static uint8_t *
make_code(const char *name, const char *qual, const char *file, int first)
{
	uint8_t	*code = fakepy_alloc(1024), *tab;
	long	 units = 100, tlen = 4;

	put_ptr(code, l->ob_type, &type_code);
	put_ptr(code, l->code_name, (void *)make_str(name));
	if (l->code_qualname >= 0)
		put_ptr(code, l->code_qualname, (void *)make_str(qual));
	put_ptr(code, l->code_filename, (void *)make_str(file));
	memcpy(code + l->code_firstlineno, &first, sizeof first);
	tab = fakepy_alloc(64);
	put_ptr(tab, l->ob_type, &type_bytes);
	memcpy(tab + l->var_size, &tlen, sizeof tlen);
	memcpy(tab + l->bytes_data, "\x01\x02\x03\x04", 4);
	put_ptr(code, l->code_linetable, tab);
	if (l->code_code >= 0)
		memcpy(code + l->var_size, &units, sizeof units);
	return code;
}

/* Move frame f of code to byte offset addr. */
static void
move_frame(uint8_t *f, uint8_t *code, int addr)
{
	if (l->frames == PYFRAMES_OBJECT) {
		int lasti = addr / l->lasti_scale;

		memcpy(f + l->frame_lasti, &lasti, sizeof lasti);
	} else
		put_ptr(f, l->frame_instr, code + l->code_code + addr);
}

/* A frame running code at byte offset addr, linked to back. */
static uint8_t *
make_frame(uint8_t *code, int addr, uint8_t *back)
{
	uint8_t	*f = fakepy_alloc(256);

	put_ptr(f, l->frame_back, back);
	put_ptr(f, l->frame_code, code);
	if (l->frames == PYFRAMES_OBJECT)
		put_ptr(f, l->ob_type, &type_frame);
	move_frame(f, code, addr);
	return f;
}

/* A C-stack shim frame (3.12+). */
static uint8_t *
make_shim(uint8_t *back)
{
	uint8_t	*f = fakepy_alloc(256);

	put_ptr(f, l->frame_back, back);
	f[l->frame_owner] = (uint8_t)l->owner_cstack;
	return f;
}

/* Make f the current thread's innermost frame. */
static void
set_top(uint8_t *f)
{
	if (l->ts_cframe >= 0)
		put_ptr(cframe, l->cframe_frame, f);
	else
		put_ptr(tstate, l->ts_frame, f);
}

static void
setup_version(int minor)
{
	int	one = 1;

	l = pylayout_find(3, minor);
	ck_assert_ptr_nonnull(l);
	memset(&s, 0, sizeof s);
	s.py.layout = l;
	s.py.code_type = (uintptr_t)&type_code;
	s.py.frame_type = (uintptr_t)&type_frame;
	s.py.unicode_type = (uintptr_t)&type_unicode;
	s.py.bytes_type = (uintptr_t)&type_bytes;
	s.max_depth = 64;
	ck_assert_int_eq(ring_init(&s.ring, fakepy_alloc(1 << 20), 1 << 20), 0);
	ck_assert_int_eq(codereg_init(&s.reg,
	    fakepy_alloc(1024 * sizeof(struct codereg_slot)), 1024), 0);
	runtime = fakepy_alloc((size_t)l->runtime_tss + 16);
	ck_assert_int_eq(pthread_key_create(&key, NULL), 0);
	memcpy(runtime + l->runtime_tss, &one, sizeof one);
	memcpy(runtime + l->runtime_tss + sizeof(int), &key, sizeof key);
	s.py.runtime = (uintptr_t)runtime;
	tstate = fakepy_alloc(512);
	cframe = fakepy_alloc(64);
	if (l->ts_cframe >= 0) {
		/* One call into the interpreter from the thread's root. */
		put_ptr(tstate, l->ts_cframe, cframe);
		put_ptr(cframe, l->cframe_previous, tstate + l->ts_root_cframe);
	}
	pthread_setspecific(key, tstate);
}

/* Free a test's fake interpreter. */
static void
teardown_version(void)
{
	if (l != NULL)
		pthread_key_delete(key);
	l = NULL;
	fakepy_free_all();
}

/* What one sample produced. */
struct got {
	unsigned int		ncodes;
	char			names[16][64];
	uint32_t		ids[16];
	int32_t			firsts[16];
	unsigned int		flags;
	unsigned int		nframes;
	struct writer_frame	frames[128];
	int			have_stack;
};

/* Sample, interrupted with the context uc, and read back what went into
 * the ring. */
static void
take_at(struct got *g, void *uc)
{
	const void	*p;
	unsigned int	 type;
	size_t		 len;

	memset(g, 0, sizeof *g);
	sampler_take(&s, 1000, uc);
	while ((p = ring_peek(&s.ring, &type, &len)) != NULL) {
		if (type == SAMPLE_REC_CODE) {
			const struct sample_code *c = p;

			ck_assert_uint_lt(g->ncodes, 16);
			ck_assert_uint_lt(c->name_len, 63);
			memcpy(g->names[g->ncodes], c->data, c->name_len);
			g->ids[g->ncodes] = c->id;
			g->firsts[g->ncodes] = c->firstlineno;
			ck_assert_uint_eq(c->table_len, 4);
			ck_assert_uint_eq(c->table_kind, (unsigned)l->table_kind);
			g->ncodes++;
		} else {
			const struct sample_stack *st = p;

			ck_assert_int_eq(g->have_stack, 0);
			g->have_stack = 1;
			g->flags = st->flags;
			g->nframes = st->nframes;
			ck_assert_uint_le(st->nframes, 128);
			ck_assert_uint_eq(st->nnative, 0);
			memcpy(g->frames, sample_stack_frames(st),
			    st->nframes * sizeof g->frames[0]);
			ck_assert_uint_eq(st->time_ns, 1000);
		}
		ring_release(&s.ring);
	}
	ck_assert_int_eq(g->have_stack, 1);
}

/* Sample and read back what went into the ring. */
static void
take(struct got *g)
{
	take_at(g, NULL);
}

/* The name defined for an id in g, or NULL. */
static const char *
name_of(const struct got *g, uint32_t ref)
{
	unsigned int	i;

	for (i = 0; i < g->ncodes; i++)
		if (g->ids[i] == ref >> 1)
			return g->names[i];
	return NULL;
}

START_TEST(test_basic_stack)
{
	uint8_t		*cm, *cf, *cg, *fm, *ff, *fg, *top;
	struct got	 g;
	const char	*want_g;

	setup_version(minors[_i]);
	cm = make_code("<module>", "<module>", "app.py", 1);
	cf = make_code("run", "Job.run", "app.py", 10);
	cg = make_code("inner", "Job.run.<locals>.inner", "関数.py", 20);
	fm = make_frame(cm, 40, NULL);
	if (l->owner_cstack >= 0)
		fm = make_frame(cm, 40, make_shim(NULL));
	ff = make_frame(cf, 12, fm);
	top = ff;
	if (l->owner_cstack >= 0)
		top = make_shim(ff);	/* g called from C, e.g. sorted() */
	fg = make_frame(cg, 6, top);
	if (l->frame_is_entry >= 0) {
		fm[l->frame_is_entry] = 1;
		fg[l->frame_is_entry] = 1;
	}
	set_top(fg);
	take(&g);
	ck_assert_uint_eq(g.flags, 0);
	ck_assert_uint_eq(g.nframes, 3);
	ck_assert_uint_eq(g.ncodes, 3);
	want_g = l->code_qualname >= 0 ? "Job.run.<locals>.inner" : "inner";
	ck_assert_str_eq(name_of(&g, g.frames[0].ref), want_g);
	ck_assert_str_eq(name_of(&g, g.frames[1].ref),
	    l->code_qualname >= 0 ? "Job.run" : "run");
	ck_assert_str_eq(name_of(&g, g.frames[2].ref), "<module>");
	ck_assert_int_eq(g.frames[0].addr, 6);
	ck_assert_int_eq(g.frames[1].addr, 12);
	ck_assert_int_eq(g.frames[2].addr, 40);
	/* Entry frames: g and <module> were entered from C, run was not. */
	ck_assert_uint_eq(g.frames[0].ref & 1, 1);
	ck_assert_uint_eq(g.frames[1].ref & 1,
	    l->frames == PYFRAMES_OBJECT ? 1u : 0u);
	ck_assert_uint_eq(g.frames[2].ref & 1, 1);

	/* A second sample defines nothing new and reuses the ids. */
	{
		struct got g2;

		take(&g2);
		ck_assert_uint_eq(g2.ncodes, 0);
		ck_assert_mem_eq(g2.frames, g.frames, 3 * sizeof g.frames[0]);
	}
	ck_assert_uint_eq(atomic_load(&s.stats.samples), 2);
	ck_assert_uint_eq(atomic_load(&s.stats.codes), 3);
}
END_TEST

/*
 * stats.moved counts every sample, and in a forked child only those whose
 * innermost frame or its position is not where the thread stood at fork().
 */
START_TEST(test_moved_since_fork)
{
	uint8_t		*cm, *cf, *cg, *fm, *ff, *fg;
	struct got	 g;

	setup_version(minors[_i]);
	cm = make_code("<module>", "<module>", "app.py", 1);
	cf = make_code("spawn", "spawn", "app.py", 10);
	cg = make_code("work", "work", "app.py", 20);
	fm = make_frame(cm, 40, NULL);
	ff = make_frame(cf, 12, fm);
	set_top(ff);
	take(&g);
	ck_assert_uint_eq(atomic_load(&s.stats.moved), 1);
	/* fork() called from spawn at offset 12: the child's C code. */
	sampler_mark_fork(&s);
	take(&g);
	take(&g);
	ck_assert_uint_eq(atomic_load(&s.stats.moved), 1);
	/* Back in spawn, one instruction on. */
	move_frame(ff, cf, 14);
	take(&g);
	ck_assert_uint_eq(atomic_load(&s.stats.moved), 2);
	/* spawn calls work. */
	move_frame(ff, cf, 12);
	fg = make_frame(cg, 2, ff);
	set_top(fg);
	take(&g);
	ck_assert_uint_eq(atomic_load(&s.stats.moved), 3);
	/* No Python stack at all is not where it forked either. */
	pthread_setspecific(key, NULL);
	take(&g);
	ck_assert_uint_eq(atomic_load(&s.stats.moved), 4);
	/* A thread with no Python stack forked: only Python counts. */
	sampler_mark_fork(&s);
	take(&g);
	ck_assert_uint_eq(atomic_load(&s.stats.moved), 4);
	pthread_setspecific(key, tstate);
	set_top(ff);
	take(&g);
	ck_assert_uint_eq(atomic_load(&s.stats.moved), 5);
	ck_assert_uint_eq(atomic_load(&s.stats.samples), 8);
}
END_TEST

START_TEST(test_no_python)
{
	struct got	g;
	int		zero = 0;

	setup_version(minors[_i]);
	pthread_setspecific(key, NULL);
	take(&g);
	ck_assert_uint_eq(g.flags, STACK_NOPY);
	ck_assert_uint_eq(g.nframes, 0);
	/* Before the interpreter has created its key. */
	pthread_setspecific(key, tstate);
	memcpy(runtime + l->runtime_tss, &zero, sizeof zero);
	take(&g);
	ck_assert_uint_eq(g.flags, STACK_NOPY);
	ck_assert_uint_eq(atomic_load(&s.stats.no_python), 2);
	/* A thread state with no frame yet: empty, not "no Python". */
	memcpy(runtime + l->runtime_tss, &(int){ 1 }, sizeof(int));
	take(&g);
	ck_assert_uint_eq(g.flags, 0);
	ck_assert_uint_eq(g.nframes, 0);
}
END_TEST

START_TEST(test_truncated_keeps_innermost)
{
	uint8_t		*c[50], *f = NULL;
	struct got	 g;
	char		 name[16];
	int		 i;

	setup_version(minors[_i]);
	s.max_depth = 10;
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof name, "f%d", i);
		c[i] = make_code(name, name, "deep.py", i + 1);
		f = make_frame(c[i], 2 * i, f);
	}
	set_top(f);
	take(&g);
	ck_assert_uint_eq(g.flags, STACK_TRUNCATED);
	ck_assert_uint_eq(g.nframes, 10);
	ck_assert_str_eq(name_of(&g, g.frames[0].ref), "f49");
	ck_assert_str_eq(name_of(&g, g.frames[9].ref), "f40");
	ck_assert_uint_eq(atomic_load(&s.stats.truncated), 1);
}
END_TEST

START_TEST(test_invalid_frame_cut)
{
	uint8_t		*ca, *cb, *fa, *fb, *bad;
	struct got	 g;

	setup_version(minors[_i]);
	ca = make_code("a", "a", "x.py", 1);
	cb = make_code("b", "b", "x.py", 5);
	/* A frame whose code pointer points at something not a code. */
	bad = make_frame(ca, 0, NULL);
	put_ptr(bad, l->frame_code, (void *)make_str("not code"));
	fa = make_frame(ca, 2, bad);
	fb = make_frame(cb, 4, fa);
	set_top(fb);
	take(&g);
	ck_assert_uint_eq(g.flags, STACK_INVALID);
	ck_assert_uint_eq(g.nframes, 2);
	ck_assert_str_eq(name_of(&g, g.frames[1].ref), "a");
	ck_assert_uint_eq(atomic_load(&s.stats.invalid), 1);
}
END_TEST

/*
 * 3.11 and 3.12: C calling into Python, with the caller's frame fc current
 * in the outer _PyCFrame, as _PyEval_EvalFrameDefault() leaves it when it
 * has set up the inner one: the new frame linked to fc (through an entry
 * frame in 3.12).  Returns the inner _PyCFrame, the thread's.
 */
static uint8_t *
enter_from_c(uint8_t *fc, uint8_t *fnew)
{
	uint8_t	*inner = fakepy_alloc(64);

	set_top(fc);
	put_ptr(tstate, l->ts_cframe, inner);
	put_ptr(inner, l->cframe_previous, cframe);
	put_ptr(inner, l->cframe_frame, fnew);
	return inner;
}

/* Set up minor if it reads frames through a _PyCFrame (3.11, 3.12): the
 * caller's frame, a <module>; else NULL. */
static uint8_t *
setup_entering(int minor)
{
	setup_version(minor);
	if (l->ts_cframe < 0)
		return NULL;
	return make_frame(make_code("<module>", "<module>", "app.py", 1), 40,
	    NULL);
}

/* Once the new frame is linked, the whole stack. */
START_TEST(test_entered_from_c)
{
	uint8_t		*cb, *fm, *fb;
	struct got	 g;

	if ((fm = setup_entering(minors[_i])) == NULL)
		return;
	cb = make_code("callback", "callback", "app.py", 10);
	fb = make_frame(cb, 2, l->owner_cstack >= 0 ? make_shim(fm) : fm);
	enter_from_c(fm, fb);
	take(&g);
	ck_assert_uint_eq(g.flags, 0);
	ck_assert_uint_eq(g.nframes, 2);
	ck_assert_str_eq(name_of(&g, g.frames[0].ref), "callback");
	ck_assert_str_eq(name_of(&g, g.frames[1].ref), "<module>");

	/*
	 * A greenlet's base _PyCFrame: not the root, no current frame; the
	 * chain of a call made from it just ends.
	 */
	{
		uint8_t		*base = fakepy_alloc(64), *inner;
		uint32_t	 ref = g.frames[0].ref;

		put_ptr(base, l->cframe_previous,
		    tstate + l->ts_root_cframe);
		inner = enter_from_c(NULL, fb);
		put_ptr(inner, l->cframe_previous, base);
		fb = make_frame(cb, 2, l->owner_cstack >= 0 ?
		    make_shim(NULL) : NULL);
		put_ptr(inner, l->cframe_frame, fb);
		take(&g);
		ck_assert_uint_eq(g.flags, 0);
		ck_assert_uint_eq(g.nframes, 1);
		ck_assert_uint_eq(g.frames[0].ref >> 1, ref >> 1);
	}
	ck_assert_uint_eq(atomic_load(&s.stats.entering), 0);
}
END_TEST

/*
 * Inside the window of sampler_top: the thread's _PyCFrame is the new one
 * but its current_frame is stale, a frame of an earlier call that does not
 * lead to the caller's.  The sample is the caller's stack.
 */
START_TEST(test_entering_stale_frame)
{
	uint8_t		*cs, *fm, *stale;
	struct got	 g;

	if ((fm = setup_entering(minors[_i])) == NULL)
		return;
	cs = make_code("stale", "stale", "old.py", 1);
	stale = make_frame(cs, 0, make_frame(cs, 0, NULL));
	enter_from_c(fm, stale);
	take(&g);
	ck_assert_uint_eq(g.flags, 0);
	ck_assert_uint_eq(g.nframes, 1);
	ck_assert_str_eq(name_of(&g, g.frames[0].ref), "<module>");
	ck_assert_uint_eq(atomic_load(&s.stats.entering), 1);
	ck_assert_uint_eq(atomic_load(&s.stats.invalid), 0);
}
END_TEST

/*
 * The window before the new _PyCFrame's previous is set: neither stack is
 * known.  The sample says so rather than show a stale one.
 */
START_TEST(test_entering_unknown)
{
	uint8_t		*cs, *fm, *stale, *inner, *junk;
	struct got	 g;

	if ((fm = setup_entering(minors[_i])) == NULL)
		return;
	cs = make_code("stale", "stale", "old.py", 1);
	stale = make_frame(cs, 0, NULL);
	inner = enter_from_c(fm, stale);
	/* previous: a stale _PyCFrame that leads nowhere. */
	junk = fakepy_alloc(64);
	put_ptr(junk, l->cframe_frame, make_frame(cs, 0, NULL));
	put_ptr(inner, l->cframe_previous, junk);
	take(&g);
	ck_assert_uint_eq(g.flags, STACK_ENTERING);
	ck_assert_uint_eq(g.nframes, 0);
	/* Or not a pointer at all. */
	put_ptr(inner, l->cframe_previous, (void *)(uintptr_t)2);
	take(&g);
	ck_assert_uint_eq(g.flags, STACK_ENTERING);
	ck_assert_uint_eq(g.nframes, 0);
	ck_assert_uint_eq(atomic_load(&s.stats.entering), 2);
	ck_assert_uint_eq(atomic_load(&s.stats.invalid), 0);
}
END_TEST

/*
 * Stale contents that look consistent (an earlier call's _PyCFrame, whose
 * frame's memory now holds something else): an innermost frame that is
 * not valid, with the thread interrupted in _PyEval_EvalFrameDefault(),
 * is the window; anywhere else it stays an invalid frame.
 */
START_TEST(test_entering_invalid_top)
{
	uint8_t		*fm, *reused;
	ucontext_t	 uc;
	struct got	 g;
	static char	 eval[64];

	if ((fm = setup_entering(minors[_i])) == NULL)
		return;
	reused = make_frame(make_code("f", "f", "app.py", 1), 0,
	    l->owner_cstack >= 0 ? make_shim(fm) : fm);
	put_ptr(reused, l->frame_code, (void *)(uintptr_t)1);
	enter_from_c(fm, reused);
	s.py.eval_start = (uintptr_t)eval;
	s.py.eval_end = (uintptr_t)eval + sizeof eval;
	memset(&uc, 0, sizeof uc);
#if defined(__x86_64__)
	uc.uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)(eval + 8);
	take_at(&g, &uc);
	ck_assert_uint_eq(g.flags, STACK_ENTERING);
	ck_assert_uint_eq(g.nframes, 0);
	ck_assert_uint_eq(atomic_load(&s.stats.entering), 1);
	uc.uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)(eval +
	    sizeof eval);
#endif
	take_at(&g, &uc);
	ck_assert_uint_eq(g.flags, STACK_INVALID);
	ck_assert_uint_eq(atomic_load(&s.stats.invalid), 1);
}
END_TEST

START_TEST(test_fault_is_caught)
{
	uint8_t		*ca, *fa, *hole;
	struct got	 g;

	setup_version(minors[_i]);
	ck_assert_int_eq(guard_install(), 0);
	hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(hole, MAP_FAILED);
	ca = make_code("a", "a", "x.py", 1);
	/* The code object of the second frame lies in unreadable memory. */
	fa = make_frame(ca, 2, make_frame(hole, 0, NULL));
	set_top(fa);
	take(&g);
	ck_assert_uint_eq(g.flags & STACK_FAULT, STACK_FAULT);
	ck_assert_uint_eq(g.nframes, 1);
	ck_assert_uint_eq(atomic_load(&s.stats.faults), 1);
	/* Sampling goes on normally afterwards. */
	set_top(make_frame(ca, 4, NULL));
	take(&g);
	ck_assert_uint_eq(g.flags, 0);
	ck_assert_uint_eq(g.nframes, 1);
}
END_TEST

START_TEST(test_reused_address_new_identity)
{
	uint8_t		*code;
	struct got	 g1, g2, g3;
	uint32_t	 id1;

	setup_version(minors[_i]);
	code = make_code("gen_1", "gen_1", "<generated>", 1);
	set_top(make_frame(code, 0, NULL));
	take(&g1);
	ck_assert_uint_eq(g1.ncodes, 1);
	id1 = g1.frames[0].ref >> 1;
	/*
	 * The function is freed (the preload's tp_dealloc wrapper forgets
	 * it) and a new one is created at the same address, with new name
	 * objects that may also reuse the old ones' addresses.
	 */
	codereg_forget(&s.reg, (uintptr_t)code);
	put_ptr(code, l->code_name, (void *)make_str("gen_2"));
	if (l->code_qualname >= 0)
		put_ptr(code, l->code_qualname, (void *)make_str("gen_2"));
	take(&g2);
	ck_assert_uint_eq(g2.ncodes, 1);
	ck_assert_str_eq(g2.names[0], "gen_2");
	ck_assert_uint_ne(g2.frames[0].ref >> 1, id1);
	/* Still alive: later samples reuse the new id, define nothing. */
	take(&g3);
	ck_assert_uint_eq(g3.ncodes, 0);
	ck_assert_uint_eq(g3.frames[0].ref, g2.frames[0].ref);
}
END_TEST

START_TEST(test_memo_follows_stack_changes)
{
	uint8_t		*ca, *cb, *cc, *root;
	struct got	 g;

	setup_version(minors[_i]);
	ca = make_code("a", "a", "m.py", 1);
	cb = make_code("b", "b", "m.py", 2);
	cc = make_code("c", "c", "m.py", 3);
	root = make_frame(ca, 0, NULL);
	set_top(make_frame(cb, 2, root));
	take(&g);
	ck_assert_str_eq(name_of(&g, g.frames[0].ref), "b");
	/* Same depth, another function: the memo must not answer "b". */
	set_top(make_frame(cc, 4, root));
	take(&g);
	ck_assert_uint_eq(g.nframes, 2);
	ck_assert_str_eq(name_of(&g, g.frames[0].ref), "c");
	ck_assert_int_eq(g.frames[0].addr, 4);
	/* Back to b: known, no definition, right id. */
	set_top(make_frame(cb, 6, root));
	take(&g);
	ck_assert_uint_eq(g.ncodes, 0);
	ck_assert_int_eq(g.frames[0].addr, 6);
}
END_TEST

START_TEST(test_non_ascii_names)
{
	uint8_t		*code;
	struct got	 g;

	setup_version(minors[_i]);
	code = make_code("función_ñ", "función_ñ", "😀.py", 3);
	set_top(make_frame(code, 0, NULL));
	take(&g);
	ck_assert_str_eq(g.names[0], "función_ñ");
	ck_assert_int_eq(g.firsts[0], 3);
}
END_TEST

START_TEST(test_ring_full_drops)
{
	uint8_t		*code;
	unsigned int	 i;

	setup_version(minors[_i]);
	code = make_code("f", "f", "x.py", 1);
	set_top(make_frame(code, 0, NULL));
	for (i = 0; i < 100000; i++)
		sampler_take(&s, i, NULL);
	ck_assert_uint_gt(atomic_load(&s.ring.dropped), 0);
	ck_assert_uint_eq(atomic_load(&s.stats.samples), 100000);
}
END_TEST

START_TEST(test_histogram_buckets)
{
	uint64_t	ns, prev = 0;
	unsigned int	b;

	/* Every cost falls in a bucket whose bound is at least the cost and
	 * within 1/8 of it; bounds grow with the bucket. */
	for (ns = 0; ns < (1ULL << 36); ns = ns * 9 / 8 + 1) {
		b = sampler_hist_bucket(ns);
		ck_assert_uint_lt(b, SAMPLER_HIST);
		ck_assert_uint_ge(sampler_hist_value(b), ns);
		ck_assert_uint_le(sampler_hist_value(b), ns + ns / 8 + 32);
	}
	for (b = 0; b < SAMPLER_HIST; b++) {
		ck_assert_uint_gt(sampler_hist_value(b), prev);
		prev = sampler_hist_value(b);
		ck_assert_uint_eq(sampler_hist_bucket(prev - 1), b);
	}
}
END_TEST

/* Whether sig is blocked in the calling thread, asked of the kernel. */
static int
blocked(int sig)
{
	sigset_t	cur;

	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
	return sigismember(&cur, sig);
}

START_TEST(test_sigprocmask_outside_handler)
{
	sigset_t	set, old;

	/* The interposed sigprocmask() is the real one outside the handler. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ck_assert_int_eq(blocked(SIGUSR1), 0);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &set, &old), 0);
	ck_assert_int_eq(sigismember(&old, SIGUSR1), 0);
	ck_assert_int_eq(blocked(SIGUSR1), 1);
	ck_assert_int_eq(sigprocmask(SIG_SETMASK, NULL, &old), 0);
	ck_assert_int_eq(sigismember(&old, SIGUSR1), 1);
	ck_assert_int_eq(sigprocmask(SIG_UNBLOCK, &set, NULL), 0);
	ck_assert_int_eq(blocked(SIGUSR1), 0);
	errno = 0;
	ck_assert_int_eq(sigprocmask(12345, &set, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/*
 * A one-frame Python stack on 3.12 and the handler on SIGPROF, unwinding
 * native stacks the way given by loop index i; *prev gets the old action.
 */
static void
setup_native_signal(int i, struct sigaction *prev)
{
	struct sigaction	sa;

	setup_version(12);
	set_top(make_frame(make_code("a", "a", "x.py", 1), 2, NULL));
	s.unwind = i == 0 ? SAMPLER_UNWIND_TRACE : SAMPLER_UNWIND_STEP;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = sampler_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGPROF, &sa, prev), 0);
}

/*
 * Raise one SIGPROF through the handler and drain the ring: the header of
 * the one stack record it wrote (there must be exactly one).
 */
static struct sample_stack
sample_once(void)
{
	struct sample_stack	 out;
	const void		*p;
	unsigned int		 type;
	size_t			 len;
	int			 nstacks = 0;

	memset(&out, 0, sizeof out);
	sampler_set(&s);
	ck_assert_int_eq(raise(SIGPROF), 0);
	sampler_set(NULL);
	while ((p = ring_peek(&s.ring, &type, &len)) != NULL) {
		if (type != SAMPLE_REC_CODE) {
			memcpy(&out, p, sizeof out);
			nstacks++;
		}
		ring_release(&s.ring);
	}
	ck_assert_int_eq(nstacks, 1);
	return out;
}

/*
 * A real SIGPROF through the handler with native stacks on, both ways of
 * unwinding: the native stack is recorded, and afterwards the thread's
 * signal mask is what it was and sigprocmask() works again.
 */
START_TEST(test_native_signal_keeps_mask)
{
	struct sigaction	 prev;
	struct sample_stack	 st;
	sigset_t		 set;

	setup_native_signal(_i, &prev);
	s.native_depth = 64;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);

	st = sample_once();
	ck_assert_uint_eq(st.flags & STACK_NATIVE, STACK_NATIVE);
	ck_assert_uint_eq(st.flags & STACK_NATIVE_FAILED, 0);
	/* This test function and main, at least. */
	ck_assert_uint_ge(st.nnative, 2);
	ck_assert_uint_eq(st.nframes, 1);
	ck_assert_int_eq(blocked(SIGUSR1), 1);
	ck_assert_int_eq(blocked(SIGPROF), 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	ck_assert_int_eq(blocked(SIGUSR2), 1);
	sigaddset(&set, SIGUSR1);
	ck_assert_int_eq(sigprocmask(SIG_UNBLOCK, &set, NULL), 0);
	ck_assert_int_eq(blocked(SIGUSR1), 0);
	ck_assert_int_eq(blocked(SIGUSR2), 0);
	ck_assert_int_eq(sigaction(SIGPROF, &prev, NULL), 0);
}
END_TEST

/* A sampler watching the loader's locks, as the preload sets it up. */
static struct sampler	loader_s;
static sem_t		loader_in, loader_out;

static void
loader_setup(void)
{
	const int	*locks[SAMPLER_LOADER_LOCKS];
	int		 n, i;

	memset(&loader_s, 0, sizeof loader_s);
	n = loader_locks(locks, SAMPLER_LOADER_LOCKS);
	/* glibc: dl_iterate_phdr() takes one lock, dl_load_write_lock. */
	ck_assert_int_eq(n, 1);
	for (i = 0; i < n; i++)
		loader_s.loader_lock[i] = locks[i];
	loader_s.nloader_locks = (unsigned int)n;
}

/* Inside dl_iterate_phdr() the lock is ours, and busy all the same. */
static int
loader_inside(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)info;
	(void)size;
	*(int *)arg = sampler_loader_busy(&loader_s);
	return 1;
}

/* Another thread holds the lock until told to give it back. */
static int
loader_hold(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)info;
	(void)size;
	(void)arg;
	sem_post(&loader_in);
	while (sem_wait(&loader_out) != 0)
		;
	return 1;
}

static void *
loader_thread(void *arg)
{
	(void)arg;
	dl_iterate_phdr(loader_hold, NULL);
	return NULL;
}

/*
 * The handler does not unwind while the loader's lock is taken by another
 * thread, by the interrupted thread itself (another thread's handler may
 * hold libunwind's cache lock and wait for it: test_fork_gate has one),
 * or half taken or given back (locked, no owner: the state in which a
 * thread interrupted in dlopen() hung on itself); it does while the lock
 * is free.
 */
START_TEST(test_loader_busy)
{
	pthread_t	 t;
	int		 inside = -1, fake[5];

	loader_setup();
	ck_assert_int_eq(sampler_loader_busy(&loader_s), 0);
	dl_iterate_phdr(loader_inside, &inside);
	ck_assert_int_eq(inside, 1);
	ck_assert_int_eq(sampler_loader_busy(&loader_s), 0);

	ck_assert_int_eq(sem_init(&loader_in, 0, 0), 0);
	ck_assert_int_eq(sem_init(&loader_out, 0, 0), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, loader_thread, NULL), 0);
	while (sem_wait(&loader_in) != 0)
		;
	ck_assert_int_eq(sampler_loader_busy(&loader_s), 1);
	sem_post(&loader_out);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(sampler_loader_busy(&loader_s), 0);

	/* The states in between: lock word, count, owner. */
	memset(fake, 0, sizeof fake);
	loader_s.loader_lock[1] = fake;
	loader_s.nloader_locks = 2;
	ck_assert_int_eq(sampler_loader_busy(&loader_s), 0);
	fake[0] = 1;			/* locked, owner not set yet */
	ck_assert_int_eq(sampler_loader_busy(&loader_s), 1);
	fake[1] = 1;
	fake[2] = 7;			/* owned */
	ck_assert_int_eq(sampler_loader_busy(&loader_s), 1);
	fake[0] = 2;			/* owned, another thread waiting */
	ck_assert_int_eq(sampler_loader_busy(&loader_s), 1);
	fake[2] = 0;			/* owner cleared, not unlocked yet */
	ck_assert_int_eq(sampler_loader_busy(&loader_s), 1);
	fake[1] = 0;
	fake[0] = 0;
	ck_assert_int_eq(sampler_loader_busy(&loader_s), 0);
}
END_TEST

/* Thread B of test_fork_gate: one SIGPROF to itself. */
static atomic_int	gate_done;

static void *
gate_thread(void *arg)
{
	(void)arg;
	pthread_kill(pthread_self(), SIGPROF);
	atomic_store(&gate_done, 1);
	return NULL;
}

static uint64_t
gate_stat(_Atomic uint64_t *counter)
{
	return atomic_load(counter);
}

/* Wait up to 10 s for sampler_fork_inside() to say n. */
static int
gate_wait(unsigned int n)
{
	struct timespec	nap = { 0, 1000000 };
	int		i;

	for (i = 0; i < 10000; i++) {
		if (sampler_fork_inside() == n)
			return 1;
		nanosleep(&nap, NULL);
	}
	return 0;
}

/*
 * The fork() gate.  Thread B's handler is kept inside, unwinding, by the
 * loader's lock that thread H holds (libunwind's caches are cold in this
 * test's own process, so its first unwind needs dl_iterate_phdr(), which
 * takes that lock; B holds libunwind's cache lock meanwhile, the lock a
 * child of fork() used to inherit).  Closing the gate counts B; a signal
 * while it is closed takes no sample and does not unwind (this thread
 * would otherwise wait for H too), it counts "forking"; B leaves once H
 * gives the lock back; after the gate opens, signals sample again.
 */
START_TEST(test_fork_gate)
{
	struct sigaction	 sa, prev;
	struct timespec		 nap = { 0, 20000000 };
	pthread_t		 b, h;
	const char		*fork_env = getenv("CK_FORK");

	if (fork_env != NULL && strcmp(fork_env, "no") == 0) {
		/* Caches warmed by other tests: B need not wait for H. */
		fprintf(stderr, "test_fork_gate: needs CK_FORK, skipped\n");
		return;
	}
	setup_version(12);
	set_top(make_frame(make_code("a", "a", "x.py", 1), 2, NULL));
	s.native_depth = 64;
	s.unwind = SAMPLER_UNWIND_STEP;
	s.nloader_locks = 0;	/* B's handler waits for the loader's lock */
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = sampler_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGPROF, &sa, &prev), 0);
	ck_assert_uint_eq(sampler_fork_inside(), 0);

	ck_assert_int_eq(sem_init(&loader_in, 0, 0), 0);
	ck_assert_int_eq(sem_init(&loader_out, 0, 0), 0);
	ck_assert_int_eq(pthread_create(&h, NULL, loader_thread, NULL), 0);
	while (sem_wait(&loader_in) != 0)
		;
	sampler_set(&s);
	ck_assert_int_eq(pthread_create(&b, NULL, gate_thread, NULL), 0);
	ck_assert_msg(gate_wait(1), "B's handler never started");
	nanosleep(&nap, NULL);
	ck_assert_msg(!atomic_load(&gate_done), "B did not wait for H");
	ck_assert_uint_eq(sampler_fork_close(), 1);

	/* B's sample is counted as it starts. */
	ck_assert_uint_eq(gate_stat(&s.stats.samples), 1);
	ck_assert_int_eq(raise(SIGPROF), 0);
	ck_assert_uint_eq(gate_stat(&s.stats.forking), 1);
	ck_assert_uint_eq(gate_stat(&s.stats.samples), 1);
	ck_assert_uint_eq(sampler_fork_inside(), 1);

	sem_post(&loader_out);
	ck_assert_int_eq(pthread_join(h, NULL), 0);
	ck_assert_int_eq(pthread_join(b, NULL), 0);
	ck_assert_uint_eq(sampler_fork_inside(), 0);
	ck_assert_uint_eq(sampler_fork_close(), 0);	/* still closed */
	ck_assert_int_eq(raise(SIGPROF), 0);
	ck_assert_uint_eq(gate_stat(&s.stats.forking), 2);
	ck_assert_uint_eq(gate_stat(&s.stats.samples), 1);
	/* B's native stack was unwound. */
	ck_assert_uint_eq(gate_stat(&s.stats.native_failed), 0);

	sampler_fork_open(0);
	ck_assert_int_eq(raise(SIGPROF), 0);
	ck_assert_uint_eq(gate_stat(&s.stats.samples), 2);
	ck_assert_uint_eq(gate_stat(&s.stats.forking), 2);
	sampler_set(NULL);
	ck_assert_int_eq(sigaction(SIGPROF, &prev, NULL), 0);
}
END_TEST

/* Wall mode's idle rate: a wait of ms milliseconds, a burn of ms of CPU. */
static void
idle_wait(long ms)
{
	struct timespec	ts = { 0, ms * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
idle_burn(long ms)
{
	struct timespec	t0, t;
	volatile unsigned long x = 0;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do {
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i * (unsigned long)i;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L +
	    (t.tv_nsec - t0.tv_nsec) < ms * 1000000L);
}

/* CLOCK_MONOTONIC in ns. */
static long long
idle_mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The handler, as if a timer of ours had sent SIGPROF with cookie. */
static void
idle_signal(int cookie)
{
	siginfo_t	si;

	memset(&si, 0, sizeof si);
	si.si_code = SI_TIMER;
	si.si_value.sival_ptr = &sigchain_cookie[cookie];
	sampler_signal(SIGPROF, &si, NULL);
}

/* A timer's period in ns (0: disarmed). */
static long long
idle_period(timer_t t)
{
	struct itimerspec	its;

	ck_assert_int_eq(timer_gettime(t, &its), 0);
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		return 0;
	return its.it_interval.tv_sec * 1000000000LL + its.it_interval.tv_nsec;
}

/* The next ring record: its type; a stack or a repeat in *stack / *rep. */
static unsigned int
idle_next(struct sample_stack *stack, struct sample_repeat *rep)
{
	const void	*p;
	unsigned int	 type;
	size_t		 len;

	do {
		p = ring_peek(&s.ring, &type, &len);
		ck_assert_ptr_nonnull(p);
		if (type == SAMPLE_REC_STACK)
			memcpy(stack, p, sizeof *stack);
		else if (type == SAMPLE_REC_REPEAT)
			memcpy(rep, p, sizeof *rep);
		ring_release(&s.ring);
	} while (type == SAMPLE_REC_CODE);
	return type;
}

/*
 * A tick: the next record is a stack, standing for weight ns (0: any),
 * idle or not (0xffff: either).
 */
static void
idle_tick(uint64_t weight, unsigned int idle)
{
	struct sample_stack	st;
	struct sample_repeat	rep;

	idle_signal(SIGCHAIN_TICK);
	ck_assert_uint_eq(idle_next(&st, &rep), SAMPLE_REC_STACK);
	if (weight != 0)
		ck_assert_uint_eq(st.weight_ns, weight);
	if (idle != 0xffff)
		ck_assert_uint_eq(st.sample_flags & SAMPLE_IDLE, idle);
}

/* Nothing but function definitions left in the ring? */
static int
idle_none(void)
{
	unsigned int	type;
	size_t		len;

	while (ring_peek(&s.ring, &type, &len) != NULL) {
		ring_release(&s.ring);
		if (type != SAMPLE_REC_CODE)
			return 0;
	}
	return 1;
}

/*
 * A thread waiting in wall mode: after SAMPLER_IDLE_STREAK idle samples its
 * timer's period is stretched by idle_slowdown and each sample stands for
 * that much more; the wake timer, armed for one period of its CPU time,
 * brings it back to the full rate with the time since its previous sample
 * split between waiting (a repeat of that stack) and running (this one).
 * The timers never fire here (SIGEV_NONE): the test sends the signals.
 */
START_TEST(test_idle_rate)
{
	struct sigevent		sev;
	struct sample_stack	st;
	struct sample_repeat	rep;
	timer_t			tick, wake;
	const uint64_t		period = 10000000;	/* 10 ms */
	const unsigned int	slowdown = _i == 0 ? 10 : 1;

	setup_version(12);
	set_top(make_frame(make_code("waits", "waits", "w.py", 1), 2, NULL));
	s.wall = 1;
	s.period_ns = period;
	s.idle_slowdown = slowdown;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_NONE;
	ck_assert_int_eq(timer_create(CLOCK_MONOTONIC, &sev, &tick), 0);
	ck_assert_int_eq(timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &wake), 0);
	sampler_thread_timers(tick, wake, 1);
	sampler_set(&s);

	/*
	 * Its first sample is running; then two idle ones.  At the full rate
	 * each tick re-arms the timer for a random step, then the period.
	 */
	idle_tick(period, 0);
	idle_wait(5);
	idle_tick(period, SAMPLE_IDLE);
	ck_assert_int_eq(idle_period(tick), (long long)period);
	idle_wait(5);
	idle_tick(period, SAMPLE_IDLE);
	if (slowdown == 1) {
		/* PYSIG_IDLE_SLOWDOWN=1: no idle rate. */
		ck_assert_int_eq(idle_period(tick), (long long)period);
		ck_assert_int_eq(idle_period(wake), 0);
		idle_signal(SIGCHAIN_WAKE);
		ck_assert(idle_none());
		goto out;
	}
	ck_assert_int_eq(idle_period(tick), (long long)(period * slowdown));
	ck_assert_int_eq(idle_period(wake), (long long)period);

	/* At the idle rate, a sample stands for slowdown periods. */
	idle_wait(5);
	idle_tick(period * slowdown, SAMPLE_IDLE);
	ck_assert_uint_eq(atomic_load(&s.stats.idle_slow), 1);

	/* It waits 20 ms, then runs 3 ms: woken. */
	idle_wait(20);
	set_top(make_frame(make_code("runs", "runs", "r.py", 7), 8, NULL));
	idle_burn(3);
	idle_signal(SIGCHAIN_WAKE);
	ck_assert_uint_eq(idle_next(&st, &rep), SAMPLE_REC_REPEAT);
	ck_assert_uint_eq(rep.sample_flags & SAMPLE_IDLE, SAMPLE_IDLE);
	ck_assert_uint_eq(rep.sample_flags & SAMPLE_STATE, SAMPLE_STATE);
	/* The 20 ms wait, give or take the machine's timing. */
	ck_assert_uint_ge(rep.weight_ns, 19000000);
	ck_assert_uint_le(rep.weight_ns, 200000000);
	ck_assert_uint_eq(idle_next(&st, &rep), SAMPLE_REC_STACK);
	ck_assert_uint_eq(st.sample_flags & SAMPLE_IDLE, 0);
	ck_assert_uint_eq(st.sample_flags & SAMPLE_STATE, SAMPLE_STATE);
	ck_assert_uint_eq(st.tid, rep.tid);
	/* The 3 ms it ran (its CPU time), and the handler's own. */
	ck_assert_uint_ge(st.weight_ns, 3000000);
	ck_assert_uint_le(st.weight_ns, 50000000);
	ck_assert_uint_eq(atomic_load(&s.stats.idle_wakes), 1);
	ck_assert_int_eq(idle_period(tick), (long long)period);
	ck_assert_int_eq(idle_period(wake), 0);

	/* A wake signal sent before that is ignored; ticks are full again. */
	idle_signal(SIGCHAIN_WAKE);
	ck_assert(idle_none());
	idle_burn(6);
	idle_tick(period, 0);

	/* Idle again: a tick that finds it ran 6 ms splits the same way. */
	idle_wait(5);
	idle_tick(period, SAMPLE_IDLE);
	idle_wait(5);
	idle_tick(period, SAMPLE_IDLE);
	ck_assert_int_eq(idle_period(tick), (long long)(period * slowdown));
	idle_wait(20);
	idle_burn(6);
	idle_signal(SIGCHAIN_TICK);
	ck_assert_uint_eq(idle_next(&st, &rep), SAMPLE_REC_REPEAT);
	ck_assert_uint_ge(rep.weight_ns, 19000000);
	ck_assert_uint_eq(rep.sample_flags & SAMPLE_IDLE, SAMPLE_IDLE);
	ck_assert_uint_eq(idle_next(&st, &rep), SAMPLE_REC_STACK);
	ck_assert_uint_ge(st.weight_ns, 6000000);
	ck_assert_uint_le(st.weight_ns, 60000000);
	ck_assert_uint_eq(st.sample_flags & SAMPLE_IDLE, 0);
	ck_assert_uint_eq(atomic_load(&s.stats.idle_wakes), 2);
	ck_assert_int_eq(idle_period(tick), (long long)period);
	ck_assert_int_eq(idle_period(wake), 0);

	/* Timers taken back: it stays at the full rate. */
	sampler_thread_timers_clear();
	idle_wait(5);
	idle_tick(period, SAMPLE_IDLE);
	idle_wait(5);
	idle_tick(period, SAMPLE_IDLE);
	idle_wait(5);
	idle_tick(period, SAMPLE_IDLE);
	ck_assert_int_eq(idle_period(tick), (long long)period);
out:
	sampler_set(NULL);
	timer_delete(tick);
	timer_delete(wake);
}
END_TEST

/* A timer's time to its next expiry in ns (0: disarmed). */
static long long
idle_value(timer_t t)
{
	struct itimerspec	its;

	ck_assert_int_eq(timer_gettime(t, &its), 0);
	return its.it_value.tv_sec * 1000000000LL + its.it_value.tv_nsec;
}

/*
 * Wall mode: a tick at the full rate that comes before its timer was due
 * (here every one: the test sends them at once) sets the thread's next one
 * a random step away, between half and one and a half periods, then every
 * period; a thread waiting in between is judged idle over the wall time
 * since its previous sample when shorter than the period.  Without its
 * timers given, the timer is left alone (fixed steps).
 */
START_TEST(test_wall_steps)
{
	struct sigevent		sev;
	struct sample_stack	st;
	struct sample_repeat	rep;
	timer_t			tick;
	const uint64_t		period = 10000000;	/* 10 ms */
	long long		v, lo = -1, hi = -1, t0;
	int			i;

	setup_version(12);
	set_top(make_frame(make_code("runs", "runs", "r.py", 1), 2, NULL));
	s.wall = 1;
	s.period_ns = period;
	s.idle_slowdown = 1;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_NONE;
	ck_assert_int_eq(timer_create(CLOCK_MONOTONIC, &sev, &tick), 0);
	sampler_thread_timers(tick, 0, 0);
	sampler_set(&s);
	for (i = 0; i < 400; i++) {
		idle_signal(SIGCHAIN_TICK);
		v = idle_value(tick);
		ck_assert_int_eq(idle_period(tick), (long long)period);
		ck_assert_int_le(v, (long long)(3 * period / 2));
		if (lo < 0 || v < lo)
			lo = v;
		if (v > hi)
			hi = v;
		ck_assert_uint_eq(idle_next(&st, &rep), SAMPLE_REC_STACK);
		ck_assert_uint_eq(st.weight_ns, period);
	}
	/* 400 draws: the lowest and highest tenth are reached. */
	ck_assert_int_lt(lo, (long long)(period * 6 / 10));
	ck_assert_int_gt(hi, (long long)(period * 14 / 10));
	/*
	 * Busy for 3 ms: running over the 3 ms since the last sample (a
	 * short step), not idle for running less than half the period.  On
	 * a machine too busy to give it 55% of a CPU it did wait; the
	 * verdict is then not checked.
	 */
	t0 = idle_mono();
	idle_burn(3);
	idle_tick(period, idle_mono() - t0 < 5500000 ? 0 : 0xffff);
	/* Then waiting 3 ms: idle. */
	idle_wait(3);
	idle_tick(period, SAMPLE_IDLE);
	/* Timers taken back: fixed steps, the timer is not touched. */
	sampler_thread_timers_clear();
	{
		struct itimerspec	its = { { 0, 0 }, { 5, 0 } };

		ck_assert_int_eq(timer_settime(tick, 0, &its, NULL), 0);
	}
	idle_signal(SIGCHAIN_TICK);
	ck_assert_int_gt(idle_value(tick), 4000000000LL);
	ck_assert_int_eq(idle_period(tick), 0);
	ck_assert_uint_eq(idle_next(&st, &rep), SAMPLE_REC_STACK);
	sampler_set(NULL);
	timer_delete(tick);
}
END_TEST

/* SIGPROF as the task clock fd sends it, through sigchain's handler. */
static void
perf_signal(int fd)
{
	siginfo_t	si;

	memset(&si, 0, sizeof si);
	si.si_code = POLL_IN;
	si.si_fd = fd;
	sigchain_handler(SIGPROF, &si, NULL);
}

static volatile sig_atomic_t	perf_forwarded;

static void
perf_program(int sig)
{
	(void)sig;
	perf_forwarded++;
}

/*
 * Cpu mode with task clocks: a POLL_IN SIGPROF is a sample only from a
 * descriptor given to sigchain; each stands for the periods of CPU time
 * the thread ran since its previous one.
 */
START_TEST(test_task_clock)
{
	struct sigaction	sa;
	struct sample_stack	st;
	struct sample_repeat	rep;
	const uint64_t		period = 10000000;	/* 10 ms */
	int			p[2];

	setup_version(12);
	set_top(make_frame(make_code("spins", "spins", "s.py", 1), 2, NULL));
	s.period_ns = period;
	/* Any descriptor: the handler only compares its number. */
	ck_assert_int_eq(pipe(p), 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = perf_program;
	sigchain_set(&sa);
	sampler_set(&s);

	/* Not a descriptor of ours: the program's signal. */
	perf_signal(p[0]);
	ck_assert_int_eq(perf_forwarded, 1);
	ck_assert(idle_none());
	ck_assert_int_eq(sigchain_add_fd(SIGCHAIN_MAX_FD), -1);
	ck_assert_int_eq(sigchain_is_fd(SIGCHAIN_MAX_FD), 0);
	ck_assert_int_eq(sigchain_is_fd(-1), 0);
	ck_assert_int_eq(sigchain_add_fd(p[0]), 0);
	ck_assert_int_eq(sigchain_is_fd(p[0]), 1);
	ck_assert_int_eq(sigchain_is_fd(p[1]), 0);
	perf_signal(p[1]);
	ck_assert_int_eq(perf_forwarded, 2);
	ck_assert(idle_none());

	/* The thread's first: one period. */
	perf_signal(p[0]);
	ck_assert_uint_eq(idle_next(&st, &rep), SAMPLE_REC_STACK);
	ck_assert_uint_eq(st.weight_ns, period);
	ck_assert_uint_eq(st.sample_flags & SAMPLE_STATE, 0);

	/* 35 ms of CPU time since: four periods, three signals lost. */
	idle_burn(35);
	perf_signal(p[0]);
	ck_assert_uint_eq(idle_next(&st, &rep), SAMPLE_REC_STACK);
	ck_assert_uint_eq(st.weight_ns, 4 * period);
	ck_assert_uint_eq(atomic_load(&s.stats.overruns), 3);

	/* A signal early by less than half a period still stands for one. */
	idle_burn(3);
	perf_signal(p[0]);
	ck_assert_uint_eq(idle_next(&st, &rep), SAMPLE_REC_STACK);
	ck_assert_uint_eq(st.weight_ns, period);
	ck_assert_uint_eq(atomic_load(&s.stats.overruns), 3);

	/* Time waiting is not counted: 20 ms asleep, 12 ms of CPU. */
	idle_wait(20);
	idle_burn(12);
	perf_signal(p[0]);
	ck_assert_uint_eq(idle_next(&st, &rep), SAMPLE_REC_STACK);
	ck_assert_uint_eq(st.weight_ns, period);
	ck_assert_uint_eq(atomic_load(&s.stats.overruns), 3);
	ck_assert_int_eq(perf_forwarded, 2);
	sampler_set(NULL);
	close(p[0]);
	close(p[1]);
}
END_TEST

/*
 * Task clock periods: each in [P/2, 3P/2), a mean of P, spread over the
 * whole range (every tenth of it hit), and a fresh sequence per thread.
 */
START_TEST(test_perf_jitter)
{
	const uint64_t	period = 1000000;
	unsigned int	tenths[10] = { 0 }, i;
	uint64_t	v, sum = 0;

	sampler_forget_tid();
	for (i = 0; i < 10000; i++) {
		v = sampler_jitter(period, 12345);
		ck_assert_uint_ge(v, period / 2);
		ck_assert_uint_lt(v, period + period / 2);
		tenths[(v - period / 2) * 10 / period]++;
		sum += v;
	}
	ck_assert_uint_ge(sum / 10000, period - period / 50);
	ck_assert_uint_le(sum / 10000, period + period / 50);
	for (i = 0; i < 10; i++)
		ck_assert_uint_ge(tenths[i], 800);
	/* Odd periods too: never out of range. */
	for (i = 0; i < 1000; i++) {
		v = sampler_jitter(101, 1);
		ck_assert_uint_ge(v, 50);
		ck_assert_uint_lt(v, 152);
	}
}
END_TEST

/*
 * Recurse n calls deeper, then take one sample, its native stack cut to cap
 * frames: its frame count and flags.
 */
static __attribute__((noinline)) void
sample_at_depth(int n, unsigned int cap, unsigned int *nnative,
    unsigned int *flags)
{
	struct sample_stack	st;

	if (n > 0) {
		sample_at_depth(n - 1, cap, nnative, flags);
		/* Not a tail call: each level keeps its frame. */
		__asm__ volatile("" ::: "memory");
		return;
	}
	s.native_depth = cap;
	st = sample_once();
	*nnative = st.nnative;
	*flags = st.flags;
}

/*
 * A native stack longer than PYSIG_NATIVE_DEPTH by any number of frames is
 * cut to it and marked truncated (the report then merges it as far as it
 * goes instead of calling it a mismatch); one that fits is not.  Both ways
 * of unwinding.
 */
START_TEST(test_native_truncated)
{
	struct sigaction	 prev;
	unsigned int		 full = 0, n = 0, flags = 0, cut;

	setup_native_signal(_i, &prev);
	sample_at_depth(50, SAMPLER_MAX_NATIVE, &full, &flags);
	ck_assert_uint_eq(flags & (STACK_NATIVE_FAILED | STACK_NATIVE_TRUNCATED),
	    0);
	ck_assert_uint_gt(full, 50);
	for (cut = 0; cut <= 45; cut++) {
		flags = 0;
		sample_at_depth(50, full - cut, &n, &flags);
		ck_assert_uint_eq(n, full - cut);
		ck_assert_uint_eq(flags & STACK_NATIVE_FAILED, 0);
		ck_assert_uint_eq(flags & STACK_NATIVE_TRUNCATED,
		    cut == 0 ? 0 : STACK_NATIVE_TRUNCATED);
	}
	ck_assert_int_eq(sigaction(SIGPROF, &prev, NULL), 0);
}
END_TEST

int
main(void)
{
	Suite	*su = suite_create("sample");
	TCase	*tc = tcase_create("sample");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, NULL, teardown_version);
	tcase_add_test(tc, test_histogram_buckets);
	tcase_add_test(tc, test_sigprocmask_outside_handler);
	tcase_add_test(tc, test_loader_busy);
	tcase_add_test(tc, test_fork_gate);
	tcase_add_loop_test(tc, test_idle_rate, 0, 2);
	tcase_add_test(tc, test_wall_steps);
	tcase_add_test(tc, test_task_clock);
	tcase_add_test(tc, test_perf_jitter);
	tcase_add_loop_test(tc, test_native_signal_keeps_mask, 0, 2);
	tcase_add_loop_test(tc, test_native_truncated, 0, 2);
	tcase_add_loop_test(tc, test_basic_stack, 0, NMINORS);
	tcase_add_loop_test(tc, test_no_python, 0, NMINORS);
	tcase_add_loop_test(tc, test_moved_since_fork, 0, NMINORS);
	tcase_add_loop_test(tc, test_truncated_keeps_innermost, 0, NMINORS);
	tcase_add_loop_test(tc, test_invalid_frame_cut, 0, NMINORS);
	tcase_add_loop_test(tc, test_entered_from_c, 0, NMINORS);
	tcase_add_loop_test(tc, test_entering_stale_frame, 0, NMINORS);
	tcase_add_loop_test(tc, test_entering_unknown, 0, NMINORS);
	tcase_add_loop_test(tc, test_entering_invalid_top, 0, NMINORS);
	tcase_add_loop_test(tc, test_fault_is_caught, 0, NMINORS);
	tcase_add_loop_test(tc, test_reused_address_new_identity, 0, NMINORS);
	tcase_add_loop_test(tc, test_memo_follows_stack_changes, 0, NMINORS);
	tcase_add_loop_test(tc, test_non_ascii_names, 0, NMINORS);
	tcase_add_loop_test(tc, test_ring_full_drops, 0, NMINORS);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
