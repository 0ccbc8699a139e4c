/*
 * The info report: what a profile says about itself, as "key: value" lines,
 * one block per file separated by a blank line.  The HEADER keys come in
 * file order (the "arg" keys joined into one command_line, shell-quoted),
 * then what was read, then the STATS or TRAILER counters, then whether the
 * process exited cleanly and where the file was cut short.  With a time
 * window or focus and exclude filters, a block after the files says which
 * and how many samples they kept (over all the files).
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "report.h"

/* Print an argument quoted for a POSIX shell if it needs it. */
static void
info_quoted(FILE *f, const char *s)
{
	const char	*p;

	if (*s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=/.,:@%") == strlen(s)) {
		report_text(f, s);
		return;
	}
	fputc('\'', f);
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			fputs("'\\''", f);
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fputc('?', f);
		else
			fputc(*p, f);
	}
	fputc('\'', f);
}

/* Print the command line from the header's "arg" keys. */
static void
info_command_line(FILE *f, const struct reader_kvlist *h)
{
	size_t	i;

	fputs("command_line:", f);
	for (i = 0; i < h->n; i++) {
		if (strcmp(h->pairs[i].key, "arg") != 0)
			continue;
		fputc(' ', f);
		info_quoted(f, h->pairs[i].value);
	}
	fputc('\n', f);
}

/* Print a "key: value" line. */
static void
info_pair(FILE *f, const char *key, const char *value)
{
	report_text(f, key);
	fputs(": ", f);
	report_text(f, value);
	fputc('\n', f);
}

/* Print a nanosecond wall-clock time as a UTC date. */
static void
info_date(FILE *f, const char *key, const char *ns)
{
	unsigned long long	 v = strtoull(ns, NULL, 10);
	time_t			 t = (time_t)(v / 1000000000ULL);
	struct tm		 tm;
	char			 buf[64];

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return;
	fprintf(f, "%s: %s.%03llu UTC\n", key, buf,
	    (v / 1000000ULL) % 1000);
}

/* Print the block of one profile. */
/*
 * How many threads the profile knows, and one line per thread with samples: "thread: TID
 * NAME samples N idle N gil N seconds S", its start and end (seconds from
 * the start of the profile) when known.
 */
static void
info_threads(FILE *f, const struct reader_profile *p)
{
	const struct reader_thread	*t;
	uint32_t			*tids;
	uint64_t			*n;
	size_t				 i, j, nt = 0;

	tids = malloc((p->nsamples + p->nthreads + 1) * sizeof *tids);
	n = calloc((p->nsamples + p->nthreads + 1) * 4, sizeof *n);
	if (tids == NULL || n == NULL) {
		free(tids);
		free(n);
		return;
	}
	for (i = 0; i < p->nthreads; i++)
		tids[nt++] = p->threads[i].tid;
	for (i = 0; i < p->nsamples; i++) {
		for (j = nt; j > 0 && tids[j - 1] != p->sample_tid[i]; j--)
			;
		if (j == 0) {
			tids[nt++] = p->sample_tid[i];
			j = nt;
		}
		j--;
		n[4 * j]++;
		n[4 * j + 1] += (p->sample_flags[i] & SAMPLE_IDLE) != 0;
		n[4 * j + 2] += (p->sample_flags[i] & SAMPLE_GIL) != 0;
		n[4 * j + 3] += p->sample_weight[i];
	}
	fprintf(f, "threads: %zu\n", nt);
	for (j = 0; j < nt; j++) {
		if (n[4 * j] == 0)
			continue;	/* a thread with no samples */
		t = reader_thread_find(p, tids[j]);
		fprintf(f, "thread: %lu ", (unsigned long)tids[j]);
		report_text(f, t == NULL ? "?" : *t->py_name != '\0' ?
		    t->py_name : *t->os_name != '\0' ? t->os_name : "?");
		fprintf(f, " samples %llu idle %llu gil %llu seconds %.3f",
		    (unsigned long long)n[4 * j],
		    (unsigned long long)n[4 * j + 1],
		    (unsigned long long)n[4 * j + 2],
		    (double)n[4 * j + 3] / 1e9);
		if (t != NULL && (t->flags & THREAD_STARTED))
			fprintf(f, " start %.3f", (double)t->start_us / 1e6);
		if (t != NULL && (t->flags & THREAD_ENDED))
			fprintf(f, " end %.3f", (double)t->end_us / 1e6);
		fputc('\n', f);
	}
	free(tids);
	free(n);
}

/*
 * The time samples stand for (1.2): their sum and the largest, in ns.  A
 * CPU-time timer above the kernel's tick rate delivers one signal for
 * several periods.
 */
static void
info_weights(FILE *f, const struct reader_profile *p)
{
	uint64_t	sum = 0, max = 0;
	size_t		i;

	for (i = 0; i < p->nsamples; i++) {
		sum += p->sample_weight[i];
		if (p->sample_weight[i] > max)
			max = p->sample_weight[i];
	}
	if (sum == 0)
		return;
	fprintf(f, "sampled: %.3f s\n", (double)sum / 1e9);
	fprintf(f, "weight_max_ns: %llu\n", (unsigned long long)max);
}

