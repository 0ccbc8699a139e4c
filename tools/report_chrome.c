/*
 * The chrome report: the Trace Event Format of chrome://tracing and
 * Perfetto (ui.perfetto.dev), a JSON object whose traceEvents are, per
 * thread of each file, duration events (B at the start, E at the end)
 * nested like the stacks, plus M events naming the process (its command
 * line) and the threads.  Timestamps are microseconds since the profile's
 * start, pid and tid those of the profiled process.
 *
 * Each sample stands for one sample period (1 / effective_rate of its
 * file) starting at its time, so the events of a thread add up to its
 * samples times the period.  Consecutive samples of a thread are laid end
 * to end, and frames they share (the same function at the same depth, from
 * the root down) make one event, unless a whole period or more went by
 * without a sample of that thread: then every frame ends with the last
 * sample before the gap.  A sample that comes early (timer jitter) starts
 * at the end of the one before it.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "report.h"

/* A thread's frames being written. */
struct chrome_thread {
	FILE			 *f;
	const struct aggregate	 *agg;
	unsigned long		  pid;
	uint32_t		  tid;
	uint32_t		 *open;		/* the functions, root first */
	uint32_t		  nopen;
	int			  events;	/* written so far */
};

/* Start an event: a separator after the first. */
static void
chrome_event(struct chrome_thread *t)
{
	fputs(t->events++ == 0 ? "\n{" : ",\n{", t->f);
}

/* Write a time in nanoseconds as microseconds. */
static void
chrome_time(FILE *f, int64_t ns)
{
	uint64_t	v = ns < 0 ? (uint64_t)-(ns + 1) + 1 : (uint64_t)ns;

	fprintf(f, "%s%llu.%03llu", ns < 0 ? "-" : "",
	    (unsigned long long)(v / 1000), (unsigned long long)(v % 1000));
}

/* Write the start of a function's event. */
static void
chrome_begin(struct chrome_thread *t, uint32_t func, int64_t ns)
{
	const struct aggregate_func	*fn = &t->agg->funcs[func];
	enum export_kind		 kind = export_kind(fn);

	chrome_event(t);
	fputs("\"ph\":\"B\",\"name\":", t->f);
	export_json_string(t->f, fn->name);
	fprintf(t->f, ",\"cat\":\"%s\",\"pid\":%lu,\"tid\":%u,\"ts\":",
	    export_kind_name(kind), t->pid, t->tid);
	chrome_time(t->f, ns);
	if (kind == EXPORT_PYTHON) {
		fputs(",\"args\":{\"file\":", t->f);
		export_json_string(t->f, fn->file);
		fprintf(t->f, ",\"line\":%d}", fn->firstlineno);
	} else if (kind != EXPORT_PSEUDO) {
		fputs(",\"args\":{\"file\":", t->f);
		export_json_string(t->f, fn->file);
		fputs(",\"module\":", t->f);
		export_json_string(t->f, fn->module);
		fputc('}', t->f);
	}
	fputc('}', t->f);
}

/* End the open frames from depth on, innermost first. */
static void
chrome_end(struct chrome_thread *t, uint32_t depth, int64_t ns)
{
	while (t->nopen > depth) {
		t->nopen--;
		chrome_event(t);
		fprintf(t->f, "\"ph\":\"E\",\"pid\":%lu,\"tid\":%u,\"ts\":",
		    t->pid, t->tid);
		chrome_time(t->f, ns);
		fputc('}', t->f);
	}
}

/* Write the metadata event naming a process or a thread. */
static void
chrome_name(struct chrome_thread *t, const char *what, unsigned long pid,
    uint32_t tid, const char *name)
{
	chrome_event(t);
	fprintf(t->f, "\"ph\":\"M\",\"name\":\"%s\",\"pid\":%lu,\"tid\":%u,"
	    "\"args\":{\"name\":", what, pid, tid);
	export_json_string(t->f, name);
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
static void
chrome_thread_events(struct chrome_thread *t, const uint32_t *order,
    size_t from, size_t to, int64_t period, uint32_t *path, uint32_t size)
{
	const struct aggregate		*agg = t->agg;
	const struct aggregate_sample	*s;
	int64_t				 at, start, end = 0;
	uint32_t			 n, k;
	size_t				 i;
	char				 buf[64];

	snprintf(buf, sizeof buf, "thread %u%s", t->tid,
	    t->tid == t->pid ? " (main)" : "");
	chrome_name(t, "thread_name", t->pid, t->tid, buf);
	t->nopen = 0;
	for (i = from; i < to; i++) {
		s = &agg->sample_list[order[i]];
		at = s->time_us * 1000;
		if (i == from || at >= end + period) {
			/* The first sample, or one after a gap. */
			chrome_end(t, 0, end);
			start = at;
		} else
			start = end;
		n = export_path(agg, s->node, path, size);
		if (n > size)
			n = size;
		for (k = 0; k < n && k < t->nopen; k++) {
			if (agg->nodes[path[k]].func != t->open[k])
				break;
		}
		chrome_end(t, k, start);
		for (; k < n; k++) {
			t->open[t->nopen++] = agg->nodes[path[k]].func;
			chrome_begin(t, agg->nodes[path[k]].func, start);
		}
		end = start + period;
	}
	chrome_end(t, 0, end);
}

/* Print the chrome report. */
int
report_chrome(struct report *r)
{
	const struct aggregate		*agg = r->agg;
	const struct aggregate_sample	*a, *b;
	const struct reader_profile	*p;
	struct chrome_thread		 t;
	uint32_t			*order = NULL, *path = NULL, size;
	size_t				 i, from;
	int64_t				 period;
	const char			*v;
	int				 error = -1;

	memset(&t, 0, sizeof t);
	t.f = r->out;
	t.agg = agg;
	size = export_max_depth(agg);
	if ((path = malloc(((size_t)size + 1) * sizeof *path)) == NULL ||
	    (t.open = malloc(((size_t)size + 1) * sizeof *t.open)) == NULL)
		goto out;
	if (agg->nsample_list != 0 && (order = export_by_thread(agg)) == NULL)
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
		period = (int64_t)(1e9 / (p != NULL ? export_rate(p) :
		    EXPORT_DEFAULT_RATE) + 0.5);
		chrome_thread_events(&t, order, from, i, period, path, size);
	}
	fputs("\n]}\n", r->out);
	error = 0;
out:
	free(path);
	free(t.open);
	free(order);
	return error;
}
