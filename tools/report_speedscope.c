/*
 * The speedscope report: speedscope's JSON file format
 * (https://www.speedscope.app/file-format-schema.json), one "sampled"
 * profile per thread of each file, its samples in time order, each sample
 * a list of frame indexes from the root to the leaf weighing one sample
 * period in seconds (1 / effective_rate of its file):
 *
 *   {"$schema": "...", "shared": {"frames": [{"name": "compute",
 *     "file": "app.py", "line": 10}, ...]}, "profiles": [{"type":
 *     "sampled", "name": "pid 12 thread 12 (main)", "unit": "seconds",
 *     "startValue": 0.01, "endValue": 1.2, "samples": [[0, 1], ...],
 *     "weights": [0.01, ...]}]}
 *
 * A frame is a function (its first line for a Python function); the lines
 * executing in it are not told apart.  Open it at www.speedscope.app or
 * with `speedscope FILE` (npm's speedscope).
 */

#include "config.h"

#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include "viewer.h"
#include "report.h"

/* Write the frame of a function. */
static void
speedscope_frame(FILE *f, const struct aggregate_func *fn)
{
	fputs("{\"name\":", f);
	viewer_json_string(f, fn->name);
	switch (viewer_kind(fn)) {
	case VIEWER_PYTHON:
		fputs(",\"file\":", f);
		viewer_json_string(f, fn->file);
		if (fn->firstlineno > 0)
			fprintf(f, ",\"line\":%d", fn->firstlineno);
		break;
	case VIEWER_NATIVE:
	case VIEWER_INTERPRETER:
		fputs(",\"file\":", f);
		viewer_json_string(f, fn->file[0] != '\0' ? fn->file :
		    fn->module);
		break;
	default:
		break;
	}
	fputc('}', f);
}

/* Write the shared frames: the functions some node uses, numbered in frame. */
static int
speedscope_frames(struct report *r, uint32_t **frame)
{
	const struct aggregate	*agg = r->agg;
	uint32_t		*map, next = 0;
	size_t			 i;

	if ((map = malloc((agg->nfuncs + 1) * sizeof *map)) == NULL)
		return -1;
	for (i = 0; i < agg->nfuncs; i++)
		map[i] = AGGREGATE_NONE;
	for (i = 1; i < agg->nnodes; i++)
		map[agg->nodes[i].func] = 0;
	fputs("\"shared\":{\"frames\":[", r->out);
	for (i = 0; i < agg->nfuncs; i++) {
		if (map[i] == AGGREGATE_NONE)
			continue;
		if (next != 0)
			fputc(',', r->out);
		map[i] = next++;
		speedscope_frame(r->out, &agg->funcs[i]);
	}
	fputs("]}", r->out);
	*frame = map;
	return 0;
}

/* Write the name of a thread's profile. */
static void
speedscope_name(struct report *r, uint32_t file, uint32_t tid)
{
	const char	*pid = NULL;
	char		 buf[128];

	if (file < r->nprofiles)
		pid = reader_kv_get(&r->profiles[file]->header, "pid");
	if (pid != NULL)
		snprintf(buf, sizeof buf, "pid %s thread %u%s", pid, tid,
		    strtoul(pid, NULL, 10) == tid ? " (main)" : "");
	else
		snprintf(buf, sizeof buf, "thread %u", tid);
	viewer_json_string(r->out, buf);
}

/*
 * The samples' stacks as text: each function's frame index formatted once,
 * and the stack of the last sample kept, so that a sample is formatted
 * from the first frame it does not share with the sample before.
 */
struct speedscope_stacks {
	struct viewer_walk	  walk;
	char			(*frame)[12];	/* per function: its index */
	uint8_t			 *len;
	char			 *text;		/* the last stack: "0,4,17" */
	size_t			 *end;		/* where entry k ends in text */
};

/* Write the stack of a sample, root first: "[0,4,17]". */
static void
speedscope_stack(FILE *f, struct speedscope_stacks *st, uint32_t node)
{
	uint32_t	n = viewer_walk_to(&st->walk, node), k, func;
	size_t		at;

	/* end[0] is 0; end[k] is where the k-th frame's digits end. */
	for (k = st->walk.same; k < n; k++) {
		at = st->end[k];
		if (k != 0)
			st->text[at++] = ',';
		func = st->walk.func[k];
		memcpy(st->text + at, st->frame[func], st->len[func]);
		st->end[k + 1] = at + st->len[func];
	}
	fputc('[', f);
	fwrite(st->text, 1, st->end[n], f);
	fputc(']', f);
}

/*
 * Write the profile of the samples order[from..to) (one thread of one
 * file), each weighing period seconds.
 */
