/*
 * The chrome report: the Trace Event Format of chrome://tracing and
 * Perfetto (ui.perfetto.dev), a JSON object whose traceEvents are, per
 * thread of each file, complete events (X: a start and a duration) nested
 * like the stacks, plus M events naming the process (its command line) and
 * the threads.  Timestamps are whole microseconds since the profile's
 * start, pid and tid those of the profiled process.  One X event is about
 * 20% smaller than the B and E pair it replaces.
 *
 * An event names its function and nothing else, unless --frame-args asks
 * for its category (python, native, interpreter, pseudo) and where it is as
 * args: file and first line, or file and module for native code.  Those
 * make the file about 1.8 times as large (more with long paths), and a
 * trace's size is what decides whether a viewer opens it at all.
 *
 * Each sample stands for one sample period (1 / effective_rate of its
 * file) starting at its time, so the events of a thread add up to its
 * samples times the period.  Consecutive samples of a thread are laid end
 * to end, and frames they share (the same function at the same depth, from
 * the root down) make one event, unless a whole period or more went by
 * without a sample of that thread: then every frame ends with the last
 * sample before the gap.  A sample that comes early (timer jitter) starts
 * at the end of the one before it.
 *
 * Viewers sort events by start, and keep the file's order among events
 * with the same start: a frame must come before its callee that began with
 * it (a callee may also end with it, the same start and duration).  So a
 * thread's samples are read last to first, which tells when each frame
 * ends by the time the sample where it begins is reached; the events
 * beginning at a sample are written there, outermost first.
 */
#include "config.h"

#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include "viewer.h"
#include "report.h"

/* A thread's frames being written. */
struct chrome_thread {
	FILE			 *f;
	const struct aggregate	 *agg;
	char			**tails;	/* of X events, per function */
	size_t			 *tail_len;
	unsigned long		  pid;
	uint32_t		  tid;
	char			  head[64];	/* "pid":P,"tid":T,"ts": */
	size_t			  head_len;
	char			  ts[96];	/* head and a start */
	size_t			  ts_len;
	int64_t			  ts_ns;	/* the start in ts, if ts_len */
	int64_t			 *start;	/* per sample of the thread */
	size_t			  nstart;
	uint32_t		 *next;		/* the later sample's functions */
	int64_t			 *end;		/* and when each ends */
	int			  events;	/* written so far */
	int			  args;		/* --frame-args */
};

/* Start an event: a separator after the first. */
static void
chrome_event(struct chrome_thread *t)
{
	fputs(t->events++ == 0 ? "\n{" : ",\n{", t->f);
}

/*
 * The end of a function's X events, after the duration: its name, and its
 * category and where it is if asked.  Made once per function: names are
 * escaped only once.
 */
static const char *
chrome_tail(struct chrome_thread *t, uint32_t func)
{
	const struct aggregate_func	*fn = &t->agg->funcs[func];
	enum viewer_kind		 kind = viewer_kind(fn);
	FILE				*f;
	size_t				 len;

	if (t->tails[func] != NULL)
		return t->tails[func];
	if ((f = open_memstream(&t->tails[func], &len)) == NULL)
		return NULL;
	fputs(",\"name\":", f);
	viewer_json_string(f, fn->name);
	if (t->args) {
		fprintf(f, ",\"cat\":\"%s\"", viewer_kind_name(kind));
		if (kind == VIEWER_PYTHON) {
			fputs(",\"args\":{\"file\":", f);
			viewer_json_string(f, fn->file);
			fprintf(f, ",\"line\":%d}", fn->firstlineno);
		} else if (kind != VIEWER_PSEUDO) {
			fputs(",\"args\":{\"file\":", f);
			viewer_json_string(f, fn->file);
			fputs(",\"module\":", f);
			viewer_json_string(f, fn->module);
			fputc('}', f);
		}
	}
	fputc('}', f);
	if (fclose(f) != 0) {
		free(t->tails[func]);
		t->tails[func] = NULL;
	}
	t->tail_len[func] = len;
	return t->tails[func];
}

/*
 * A time rounded to whole microseconds.  Viewers add an event's start and
 * duration in floating point and compare the sum with the start of the
 * next: only whole numbers make a frame end exactly where its successor
 * begins, and a callee exactly where its caller ends.
 */
static int64_t
chrome_us(int64_t ns)
{
	return ns >= 0 ? (ns + 500) / 1000 * 1000 : -((500 - ns) / 1000 * 1000);
}

