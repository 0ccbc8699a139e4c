/*
 * libFuzzer harness over the profile reader, the aggregate and every
 * pysig-report format.  The first FUZZ_PREFIX bytes of an input choose the
 * format and the options, the rest is the profile; the report goes to
 * /dev/null.  Built and run by make fuzz (tests/fuzz/run.sh).
 *
 *   byte 0  format (fuzz_formats[], modulo)
 *   byte 1  bits 0-1 view (mixed, python, native), 2 --no-fold,
 *           3 --per-thread, 4 --per-process, 5 --no-idle, 6 --gil,
 *           7 --icicle
 *   byte 2  --limit
 *   byte 3  --min-percent (values above 100: 0)
 *   byte 4  low nibble --since, high nibble --until, in tenths of a second
 *           (0: none)
 *   byte 5  bits choosing --focus (0-3) and --exclude (4-7) patterns
 *   byte 6  --thread: 0 none, else a thread of the profile (id or name)
 *   byte 7  bit 0: the profile given twice; bit 1: the --diff base is a
 *           different cut of the input (the first half); bits 2-7 all
 *           set: native frames are symbolized from the files the profile
 *           names, as pysig-report does
 *
 * Otherwise the files a profile names are looked for under a directory
 * that does not exist (and no separate debug files): the seeds name this
 * machine's libc and libpython, whose DWARF takes libdw about a second per
 * input under ASan, a thousand times the rest of the work.  The symbolizer
 * still maps every address to its module; its use of real files is fuzzed
 * on one input in 64, and tested by tests/unit/check_symbol.c.
 */

#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "reader.h"
#include "report.h"

#define FUZZ_PREFIX	8
#define FUZZ_NOWHERE	"/nonexistent-pysig-fuzz"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The formats, as main() of pysig-report picks them; diff ones need a base. */
static const struct {
	int	(*fn)(struct report *);
	int	diff;
} fuzz_formats[] = {
	{ report_top, 0 },
	{ report_tree, 0 },
	{ report_collapsed, 0 },
	{ report_info, 0 },
	{ report_lines, 0 },
	{ report_pstats, 0 },
	{ report_callgrind, 0 },
	{ report_pprof, 0 },
	{ report_flamegraph, 0 },
	{ report_speedscope, 0 },
	{ report_chrome, 0 },
	{ report_diff_top, 1 },
	{ report_diff_collapsed, 1 },
	{ report_diffgraph, 1 },
};
#define FUZZ_NFORMATS	(sizeof fuzz_formats / sizeof fuzz_formats[0])

/* Patterns for --focus (the first four) and --exclude (the last four). */
static const char *fuzz_patterns[] = {
	"main", "\\.py:[0-9]+$", "libc", "^<",
	"[a-z]+_[a-z]+", "lib", "^$", "\\(",
};

static FILE	*fuzz_out;

/* Whether the input's prefix asks for symbols from the real files. */
static int
fuzz_real_files(const uint8_t *opt)
{
	return (opt[7] >> 2) == 0x3f;
}

/*
 * Parse a profile; unless opt asks for real files, its mappings point
 * under FUZZ_NOWHERE: "/lib/libc.so.6" becomes FUZZ_NOWHERE
 * "/lib/libc.so.6" (the same base name in the reports).  NULL if the
 * reader refuses the input (or memory runs out).
 */
static struct reader_profile *
fuzz_parse(const char *name, const uint8_t *opt, const uint8_t *data,
    size_t size)
{
	struct reader_profile	*prof;
	char			*cause = NULL, *path;
	size_t			 i;

	prof = reader_parse(name, data, size, &cause);
	free(cause);
	for (i = 0; prof != NULL && !fuzz_real_files(opt) &&
	    i < prof->nmappings; i++) {
		if (asprintf(&path, "%s%s", FUZZ_NOWHERE,
		    prof->mappings[i].path) < 0) {
			reader_free(prof);
			return NULL;
		}
		free(prof->mappings[i].path);
		prof->mappings[i].path = path;
	}
	return prof;
}

/* Aggregate profiles with the options of the prefix; NULL on error. */
static struct aggregate *
fuzz_aggregate(const uint8_t *opt, const char *thread, int keep,
    struct reader_profile **profiles, size_t n)
{
	struct aggregate	*agg;
	char			*cause = NULL;
	size_t			 i;
	int			 error = 0;

