/*
 * pysig-report: read pysig profiles and print a report.  Exit status 0, or
 * 2 for a usage error, an unreadable or corrupt profile, or a failed write.
 */

#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "reader.h"
#include "report.h"

#define REPORT_EXIT_ERROR	2
#define REPORT_DEFAULT_LIMIT	25

static const struct {
	const char	*name;
	int		(*fn)(struct report *);
} report_formats[] = {
	{ "top", report_top },
	{ "tree", report_tree },
	{ "collapsed", report_collapsed },
	{ "info", report_info },
};
#define REPORT_NFORMATS	(sizeof report_formats / sizeof report_formats[0])

enum {
	OPT_MIN_PERCENT = 256,
	OPT_PYTHON_ONLY,
	OPT_NATIVE_ONLY,
	OPT_FOLD,
	OPT_NO_FOLD,
	OPT_DEBUG_DIR,
	OPT_PER_PROCESS,
	OPT_PER_THREAD,
	OPT_THREAD,
	OPT_IDLE,
	OPT_NO_IDLE,
	OPT_GIL,
};

static const struct option report_longopts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "limit", required_argument, NULL, 'n' },
	{ "min-percent", required_argument, NULL, OPT_MIN_PERCENT },
	{ "python-only", no_argument, NULL, OPT_PYTHON_ONLY },
	{ "native-only", no_argument, NULL, OPT_NATIVE_ONLY },
	{ "fold", no_argument, NULL, OPT_FOLD },
	{ "no-fold", no_argument, NULL, OPT_NO_FOLD },
	{ "debug-dir", required_argument, NULL, OPT_DEBUG_DIR },
	{ "per-process", no_argument, NULL, OPT_PER_PROCESS },
	{ "per-thread", no_argument, NULL, OPT_PER_THREAD },
	{ "thread", required_argument, NULL, OPT_THREAD },
	{ "idle", no_argument, NULL, OPT_IDLE },
	{ "no-idle", no_argument, NULL, OPT_NO_IDLE },
	{ "gil", no_argument, NULL, OPT_GIL },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* Print the help text. */
static void
report_usage(FILE *f)
{
	fprintf(f,
"Usage: pysig-report [OPTION]... FILE...\n"
"Print a report of one or more pysig profiles (samples of several files are\n"
"added together).\n"
"\n"
"Options:\n"
"  -f, --format=FORMAT   the report to print (default: top):\n"
"                          top        functions by self time, with self%%,\n"
"                                     total%%, samples and file:line\n"
"                          tree       the call tree from the root, with the\n"
"                                     line executing in each frame\n"
"                          collapsed  one line per distinct stack, root first,\n"
"                                     frames joined by ';', then the count\n"
"                                     (flamegraph.pl, speedscope, inferno)\n"
"                          info       the profile's metadata and counters\n"
"  -o, --output=FILE     write the report to FILE instead of standard output\n"
"  -n, --limit=N         rows of the top report (default: %d, 0: all)\n"
"      --min-percent=P   leave out tree nodes below P%% of the samples\n"
"\n"
"Native stacks (profiles recorded with PYSIG_NATIVE=1, the default):\n"
"  By default each sample's native and Python stacks are merged: every\n"
"  frame of the interpreter's eval loop is replaced by the Python frames it\n"
"  was running, and C code between them (an extension calling back into\n"
"  Python) is kept.  Native frames read \"symbol (file.c:line)\" where the\n"
"  object file has DWARF debug information, \"symbol (library)\" otherwise.\n"
"      --python-only     show the Python frames alone\n"
"      --native-only     show the native frames alone, unmerged\n"
"      --no-fold         keep the interpreter's call plumbing (PyObject_Call,\n"
"                        _PyFunction_Vectorcall, ...) between the frames\n"
"                        shown; by default (--fold) it is left out\n"
"      --debug-dir=DIRS  colon-separated directories of separate debug\n"
"                        files (default: /usr/lib/debug, by build-id)\n"
"\n"
"Threads and processes (every thread is sampled on its own clock; each\n"
"Python process of a tree writes its own file):\n"
"      --per-process     a root frame per file: [process PID COMMAND LINE]\n"
"      --per-thread      a root frame per thread: [thread TID NAME]\n"
"      --thread=T        only the thread whose id or name is T\n"
"      --no-idle         wall mode: leave out samples of threads that were\n"
"                        waiting (sleep, I/O, a lock, the GIL); --idle\n"
"                        (the default) keeps them\n"
"      --gil             only samples of threads holding the GIL\n"
"  -h, --help            print this help and exit\n"
"  -V, --version         print the version and exit\n"
"\n"
"Exit status: 0 on success (also when a profile was cut short: a warning\n"
"says so), 2 on a usage error, an unreadable or corrupt profile or a failed\n"
"write.\n", REPORT_DEFAULT_LIMIT);
}