/*
 * The head of an event and its start: "pid":P,"tid":T,"ts":US.  The frames
 * that begin together share a start: it is formatted once for them.
 */
static void
chrome_ts(struct chrome_thread *t, int64_t ns)
{
	if (t->ts_ns != ns || t->ts_len == 0) {
		memcpy(t->ts, t->head, t->head_len);
		t->ts_len = t->head_len + viewer_us_text(t->ts + t->head_len,
		    chrome_us(ns));
		t->ts_ns = ns;
	}
}

/*
 * Write the events of the frames of t->next from depth k to n, which begin
 * at ns, outermost first.  Each event is put together in ev and written at
 * once (a name too long for it follows on its own).
 */
static int
chrome_begin(struct chrome_thread *t, uint32_t k, uint32_t n, int64_t ns)
{
	static const char	 x[] = "{\"ph\":\"X\",";
	const char		*tail;
	char			 ev[512];
	size_t			 len, tail_len;

	chrome_ts(t, ns);
	for (; k < n; k++) {
		if ((tail = chrome_tail(t, t->next[k])) == NULL)
			return -1;
		tail_len = t->tail_len[t->next[k]];
		len = 0;
		if (t->events++ != 0)
			ev[len++] = ',';
		ev[len++] = '\n';
		memcpy(ev + len, x, sizeof x - 1);
		len += sizeof x - 1;
		memcpy(ev + len, t->ts, t->ts_len);
		len += t->ts_len;
		memcpy(ev + len, ",\"dur\":", 7);
		len += 7;
		len += viewer_us_text(ev + len,
		    chrome_us(t->end[k]) - chrome_us(ns));
		if (len + tail_len <= sizeof ev) {
			memcpy(ev + len, tail, tail_len);
			fwrite(ev, 1, len + tail_len, t->f);
		} else {
			fwrite(ev, 1, len, t->f);
			fwrite(tail, 1, tail_len, t->f);
		}
	}
	return 0;
}

/* Write the metadata event naming a process or a thread. */
static void
chrome_name(struct chrome_thread *t, const char *what, unsigned long pid,
    uint32_t tid, const char *name)
{
	chrome_event(t);
	fprintf(t->f, "\"ph\":\"M\",\"name\":\"%s\",\"pid\":%lu,\"tid\":%u,"
	    "\"args\":{\"name\":", what, pid, tid);
	viewer_json_string(t->f, name);
	fputs("}}", t->f);
}

/* Write the process name of a profile: its command line, or executable. */
static int
chrome_process(struct chrome_thread *t, const struct reader_profile *p,
    unsigned long pid)
{
	char	*name = NULL, *bigger;
	size_t	 len = 0, n, i;

	for (i = 0; i < p->header.n; i++) {
		if (strcmp(p->header.pairs[i].key, "arg") != 0)
			continue;
		n = strlen(p->header.pairs[i].value);
		if ((bigger = realloc(name, len + n + 2)) == NULL) {
			free(name);
			return -1;
		}
		name = bigger;
		if (len != 0)
			name[len++] = ' ';
		memcpy(name + len, p->header.pairs[i].value, n + 1);
		len += n;
	}
	if (name == NULL) {
		name = strdup(reader_kv_get(&p->header, "executable") != NULL ?
		    reader_kv_get(&p->header, "executable") : p->path);
		if (name == NULL)
			return -1;
	}
	chrome_name(t, "process_name", pid, 0, name);
	free(name);
	return 0;
}