static void
speedscope_profile(struct report *r, const uint32_t *order, size_t from,
    size_t to, double period, struct speedscope_stacks *st)
{
	const struct aggregate		*agg = r->agg;
	const struct aggregate_sample	*s = &agg->sample_list[order[from]];
	size_t				 i, n;
	double				 start = (double)s->time_us / 1e6;
	char				 weight[40];

	fputs("{\"type\":\"sampled\",\"name\":", r->out);
	speedscope_name(r, s->file, s->tid);
	fprintf(r->out, ",\"unit\":\"seconds\",\"startValue\":%.6f,"
	    "\"endValue\":%.9g,\"samples\":[", start,
	    start + period * (double)(to - from));
	for (i = from; i < to; i++) {
		if (i != from)
			fputc(',', r->out);
		speedscope_stack(r->out, st, agg->sample_list[order[i]].node);
	}
	fputs("],\"weights\":[", r->out);
	n = (size_t)snprintf(weight, sizeof weight, ",%.9g", period);
	for (i = from; i < to; i++)
		fwrite(weight + (i == from), 1, n - (i == from), r->out);
	fputs("]}", r->out);
}

/* Make the frame indexes' text and the room for a stack's. */
static int
speedscope_stacks_init(struct speedscope_stacks *st,
    const struct aggregate *agg, const uint32_t *frame)
{
	char	buf[24], *p;
	size_t	i;
	uint32_t v;

	memset(st, 0, sizeof *st);
	if (viewer_walk_init(&st->walk, agg) != 0)
		return -1;
	st->frame = malloc((agg->nfuncs + 1) * sizeof *st->frame);
	st->len = malloc(agg->nfuncs + 1);
	st->end = calloc((size_t)st->walk.size + 1, sizeof *st->end);
	st->text = malloc(((size_t)st->walk.size + 1) * sizeof st->frame[0]);
	if (st->frame == NULL || st->len == NULL || st->end == NULL ||
	    st->text == NULL)
		return -1;
	for (i = 0; i < agg->nfuncs; i++) {
		p = buf + sizeof buf;
		v = frame[i] == AGGREGATE_NONE ? 0 : frame[i];
		do {
			*--p = (char)('0' + v % 10);
			v /= 10;
		} while (v != 0);
		st->len[i] = (uint8_t)(buf + sizeof buf - p);
		memcpy(st->frame[i], p, st->len[i]);
	}
	return 0;
}

/* Free the stacks' text. */
static void
speedscope_stacks_free(struct speedscope_stacks *st)
{
	viewer_walk_free(&st->walk);
	free(st->frame);
	free(st->len);
	free(st->text);
	free(st->end);
}

/* Print the speedscope report. */
int
report_speedscope(struct report *r)
{
	const struct aggregate		*agg = r->agg;
	const struct aggregate_sample	*a, *b;
	struct speedscope_stacks	 st;
	uint32_t			*order = NULL, *frame = NULL;
	size_t				 i, from;
	double				 period;
	int				 first = 1, error = -1;

	/* Millions of small writes: one thread, no stdio locking. */
	__fsetlocking(r->out, FSETLOCKING_BYCALLER);

	memset(&st, 0, sizeof st);
	if (agg->nsample_list != 0 && (order = viewer_by_thread(agg)) == NULL)
		goto out;
	fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema"
	    ".json\",\"exporter\":\"pysig-report " PACKAGE_VERSION "\","
	    "\"name\":", r->out);
	viewer_json_string(r->out, r->nprofiles != 0 ? r->profiles[0]->path :
	    "pysig");
	fputs(",\"activeProfileIndex\":0,", r->out);
	if (speedscope_frames(r, &frame) != 0 ||
	    speedscope_stacks_init(&st, agg, frame) != 0)
		goto out;
	fputs(",\"profiles\":[", r->out);
	for (from = 0; from < agg->nsample_list; from = i) {
		a = &agg->sample_list[order[from]];
		for (i = from + 1; i < agg->nsample_list; i++) {
			b = &agg->sample_list[order[i]];
			if (b->file != a->file || b->tid != a->tid)
				break;
		}
		period = a->file < r->nprofiles ?
		    1.0 / viewer_rate(r->profiles[a->file]) :
		    1.0 / VIEWER_DEFAULT_RATE;
		if (!first)
			fputc(',', r->out);
		first = 0;
		speedscope_profile(r, order, from, i, period, &st);
	}
	fputs("]}\n", r->out);
	error = 0;
out:
	speedscope_stacks_free(&st);
	free(order);
	free(frame);
	return error;
}