static void
info_profile(FILE *f, const struct reader_profile *p)
{
	const struct reader_kv	*kv;
	const char		*v;
	size_t			 i;
	int			 args = 0;

	info_pair(f, "file", p->path);
	fprintf(f, "format_version: %u.%u\n", p->major, p->minor);
	fprintf(f, "size: %llu\n", (unsigned long long)p->size);
	for (i = 0; i < p->header.n; i++) {
		kv = &p->header.pairs[i];
		if (strcmp(kv->key, "arg") == 0) {
			if (!args++)
				info_command_line(f, &p->header);
			continue;
		}
		info_pair(f, kv->key, kv->value);
		if (strcmp(kv->key, "start_time_ns") == 0)
			info_date(f, "start_time", kv->value);
	}
	fprintf(f, "codes_read: %zu\n", p->ncodes);
	fprintf(f, "stacks_read: %zu\n", p->nstacks - 1);
	fprintf(f, "samples_read: %zu\n", p->nsamples);
	if (p->nmappings != 0)
		fprintf(f, "mappings_read: %zu\n", p->nmappings);
	if (p->nsamples > 0)
		fprintf(f, "bytes_per_sample: %.1f (samples and stacks; "
		    "%.1f with everything)\n",
		    (double)p->sample_bytes / (double)p->nsamples,
		    (double)p->size / (double)p->nsamples);
	for (i = 0; i < p->stats.n; i++)
		info_pair(f, p->stats.pairs[i].key, p->stats.pairs[i].value);
	info_weights(f, p);
	if ((v = reader_kv_get(&p->stats, "duration_ns")) != NULL)
		fprintf(f, "duration: %.3f s\n",
		    (double)strtoull(v, NULL, 10) / 1e9);
	if (p->trailer)
		fputs("trailer: yes\n", f);
	else
		fputs("trailer: no (process did not exit cleanly)\n", f);
	if (p->truncated)
		fprintf(f, "truncated_at: %llu\n",
		    (unsigned long long)p->truncated_at);
	if (p->unresolved != 0)
		fprintf(f, "unresolved_samples: %llu\n",
		    (unsigned long long)p->unresolved);
	if (p->unknown_records != 0)
		fprintf(f, "unknown_records: %llu\n",
		    (unsigned long long)p->unknown_records);
	info_threads(f, p);
}

/* Print the time window and filters, and the samples they kept. */
static void
info_filters(FILE *f, const struct aggregate *agg)
{
	size_t	i;

	if (agg->since_us != INT64_MIN || agg->until_us != INT64_MAX) {
		fputs("\nwindow:", f);
		if (agg->since_us != INT64_MIN)
			fprintf(f, " from %.3f s", (double)agg->since_us / 1e6);
		if (agg->until_us != INT64_MAX)
			fprintf(f, " until %.3f s", (double)agg->until_us / 1e6);
		fputs(" (from each profile's start)\n", f);
		fprintf(f, "samples_in_window: %llu of %llu\n",
		    (unsigned long long)agg->samples_window,
		    (unsigned long long)agg->samples_read);
		if (agg->durations == agg->files)
			fprintf(f, "window_duration: %.3f s\n",
			    (double)agg->duration_ns / 1e9);
	} else if (agg->nfocus + agg->nexclude != 0)
		fputc('\n', f);
	for (i = 0; i < agg->nfocus; i++)
		info_pair(f, "focus", agg->focus[i]);
	for (i = 0; i < agg->nexclude; i++)
		info_pair(f, "exclude", agg->exclude[i]);
	if (agg->nfocus + agg->nexclude != 0)
		fprintf(f, "samples_kept: %llu of %llu\n",
		    (unsigned long long)agg->samples,
		    (unsigned long long)agg->samples_window);
}

/* Print the info report. */
int
report_info(struct report *r)
{
	size_t	i;

	const struct aggregate	*agg = r->agg;
	uint64_t		 merged;

	for (i = 0; i < r->nprofiles; i++) {
		if (i != 0)
			fputc('\n', r->out);
		info_profile(r->out, r->profiles[i]);
	}
	info_filters(r->out, agg);
	if (agg->native_samples == 0)
		return 0;
	/* How the native stacks merged, over all the files. */
	merged = agg->native_samples - agg->merge_mismatch;
	fprintf(r->out, "\nnative_samples: %llu\n",
	    (unsigned long long)agg->native_samples);
	fprintf(r->out, "merged_samples: %llu (%.2f%%)\n",
	    (unsigned long long)merged, 100.0 * (double)merged /
	    (double)agg->native_samples);
	fprintf(r->out, "merge_partial: %llu (a stack was cut; merged as far "
	    "as it goes)\n", (unsigned long long)agg->merge_partial);
	fprintf(r->out, "merge_mismatch: %llu (%.2f%%; shown with Python "
	    "frames only)\n", (unsigned long long)agg->merge_mismatch,
	    100.0 * (double)agg->merge_mismatch /
	    (double)agg->native_samples);
	for (i = 0; i < agg->nproblems; i++)
		info_pair(r->out, "symbol_problem", agg->problems[i]);
	return 0;
}