	if ((agg = aggregate_create()) == NULL)
		return NULL;
	agg->view = (enum aggregate_view)((opt[1] & 3) % 3);
	agg->no_fold = (opt[1] >> 2) & 1;
	agg->per_thread = (opt[1] >> 3) & 1;
	agg->per_process = (opt[1] >> 4) & 1;
	agg->no_idle = (opt[1] >> 5) & 1;
	agg->gil_only = (opt[1] >> 6) & 1;
	agg->since_us = INT64_MIN;
	agg->until_us = INT64_MAX;
	if ((opt[4] & 0xf) != 0)
		agg->since_us = (int64_t)(opt[4] & 0xf) * 100000;
	if ((opt[4] >> 4) != 0)
		agg->until_us = (int64_t)(opt[4] >> 4) * 100000;
	agg->thread = thread;
	agg->keep_samples = keep;
	if (!fuzz_real_files(opt))
		agg->debug_dirs = FUZZ_NOWHERE;
	for (i = 0; i < 8 && error == 0; i++) {
		if ((opt[5] & (1u << i)) == 0)
			continue;
		if (i < 4)
			error = aggregate_focus(agg, fuzz_patterns[i], &cause);
		else
			error = aggregate_exclude(agg, fuzz_patterns[i], &cause);
		free(cause);
		cause = NULL;
	}
	for (i = 0; i < n && error == 0; i++)
		error = aggregate_add(agg, profiles[i]);
	if (error == 0)
		error = aggregate_finish(agg);
	if (error != 0) {
		aggregate_free(agg);
		return NULL;
	}
	return agg;
}

/* Run one input: parse, aggregate and write one report. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader_profile	*profiles[2] = { NULL, NULL }, *base = NULL;
	const struct reader_thread *t;
	struct report		 r;
	const uint8_t		*opt = data;
	char			 thread[16];
	const char		*tname = NULL;
	size_t			 i, f, n;
	int			 keep;

	if (size < FUZZ_PREFIX)
		return 0;
	if (fuzz_out == NULL && (fuzz_out = fopen("/dev/null", "w")) == NULL)
		abort();
	data += FUZZ_PREFIX;
	size -= FUZZ_PREFIX;
	f = opt[0] % FUZZ_NFORMATS;
	n = 1 + (opt[7] & 1);

	if ((profiles[0] = fuzz_parse("fuzz", opt, data, size)) == NULL)
		return 0;
	if (n == 2 &&
	    (profiles[1] = fuzz_parse("fuzz2", opt, data, size)) == NULL)
		n = 1;
	if (opt[6] != 0 && profiles[0]->nthreads != 0) {
		t = &profiles[0]->threads[opt[6] % profiles[0]->nthreads];
		if (opt[6] & 0x80)
			tname = t->py_name[0] != '\0' ? t->py_name : t->os_name;
		else {
			snprintf(thread, sizeof thread, "%" PRIu32, t->tid);
			tname = thread;
		}
	}

	memset(&r, 0, sizeof r);
	r.out = fuzz_out;
	r.profiles = profiles;
	r.nprofiles = n;
	r.limit = opt[2];
	r.min_percent = opt[3] > 100 ? 0 : opt[3];
	r.icicle = opt[1] >> 7;
	/* As pysig-report decides it. */
	keep = fuzz_formats[f].fn == report_speedscope ||
	    fuzz_formats[f].fn == report_chrome || (n > 1 &&
	    (fuzz_formats[f].fn == report_pstats ||
	    fuzz_formats[f].fn == report_callgrind ||
	    fuzz_formats[f].fn == report_pprof));
	if ((r.agg = fuzz_aggregate(opt, tname, keep, profiles, n)) == NULL)
		goto out;
	if (fuzz_formats[f].diff) {
		/* The base: the same input, or its first half. */
		base = fuzz_parse("base", opt, data,
		    opt[7] & 2 ? size / 2 : size);
		if (base == NULL ||
		    (r.base = fuzz_aggregate(opt, tname, keep, &base, 1)) == NULL)
			goto out;
	}
	fuzz_formats[f].fn(&r);
	fflush(r.out);

out:
	aggregate_free(r.agg);
	aggregate_free(r.base);
	if (base != NULL)
		reader_free(base);
	for (i = 0; i < 2; i++) {
		if (profiles[i] != NULL)
			reader_free(profiles[i]);
	}
	return 0;
}
