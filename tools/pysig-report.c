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
#include <unistd.h>

#include "aggregate.h"
#include "reader.h"
#include "report.h"

#define REPORT_EXIT_ERROR	2
#define REPORT_DEFAULT_LIMIT	25
/* The output stream's buffer. */
#define REPORT_OUTBUF		(1 << 20)

static const struct {
	const char	*name;
	int		(*fn)(struct report *);
} report_formats[] = {
	{ "top", report_top },
	{ "tree", report_tree },
	{ "collapsed", report_collapsed },
	{ "info", report_info },
	{ "pstats", report_pstats },
	{ "callgrind", report_callgrind },
	{ "pprof", report_pprof },
	{ "diffgraph", report_diffgraph },
	{ "flamegraph", report_flamegraph },
	{ "speedscope", report_speedscope },
	{ "chrome", report_chrome },
};
#define REPORT_NFORMATS	(sizeof report_formats / sizeof report_formats[0])

enum {
	OPT_MIN_PERCENT = 256,
	OPT_PYTHON_ONLY,
	OPT_NATIVE_ONLY,
	OPT_FOLD,
	OPT_NO_FOLD,
	OPT_DEBUG_DIR,
	OPT_DIFF,
	OPT_FOCUS,
	OPT_EXCLUDE,
	OPT_LINES,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_ICICLE,
	OPT_PER_PROCESS,
	OPT_PER_THREAD,
	OPT_THREAD,
	OPT_IDLE,
	OPT_NO_IDLE,
	OPT_GIL,
	OPT_FRAME_ARGS,
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
	{ "diff", required_argument, NULL, OPT_DIFF },
	{ "focus", required_argument, NULL, OPT_FOCUS },
	{ "exclude", required_argument, NULL, OPT_EXCLUDE },
	{ "lines", no_argument, NULL, OPT_LINES },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "icicle", no_argument, NULL, OPT_ICICLE },
	{ "frame-args", no_argument, NULL, OPT_FRAME_ARGS },
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
"                          pstats     Python's pstats file (python -m pstats,\n"
"                                     SnakeViz, gprof2dot); use -o\n"
"                          callgrind  for KCacheGrind and callgrind_annotate\n"
"                          pprof      gzip'd profile.proto for pprof; use -o\n"
"                          diffgraph  with --diff: a differential flame\n"
"                                     graph (SVG; red grew, blue shrank)\n"
"                          flamegraph an interactive flame graph, one HTML\n"
"                                     file for any web browser: hover,\n"
"                                     click to zoom, search (#search=RE)\n"
"                          speedscope speedscope's JSON, one profile per\n"
"                                     thread (www.speedscope.app)\n"
"                          chrome     Trace Event Format JSON: per thread,\n"
"                                     frames over time (ui.perfetto.dev,\n"
"                                     chrome://tracing)\n"
"  -o, --output=FILE     write the report to FILE instead of standard output\n"
"  -n, --limit=N         rows of the top and lines reports (default: %d,\n"
"                        0: all)\n"
"      --min-percent=P   leave out what has less than P%% of the samples:\n"
"                        top and lines rows (self samples), tree nodes,\n"
"                        collapsed stacks\n"
"      --icicle          flamegraph: callers at the top, callees below\n"
"      --frame-args      chrome: each event's category and where its\n"
"                        function is (file and line, or file and module),\n"
"                        as args; the trace gets about twice as large\n"
"      --lines           the hottest lines instead of functions: self\n"
"                        samples per function and line, with the source\n"
"                        line quoted when the file can be read\n"
"      --diff=BASE       compare with the profile BASE (repeatable: added\n"
"                        together), in percentages of each one's samples:\n"
"                        top gives base%%, new%% and change per function,\n"
"                        sorted by the size of the change; collapsed gives\n"
"                        \"stack base new\" lines, base counts scaled to the\n"
"                        new total (difffolded.pl, flamegraph.pl, inferno)\n"
"\n"
"Filters (for every format; percentages are of the samples kept):\n"
"      --since=T         leave out samples before T, seconds from the\n"
"                        profile's start (1.5, 1.5s, 1500ms)\n"
"      --until=T         leave out samples from T on\n"
"      --focus=REGEX     keep only the samples whose stack has a frame\n"
"                        matching REGEX (POSIX extended, tried on the\n"
"                        function name, on \"file:line\" and on the native\n"
"                        library); the whole stack is kept, callers too\n"
"      --exclude=REGEX   leave out the samples whose stack has a frame\n"
"                        matching REGEX\n"
"  --focus and --exclude may be repeated: a sample is kept if a frame\n"
"  matches any --focus and none matches any --exclude.\n"
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