/* Write the events of samples order[from..to), one thread of one file. */
static int
chrome_thread_events(struct chrome_thread *t, const uint32_t *order,
    size_t from, size_t to, int64_t period, struct viewer_walk *w)
{
	const struct aggregate	*agg = t->agg;
	size_t			 n = to - from, i;
	int64_t			 at, *bigger;
	uint32_t		 len, nnext = 0, k;
	char			 buf[64];

	snprintf(buf, sizeof buf, "thread %u%s", t->tid,
	    t->tid == t->pid ? " (main)" : "");
	chrome_name(t, "thread_name", t->pid, t->tid, buf);
	t->head_len = (size_t)snprintf(t->head, sizeof t->head,
	    "\"pid\":%lu,\"tid\":%u,\"ts\":", t->pid, t->tid);
	t->ts_len = 0;
	if (n > t->nstart) {
		if ((bigger = realloc(t->start, n * sizeof *bigger)) == NULL)
			return -1;
		t->start = bigger;
		t->nstart = n;
	}
	/* When each sample starts: at its time after a gap, else laid on. */
	for (i = 0; i < n; i++) {
		at = agg->sample_list[order[from + i]].time_us * 1000;
		if (i == 0 || at >= t->start[i - 1] + 2 * period)
			t->start[i] = at;
		else
			t->start[i] = t->start[i - 1] + period;
	}
	/*
	 * Last to first.  Sample i + 1 follows i without a gap when it starts
	 * as i ends; then the frames they share (from the root, k of them)
	 * go on, and those of i + 1 from depth k begin at i + 1: written now,
	 * as their ends are known.  The frames of i from depth k end with i.
	 */
	for (i = n; i-- > 0;) {
		len = viewer_walk_to(w, agg->sample_list[order[from + i]].node);
		k = 0;
		if (i + 1 < n && t->start[i + 1] == t->start[i] + period) {
			while (k < len && k < nnext && w->func[k] == t->next[k])
				k++;
		}
		if (i + 1 < n &&
		    chrome_begin(t, k, nnext, t->start[i + 1]) != 0)
			return -1;
		memcpy(t->next + k, w->func + k, (len - k) * sizeof *t->next);
		for (nnext = k; nnext < len; nnext++)
			t->end[nnext] = t->start[i] + period;
	}
	return n == 0 ? 0 : chrome_begin(t, 0, nnext, t->start[0]);
}

/* Print the chrome report. */
int
report_chrome(struct report *r)
{
	const struct aggregate		*agg = r->agg;
	const struct aggregate_sample	*a, *b;
	const struct reader_profile	*p;
	struct chrome_thread		 t;
	struct viewer_walk		 w;
	uint32_t			*order = NULL;
	size_t				 i, from;
	int64_t				 period;
	const char			*v;
	int				 error = -1;

	/* Millions of small writes: one thread, no stdio locking. */
	__fsetlocking(r->out, FSETLOCKING_BYCALLER);

	memset(&t, 0, sizeof t);
	t.f = r->out;
	t.agg = agg;
	t.args = r->frame_args;
	memset(&w, 0, sizeof w);
	if (viewer_walk_init(&w, agg) != 0 ||
	    (t.next = malloc(((size_t)w.size + 1) * sizeof *t.next)) == NULL ||
	    (t.end = malloc(((size_t)w.size + 1) * sizeof *t.end)) == NULL ||
	    (t.tails = calloc(agg->nfuncs + 1, sizeof *t.tails)) == NULL ||
	    (t.tail_len = calloc(agg->nfuncs + 1, sizeof *t.tail_len)) == NULL)
		goto out;
	if (agg->nsample_list != 0 && (order = viewer_by_thread(agg)) == NULL)
		goto out;
	fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"exporter\":"
	    "\"pysig-report " PACKAGE_VERSION "\"},\"traceEvents\":[", r->out);
	for (i = 0; i < r->nprofiles; i++) {
		p = r->profiles[i];
		v = reader_kv_get(&p->header, "pid");
		if (chrome_process(&t, p, v != NULL ?
		    strtoul(v, NULL, 10) : 0) != 0)
			goto out;
	}
	for (from = 0; from < agg->nsample_list; from = i) {
		a = &agg->sample_list[order[from]];
		for (i = from + 1; i < agg->nsample_list; i++) {
			b = &agg->sample_list[order[i]];
			if (b->file != a->file || b->tid != a->tid)
				break;
		}
		p = a->file < r->nprofiles ? r->profiles[a->file] : NULL;
		v = p != NULL ? reader_kv_get(&p->header, "pid") : NULL;
		t.pid = v != NULL ? strtoul(v, NULL, 10) : 0;
		t.tid = a->tid;
		period = (int64_t)(1e9 / (p != NULL ? viewer_rate(p) :
		    VIEWER_DEFAULT_RATE) + 0.5);
		if (chrome_thread_events(&t, order, from, i, period, &w) != 0)
			goto out;
	}
	fputs("\n]}\n", r->out);
	error = 0;
out:
	if (t.tails != NULL) {
		for (i = 0; i < agg->nfuncs; i++)
			free(t.tails[i]);
	}
	free(t.tails);
	free(t.tail_len);
	viewer_walk_free(&w);
	free(t.next);
	free(t.end);
	free(t.start);
	free(order);
	return error;
}
