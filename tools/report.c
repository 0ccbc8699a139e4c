/*
 * pysig-report: helpers the output formats share (see report.h).
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "aggregate.h"
#include "report.h"

/* Print a string with control characters shown as '?'. */
void
report_text(FILE *f, const char *s)
{
	size_t	n;

	while (*s != '\0') {
		/* Runs of printable bytes in one write. */
		for (n = 0; (unsigned char)s[n] >= 0x20 && s[n] != 0x7f; n++)
			;
		fwrite(s, 1, n, f);
		if (s[n] == '\0')
			break;
		fputc('?', f);
		s += n + 1;
	}
}

/* The number of characters (not bytes) of a UTF-8 string. */
size_t
report_width(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* A count as a percentage of all samples (of agg). */
double
report_percent_of(const struct aggregate *agg, uint64_t count)
{
	if (agg->samples == 0)
		return 0.0;
	return 100.0 * (double)count / (double)agg->samples;
}

/* A count as a percentage of all samples. */
double
report_percent(const struct report *r, uint64_t count)
{
	return report_percent_of(r->agg, count);
}

/* Print the one-line summary of an aggregate: files, samples, duration. */
void
report_summary_of(FILE *f, const struct aggregate *agg)
{
	fprintf(f, "%zu file%s, %llu sample%s", agg->files,
	    agg->files == 1 ? "" : "s", (unsigned long long)agg->samples,
	    agg->samples == 1 ? "" : "s");
	if (agg->samples != agg->samples_read)
		fprintf(f, " (of %llu; filtered)",
		    (unsigned long long)agg->samples_read);
	if (agg->durations == agg->files && agg->files != 0)
		fprintf(f, ", %.3f s", (double)agg->duration_ns / 1e9);
	if (agg->weight_ns != 0)
		fprintf(f, ", %.3f s sampled", (double)agg->weight_ns / 1e9);
	if (agg->idle != 0)
		fprintf(f, ", %llu idle", (unsigned long long)agg->idle);
	fputc('\n', f);
}

/* Print the one-line summary: files, samples, duration. */
void
report_summary(struct report *r)
{
	report_summary_of(r->out, r->agg);
}