/* Say that a format is unknown, listing those of the table, and exit. */
static void __attribute__((noreturn))
report_unknown_format(const char *name)
{
	char	list[512];
	size_t	i, len = 0;

	list[0] = '\0';
	for (i = 0; i < REPORT_NFORMATS && len < sizeof list; i++) {
		len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
		    i == 0 ? "" : i + 1 == REPORT_NFORMATS ? " or " : ", ",
		    report_formats[i].name);
	}
	report_usage_error("unknown format '%s' (%s)", name, list);
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

/*
 * Parse a time from the profile's start, "1.5", "1.5s" or "1500ms", into
 * microseconds.
 */
static int64_t
report_parse_time(const char *opt, const char *s)
{
	char	*end;
	double	 v, scale = 1e6;

	errno = 0;
	v = strtod(s, &end);
	if (strcmp(end, "ms") == 0)
		scale = 1e3;
	else if (strcmp(end, "s") != 0 && *end != '\0')
		end = NULL;
	if (*s == '\0' || end == NULL || end == s || errno != 0 ||
	    !(v >= 0 && v * scale < 9e18))
		report_usage_error("%s: not a time from the profile's start "
		    "(seconds, or with s or ms): '%s'", opt, s);
	return (int64_t)(v * scale + 0.5);
}

/* Load every profile, warning about those cut short. */
static struct reader_profile **
report_load(char **files, size_t n)
{
	struct reader_profile	**profiles, *p;
	char			 *cause;
	size_t			  i;

	if ((profiles = calloc(n + 1, sizeof *profiles)) == NULL)
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
		profiles[i] = p;
	}
	return profiles;
}

/* Options that make an aggregate. */
struct report_options {
	enum aggregate_view	 view;
	int			 no_fold;
	const char		*debug_dirs;
	int64_t			 since_us;
	int64_t			 until_us;
	char			**focus;
	size_t			 nfocus;
	char			**exclude;
	size_t			 nexclude;
	int			 keep_samples;
	int			 per_process;
	int			 per_thread;
	const char		*thread;
	int			 no_idle;
	int			 gil_only;
};

/* Aggregate profiles with the options, finished. */
static struct aggregate *
report_aggregate(const struct report_options *o,
    struct reader_profile **profiles, size_t n)
{
	struct aggregate	*agg;
	char			*cause;
	size_t			 i;
	int			 error;

	if ((agg = aggregate_create()) == NULL)
		report_fatal("out of memory");
	agg->view = o->view;
	agg->no_fold = o->no_fold;
	agg->debug_dirs = o->debug_dirs;
	agg->since_us = o->since_us;
	agg->until_us = o->until_us;
	agg->keep_samples = o->keep_samples;
	agg->per_process = o->per_process;
	agg->per_thread = o->per_thread;
	agg->thread = o->thread;
	agg->no_idle = o->no_idle;
	agg->gil_only = o->gil_only;
	for (i = 0; i < o->nfocus + o->nexclude; i++) {
		if (i < o->nfocus)
			error = aggregate_focus(agg, o->focus[i], &cause);
		else
			error = aggregate_exclude(agg, o->exclude[i - o->nfocus],
			    &cause);
		if (error == -EINVAL)
			report_usage_error("--%s: %s", i < o->nfocus ?
			    "focus" : "exclude", cause != NULL ? cause :
			    "out of memory");
		if (error != 0)
			report_fatal("out of memory");
	}
	for (i = 0; i < n; i++) {
		if (aggregate_add(agg, profiles[i]) != 0)
			report_fatal("out of memory");
	}
	if (aggregate_finish(agg) != 0)
		report_fatal("out of memory");
	return agg;
}