/* Print a usage error and exit. */
static void __attribute__((noreturn, format(printf, 1, 2)))
report_usage_error(const char *fmt, ...)
{
	va_list	ap;

	fputs("pysig-report: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'pysig-report --help' for more information.\n", stderr);
	exit(REPORT_EXIT_ERROR);
}

/* Print an error and exit. */
static void __attribute__((noreturn, format(printf, 1, 2)))
report_fatal(const char *fmt, ...)
{
	va_list	ap;

	fputs("pysig-report: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(REPORT_EXIT_ERROR);
}

/* Parse a non-negative integer option. */
static size_t
report_parse_count(const char *opt, const char *s)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 ||
	    v > SIZE_MAX)
		report_usage_error("%s: not a count: '%s'", opt, s);
	return (size_t)v;
}

/* Parse a percentage option. */
static double
report_parse_percent(const char *opt, const char *s)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !(v >= 0 && v <= 100))
		report_usage_error("%s: not a percentage from 0 to 100: '%s'",
		    opt, s);
	return v;
}

/* Print a string with control characters shown as '?'. */
void
report_text(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fputc('?', f);
		else
			fputc(*s, f);
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

/* A count as a percentage of all samples. */
double
report_percent(const struct report *r, uint64_t count)
{
	if (r->agg->samples == 0)
		return 0.0;
	return 100.0 * (double)count / (double)r->agg->samples;
}

/* Print the one-line summary: files, samples, duration. */
void
report_summary(struct report *r)
{
	const struct aggregate	*agg = r->agg;

	fprintf(r->out, "%zu file%s, %llu sample%s", agg->files,
	    agg->files == 1 ? "" : "s", (unsigned long long)agg->samples,
	    agg->samples == 1 ? "" : "s");
	if (agg->durations == agg->files && agg->files != 0)
		fprintf(r->out, ", %.3f s", (double)agg->duration_ns / 1e9);
	if (agg->weight_ns != 0)
		fprintf(r->out, ", %.3f s sampled", (double)agg->weight_ns / 1e9);
	if (agg->idle != 0)
		fprintf(r->out, ", %llu idle", (unsigned long long)agg->idle);
	if (agg->filtered != 0)
		fprintf(r->out, " (%llu left out)",
		    (unsigned long long)agg->filtered);
	fputc('\n', r->out);
}

/* Load every profile, warning about those cut short. */
static void
report_load(struct report *r, char **files, size_t n)
{
	struct reader_profile	*p;
	char			*cause;
	size_t			 i;

	r->profiles = calloc(n, sizeof *r->profiles);
	if (r->profiles == NULL)
		report_fatal("out of memory");
	for (i = 0; i < n; i++) {
		p = reader_load(files[i], &cause);
		if (p == NULL)
			report_fatal("%s", cause != NULL ? cause :
			    "out of memory");
		if (p->truncated)
			fprintf(stderr, "pysig-report: warning: %s: truncated "
			    "at offset %llu; reporting the %zu samples before "
			    "it\n", files[i],
			    (unsigned long long)p->truncated_at, p->nsamples);
		if (p->unresolved != 0)
			fprintf(stderr, "pysig-report: warning: %s: %llu "
			    "samples left out: their stack or function was "
			    "never written (the process did not exit "
			    "cleanly)\n", files[i],
			    (unsigned long long)p->unresolved);
		r->profiles[r->nprofiles++] = p;
	}
}

/*
 * Warn about native stacks that could not be read well: files that are
 * missing or changed since recording, and merges that failed for more than
 * 1% of the samples with a native stack.
 */
static void
report_native_warnings(struct report *r)
{
	const struct aggregate	*agg = r->agg;
	size_t			 i;

	for (i = 0; i < agg->nproblems; i++)
		fprintf(stderr, "pysig-report: warning: %s\n", agg->problems[i]);
	if (agg->native_samples != 0 &&
	    agg->merge_mismatch * 100 > agg->native_samples)
		fprintf(stderr, "pysig-report: warning: %llu of %llu samples "
		    "(%.1f%%) have native and Python stacks that do not match; "
		    "they are shown with their Python frames only\n",
		    (unsigned long long)agg->merge_mismatch,
		    (unsigned long long)agg->native_samples,
		    100.0 * (double)agg->merge_mismatch /
		    (double)agg->native_samples);
}

int
main(int argc, char **argv)
{
	struct report	 r;
	const char	*output = NULL;
	int		(*fn)(struct report *) = report_top;
	enum aggregate_view view = AGGREGATE_VIEW_MIXED;
	const char	*debug_dirs = NULL;
	int		 ch, found, error, no_fold = 0, per_thread = 0;
	int		 per_process = 0;
	int		 no_idle = 0, gil_only = 0;
	const char	*thread = NULL;
	size_t		 i;

	memset(&r, 0, sizeof r);
	r.limit = REPORT_DEFAULT_LIMIT;
	/* Symbolization reads local files only: no debuginfod downloads. */
	unsetenv("DEBUGINFOD_URLS");
	while ((ch = getopt_long(argc, argv, "f:o:n:hV", report_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			found = 0;
			for (i = 0; i < REPORT_NFORMATS; i++) {
				if (strcmp(optarg, report_formats[i].name) == 0) {
					fn = report_formats[i].fn;
					found = 1;
				}
			}
			if (!found)
				report_usage_error("unknown format '%s' (top, "
				    "tree, collapsed or info)", optarg);
			break;
		case 'o':
			output = optarg;
			break;
		case 'n':
			r.limit = report_parse_count("--limit", optarg);
			break;
		case OPT_MIN_PERCENT:
			r.min_percent = report_parse_percent("--min-percent",
			    optarg);
			break;
		case OPT_PYTHON_ONLY:
			view = AGGREGATE_VIEW_PYTHON;
			break;
		case OPT_NATIVE_ONLY:
			view = AGGREGATE_VIEW_NATIVE;
			break;
		case OPT_FOLD:
			no_fold = 0;
			break;
		case OPT_NO_FOLD:
			no_fold = 1;
			break;
		case OPT_DEBUG_DIR:
			debug_dirs = optarg;
			break;
		case OPT_PER_PROCESS:
			per_process = 1;
			break;
		case OPT_PER_THREAD:
			per_thread = 1;
			break;
		case OPT_THREAD:
			thread = optarg;
			break;
		case OPT_IDLE:
		case OPT_NO_IDLE:
			no_idle = ch == OPT_NO_IDLE;
			break;
		case OPT_GIL:
			gil_only = 1;
			break;
		case 'h':
			report_usage(stdout);
			return 0;
		case 'V':
			printf("pysig-report %s\n", PACKAGE_VERSION);
			return 0;
		default:
			/* getopt_long printed what was wrong. */
			fputs("Try 'pysig-report --help' for more "
			    "information.\n", stderr);
			return REPORT_EXIT_ERROR;
		}
	}
	if (optind >= argc)
		report_usage_error("no profile given");

	report_load(&r, argv + optind, (size_t)(argc - optind));
	if ((r.agg = aggregate_create()) == NULL)
		report_fatal("out of memory");
	r.agg->view = view;
	r.agg->no_fold = no_fold;
	r.agg->debug_dirs = debug_dirs;
	r.agg->per_process = per_process;
	r.agg->per_thread = per_thread;
	r.agg->thread = thread;
	r.agg->no_idle = no_idle;
	r.agg->gil_only = gil_only;
	for (i = 0; i < r.nprofiles; i++) {
		if (aggregate_add(r.agg, r.profiles[i]) != 0)
			report_fatal("out of memory");
	}
	if (aggregate_finish(r.agg) != 0)
		report_fatal("out of memory");
	report_native_warnings(&r);

	/* Opened only now, so a bad profile does not clobber it. */
	r.out = stdout;
	if (output != NULL && (r.out = fopen(output, "w")) == NULL)
		report_fatal("%s: %s", output, strerror(errno));
	if (fn(&r) != 0)
		report_fatal("out of memory");
	error = ferror(r.out);
	if (fclose(r.out) != 0 || error)
		report_fatal("%s: write error: %s",
		    output != NULL ? output : "standard output",
		    strerror(errno != 0 ? errno : EIO));

	aggregate_free(r.agg);
	for (i = 0; i < r.nprofiles; i++)
		reader_free(r.profiles[i]);
	free(r.profiles);
	return 0;
}
