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
 * Write the profile of the samples order[from..to) (one thread of one
 * file), each weighing period seconds.
 */
static void
speedscope_profile(struct report *r, const uint32_t *order, size_t from,
    size_t to, double period, const uint32_t *frame, uint32_t *path,
    uint32_t size)
{
	const struct aggregate		*agg = r->agg;
	const struct aggregate_sample	*s = &agg->sample_list[order[from]];
	uint32_t			 n, k;
	size_t				 i;
	double				 start = (double)s->time_us / 1e6;
	char				 weight[40];

	fputs("{\"type\":\"sampled\",\"name\":", r->out);
	speedscope_name(r, s->file, s->tid);
	fprintf(r->out, ",\"unit\":\"seconds\",\"startValue\":%.6f,"
	    "\"endValue\":%.9g,\"samples\":[", start,
	    start + period * (double)(to - from));
	for (i = from; i < to; i++) {
		s = &agg->sample_list[order[i]];
		n = viewer_path(agg, s->node, path, size);
		fputs(i == from ? "[" : ",[", r->out);
		for (k = 0; k < n && k < size; k++) {
			if (k != 0)
				fputc(',', r->out);
			viewer_u64(r->out, frame[agg->nodes[path[k]].func]);
		}
		fputc(']', r->out);
	}
	fputs("],\"weights\":[", r->out);
	snprintf(weight, sizeof weight, "%.9g", period);
	for (i = from; i < to; i++) {
		if (i != from)
			fputc(',', r->out);
		fputs(weight, r->out);
	}
	fputs("]}", r->out);
}

/* Print the speedscope report. */
int
report_speedscope(struct report *r)
{
	const struct aggregate		*agg = r->agg;
	const struct aggregate_sample	*a, *b;
	uint32_t			*order = NULL, *frame = NULL;
	uint32_t			*path = NULL, size;
	size_t				 i, from;
	double				 period;
	int				 first = 1, error = -1;

	/* Millions of small writes: one thread, no stdio locking. */
	__fsetlocking(r->out, FSETLOCKING_BYCALLER);

	size = viewer_max_depth(agg);
	if ((path = malloc(((size_t)size + 1) * sizeof *path)) == NULL)
		goto out;
	if (agg->nsample_list != 0 && (order = viewer_by_thread(agg)) == NULL)
		goto out;
	fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema"
	    ".json\",\"exporter\":\"pysig-report " PACKAGE_VERSION "\","
	    "\"name\":", r->out);
	viewer_json_string(r->out, r->nprofiles != 0 ? r->profiles[0]->path :
	    "pysig");
	fputs(",\"activeProfileIndex\":0,", r->out);
	if (speedscope_frames(r, &frame) != 0)
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
		speedscope_profile(r, order, from, i, period, frame, path,
		    size);
	}
	fputs("]}\n", r->out);
	error = 0;
out:
	free(path);
	free(order);
	free(frame);
	return error;
}