/* Add an option's value to a list. */
static void
report_push(char ***list, size_t *n, char *value)
{
	char	**p;

	if ((p = realloc(*list, (*n + 1) * sizeof **list)) == NULL)
		report_fatal("out of memory");
	p[(*n)++] = value;
	*list = p;
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
	struct report		  r;
	struct report_options	  o;
	struct reader_profile	**base;
	char			**diff = NULL, *outbuf = NULL;
	const char		 *output = NULL, *format = NULL;
	int			(*fn)(struct report *) = report_top;
	int			  ch, found, error, lines = 0;
	size_t			  i, ndiff = 0;

	memset(&r, 0, sizeof r);
	memset(&o, 0, sizeof o);
	r.limit = REPORT_DEFAULT_LIMIT;
	o.view = AGGREGATE_VIEW_MIXED;
	o.since_us = INT64_MIN;
	o.until_us = INT64_MAX;
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
				report_unknown_format(optarg);
			format = optarg;
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
			o.view = AGGREGATE_VIEW_PYTHON;
			break;
		case OPT_NATIVE_ONLY:
			o.view = AGGREGATE_VIEW_NATIVE;
			break;
		case OPT_FOLD:
			o.no_fold = 0;
			break;
		case OPT_NO_FOLD:
			o.no_fold = 1;
			break;
		case OPT_DEBUG_DIR:
			o.debug_dirs = optarg;
			break;
		case OPT_DIFF:
			report_push(&diff, &ndiff, optarg);
			break;
		case OPT_FOCUS:
			report_push(&o.focus, &o.nfocus, optarg);
			break;
		case OPT_EXCLUDE:
			report_push(&o.exclude, &o.nexclude, optarg);
			break;
		case OPT_LINES:
			lines = 1;
			break;
		case OPT_SINCE:
			o.since_us = report_parse_time("--since", optarg);
			break;
		case OPT_UNTIL:
			o.until_us = report_parse_time("--until", optarg);
			break;
		case OPT_ICICLE:
			r.icicle = 1;
			break;
		case OPT_FRAME_ARGS:
			r.frame_args = 1;
			break;
		case OPT_PER_PROCESS:
			o.per_process = 1;
			break;
		case OPT_PER_THREAD:
			o.per_thread = 1;
			break;
		case OPT_THREAD:
			o.thread = optarg;
			break;
		case OPT_IDLE:
		case OPT_NO_IDLE:
			o.no_idle = ch == OPT_NO_IDLE;
			break;
		case OPT_GIL:
			o.gil_only = 1;
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
	if (o.since_us != INT64_MIN && o.until_us <= o.since_us)
		report_usage_error("--until must be later than --since");
	if (lines && fn != report_top)
		report_usage_error("--lines is a report of its own; it does "
		    "not go with --format=%s", format);
	if (lines)
		fn = report_lines;
	if (ndiff != 0 && fn == report_top)
		fn = report_diff_top;
	else if (ndiff != 0 && fn == report_collapsed)
		fn = report_diff_collapsed;
	else if (ndiff != 0 && fn != report_diffgraph)
		report_usage_error("--diff goes with --format=top, collapsed "
		    "or diffgraph only");
	if (ndiff == 0 && fn == report_diffgraph)
		report_usage_error("--format=diffgraph needs --diff=BASE");

	/*
	 * The time-line formats need every sample, not only the tree; the
	 * exporters of times weigh each sample by its own file's period.
	 */
	o.keep_samples = fn == report_speedscope || fn == report_chrome ||
	    (argc - optind > 1 && (fn == report_pstats ||
	    fn == report_callgrind || fn == report_pprof));
	r.profiles = report_load(argv + optind, (size_t)(argc - optind));
	r.nprofiles = (size_t)(argc - optind);
	r.agg = report_aggregate(&o, r.profiles, r.nprofiles);
	report_native_warnings(&r);
	if (ndiff != 0) {
		/* Only the base's aggregate is used: free its profiles. */
		base = report_load(diff, ndiff);
		r.base = report_aggregate(&o, base, ndiff);
		for (i = 0; i < ndiff; i++)
			reader_free(base[i]);
		free(base);
	}

	/* Opened only now, so a bad profile does not clobber it. */
	r.out = stdout;
	if (output != NULL && (r.out = fopen(output, "w")) == NULL)
		report_fatal("%s: %s", output, strerror(errno));
	/*
	 * Exports run to gigabytes: write them in big blocks (glibc ignores
	 * the size unless it is given the buffer).
	 */
	if (!isatty(fileno(r.out)) &&
	    (outbuf = malloc(REPORT_OUTBUF)) != NULL)
		setvbuf(r.out, outbuf, _IOFBF, REPORT_OUTBUF);
	if (fn(&r) != 0)
		report_fatal("out of memory");
	error = ferror(r.out);
	if (fclose(r.out) != 0 || error)
		report_fatal("%s: write error: %s",
		    output != NULL ? output : "standard output",
		    strerror(errno != 0 ? errno : EIO));
	free(outbuf);

	aggregate_free(r.agg);
	aggregate_free(r.base);
	for (i = 0; i < r.nprofiles; i++)
		reader_free(r.profiles[i]);
	free(r.profiles);
	free(diff);
	free(o.focus);
	free(o.exclude);
	return 0;
}
