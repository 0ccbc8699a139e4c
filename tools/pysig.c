/*
 * pysig: the launcher.  "pysig record [OPTION]... [--] PROGRAM [ARG]..."
 * finds libpysig.so, puts it in LD_PRELOAD with the PYSIG_* variables the
 * options ask for and executes the program in its place, so that the
 * program's exit status (or the signal that killed it) is the launcher's.
 * "pysig report ..." executes pysig-report.  Exit status 2 for a usage
 * error, 127 if the program cannot be found, 126 if it cannot be run.
 */

#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PYSIG_EXIT_USAGE	2

static const struct option pysig_record_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "rate", required_argument, NULL, 'r' },
	{ "mode", required_argument, NULL, 'm' },
	{ "native", no_argument, NULL, 'N' },
	{ "no-native", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* Print the help text. */
static void
pysig_usage(FILE *f)
{
	fputs(
"Usage: pysig record [OPTION]... [--] PROGRAM [ARG]...\n"
"       pysig report [PYSIG-REPORT OPTION]... PROFILE...\n"
"Profile a Python program with libpysig.so, or report on its profiles.\n"
"\n"
"record runs PROGRAM (a python3 command) with the library preloaded; its\n"
"exit status is PROGRAM's.  Options (the defaults are libpysig's):\n"
"  -o, --output=FILE     the profile to write (PYSIG_OUTPUT, default\n"
"                        out.prof; \"%p\" stands for the process id)\n"
"  -r, --rate=N          samples per second and per thread, 1 to 10000\n"
"                        (PYSIG_RATE, default 100)\n"
"  -m, --mode=MODE       cpu: per second of each thread's CPU time (the\n"
"                        default); wall: per second of wall-clock time,\n"
"                        idle threads too (PYSIG_MODE)\n"
"      --native          record native (C) stacks too (the default)\n"
"      --no-native       Python stacks only (PYSIG_NATIVE=0)\n"
"Other PYSIG_* variables in the environment are passed on (see\n"
"libpysig(7)).\n"
"\n"
"report runs pysig-report with the arguments given (see pysig-report(1)).\n"
"\n"
"  -h, --help            print this help and exit\n"
"  -V, --version         print the version and exit\n", f);
}

/* Print a usage error and exit. */
static void __attribute__((noreturn, format(printf, 1, 2)))
pysig_usage_error(const char *fmt, ...)
{
	va_list	ap;

	fputs("pysig: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'pysig --help' for more information.\n", stderr);
	exit(PYSIG_EXIT_USAGE);
}

/* The directory of this executable, or "" if unknown. */
static void
pysig_self_dir(char *buf, size_t size)
{
	ssize_t	 n;
	char	*slash;

	n = readlink("/proc/self/exe", buf, size - 1);
	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	buf[n] = '\0';
	if ((slash = strrchr(buf, '/')) != NULL)
		*slash = '\0';
}

/*
 * Find a file: beside this executable (dir/rel for each of rels), else in
 * the configured directory.  The first that exists, in buf; -1 if none.
 */
static int
pysig_find(const char *const *rels, size_t nrels, const char *configured,
    const char *name, char *buf, size_t size)
{
	char	dir[PATH_MAX];
	size_t	i;
	int	n;

	pysig_self_dir(dir, sizeof dir);
	for (i = 0; dir[0] != '\0' && i < nrels; i++) {
		n = snprintf(buf, size, "%s/%s/%s", dir, rels[i], name);
		if (n > 0 && (size_t)n < size && access(buf, R_OK) == 0)
			return 0;
	}
	n = snprintf(buf, size, "%s/%s", configured, name);
	if (n > 0 && (size_t)n < size && access(buf, R_OK) == 0)
		return 0;
	return -1;
}

/* Execute argv in place of this process; return only to exit with why. */
static int
pysig_exec(char **argv)
{
	int	error;

	execvp(argv[0], argv);
	error = errno;
	fprintf(stderr, "pysig: %s: %s\n", argv[0], strerror(error));
	return error == ENOENT ? 127 : 126;
}

/* pysig record. */
static int
pysig_record(int argc, char **argv)
{
	/* Installed: bin/../lib; in the build tree: .libs beside us. */
	static const char *const rels[] = { ".libs", "../lib", "../lib64" };
	char		 lib[PATH_MAX], *preload, *end;
	const char	*old;
	unsigned long	 rate;
	int		 ch;
	size_t		 n;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+o:r:m:h", pysig_record_opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'o':
			if (*optarg == '\0')
				pysig_usage_error("--output: empty file name");
			setenv("PYSIG_OUTPUT", optarg, 1);
			break;
		case 'r':
			errno = 0;
			rate = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    errno != 0 || rate < 1 || rate > 10000)
				pysig_usage_error("--rate: not a whole number "
				    "from 1 to 10000: '%s'", optarg);
			setenv("PYSIG_RATE", optarg, 1);
			break;
		case 'm':
			if (strcmp(optarg, "cpu") != 0 &&
			    strcmp(optarg, "wall") != 0)
				pysig_usage_error("--mode: not cpu or wall: "
				    "'%s'", optarg);
			setenv("PYSIG_MODE", optarg, 1);
			break;
		case 'N':
			setenv("PYSIG_NATIVE", "1", 1);
			break;
		case 'n':
			setenv("PYSIG_NATIVE", "0", 1);
			break;
		case 'h':
			pysig_usage(stdout);
			return 0;
		default:
			fputs("Try 'pysig --help' for more information.\n",
			    stderr);
			return PYSIG_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		pysig_usage_error("record: no program given");
	if (pysig_find(rels, sizeof rels / sizeof rels[0], PYSIG_LIBDIR,
	    "libpysig.so", lib, sizeof lib) != 0) {
		fprintf(stderr, "pysig: libpysig.so not found beside %s nor in "
		    "%s\n", "this program", PYSIG_LIBDIR);
		return 127;
	}
	/* Ours first; keep what the caller preloads. */
	old = getenv("LD_PRELOAD");
	n = strlen(lib) + (old != NULL ? strlen(old) + 1 : 0) + 1;
	if ((preload = malloc(n)) == NULL) {
		fputs("pysig: out of memory\n", stderr);
		return 127;
	}
	snprintf(preload, n, "%s%s%s", lib, old != NULL && *old != '\0' ?
	    ":" : "", old != NULL ? old : "");
	setenv("LD_PRELOAD", preload, 1);
	free(preload);
	return pysig_exec(argv + optind);
}

/* pysig report: pysig-report beside us, else installed, else in PATH. */
static int
pysig_report(int argc, char **argv)
{
	static const char *const rels[] = { "." };
	char	path[PATH_MAX];

	(void)argc;
	if (pysig_find(rels, 1, PYSIG_BINDIR, "pysig-report", path,
	    sizeof path) == 0 && access(path, X_OK) == 0)
		argv[0] = path;
	else
		argv[0] = (char *)"pysig-report";
	return pysig_exec(argv);
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		pysig_usage_error("no command given (record or report)");
	if (strcmp(argv[1], "record") == 0)
		return pysig_record(argc - 1, argv + 1);
	if (strcmp(argv[1], "report") == 0)
		return pysig_report(argc - 1, argv + 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		pysig_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("pysig %s\n", PACKAGE_VERSION);
		return 0;
	}
	pysig_usage_error("unknown command '%s' (record or report)", argv[1]);
}
