/*
 * Environment variables of the injected library.  Parsing is strict: the
 * whole value must be a decimal number in range, anything else is reported
 * and replaced by the default, so a typo never silently changes a profile.
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"

/* Parse a whole decimal number in [min, max]; 0 on success, -1 if not. */
int
options_parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	unsigned long	 v;
	char		*end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Read an unsigned variable, reporting a bad value and using def. */
static unsigned int
options_uint(const char *name, unsigned int def, unsigned int min,
    unsigned int max)
{
	const char	*s = getenv(name);
	unsigned long	 v;

	if (s == NULL || *s == '\0')
		return def;
	if (options_parse_uint(s, min, max, &v) != 0) {
		fprintf(stderr, "pysig: %s=%.64s: not a whole number from %u "
		    "to %u; using %u\n", name, s, min, max, def);
		return def;
	}
	return (unsigned int)v;
}

/*
 * A variable that is one of two words: 1 for the second, 0 for the first
 * (the default: unset, empty or anything else, which gets its line).
 */
static int
options_choice(const char *name, const char *first, const char *second)
{
	const char	*s = getenv(name);

	if (s == NULL || *s == '\0' || strcmp(s, first) == 0)
		return 0;
	if (strcmp(s, second) == 0)
		return 1;
	fprintf(stderr, "pysig: %s=%.64s: not \"%s\" or \"%s\"; using %s\n",
	    name, s, first, second, first);
	return 0;
}

/*
 * Read a time in seconds (a decimal number, fractions allowed, at most a
 * day) as ns, reporting a bad value and using 0.
 */
static uint64_t
options_seconds(const char *name)
{
	const char	*s = getenv(name);
	char		*end;
	double		 v;

	if (s == NULL || *s == '\0')
		return 0;
	errno = 0;
	v = strtod(s, &end);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 ||
	    !(v >= 0 && v <= 86400)) {
		fprintf(stderr, "pysig: %s=%.64s: not a number of seconds from "
		    "0 to 86400; using 0\n", name, s);
		return 0;
	}
	return (uint64_t)(v * 1e9);
}

/*
 * Read the pause/resume signal: a name (SIGUSR2 or USR2) or a number.
 * Signals the program or pysig cannot give up are refused.
 */
static int
options_signal(void)
{
	static const struct {
		const char	*name;
		int		 sig;
	} names[] = {
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "HUP", SIGHUP },
		{ "WINCH", SIGWINCH }, { "URG", SIGURG },
	};
	const char	*s = getenv("PYSIG_TOGGLE_SIGNAL"), *n;
	unsigned long	 v;
	size_t		 i;

	if (s == NULL || *s == '\0')
		return 0;
	n = strncmp(s, "SIG", 3) == 0 ? s + 3 : s;
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(n, names[i].name) == 0)
			return names[i].sig;
	if (options_parse_uint(s, 1, (unsigned long)SIGRTMAX, &v) == 0 &&
	    (int)v != SIGPROF && (int)v != SIGKILL && (int)v != SIGSTOP &&
	    (int)v != SIGSEGV && (int)v != SIGBUS)
		return (int)v;
	fprintf(stderr, "pysig: PYSIG_TOGGLE_SIGNAL=%.64s: not a signal "
	    "name (SIGUSR1, SIGUSR2, SIGHUP, SIGWINCH, SIGURG) or number; "
	    "none\n", s);
	return 0;
}

/* Read PYSIG_* into cfg. */
int
options_load(struct options *cfg)
{
	const char	*s;
	unsigned long	 v;
	size_t		 n;

	memset(cfg, 0, sizeof *cfg);
	s = getenv("PYSIG_QUIET");
	if (s != NULL && *s != '\0') {
		if (options_parse_uint(s, 0, 1, &v) != 0)
			fprintf(stderr, "pysig: PYSIG_QUIET=%.64s: not 0 or 1; "
			    "using 0\n", s);
		else
			cfg->quiet = (int)v;
	}
	cfg->rate = options_uint("PYSIG_RATE", OPTIONS_RATE_DEFAULT, 1,
	    OPTIONS_RATE_MAX);
	cfg->max_depth = options_uint("PYSIG_MAX_DEPTH", OPTIONS_DEPTH_DEFAULT,
	    1, OPTIONS_DEPTH_MAX);
	cfg->native = (int)options_uint("PYSIG_NATIVE", 1, 0, 1);
	cfg->follow = (int)options_uint("PYSIG_FOLLOW", 1, 0, 1);
	cfg->delay_ns = options_seconds("PYSIG_DELAY");
	cfg->duration_ns = options_seconds("PYSIG_DURATION");
	cfg->toggle_signal = options_signal();
	cfg->native_depth = options_uint("PYSIG_NATIVE_DEPTH",
	    OPTIONS_NATIVE_DEPTH_DEFAULT, 1, OPTIONS_NATIVE_DEPTH_MAX);
	cfg->idle_slowdown = options_uint("PYSIG_IDLE_SLOWDOWN",
	    OPTIONS_IDLE_SLOWDOWN_DEFAULT, 1, OPTIONS_IDLE_SLOWDOWN_MAX);
	cfg->wall = options_choice("PYSIG_MODE", "cpu", "wall");
	cfg->cpu_timer = options_choice("PYSIG_CPU_TIMER", "perf", "posix") ?
	    OPTIONS_CPU_TIMER_POSIX : OPTIONS_CPU_TIMER_PERF;
	cfg->unwind = options_choice("PYSIG_UNWIND", "trace", "step") ?
	    OPTIONS_UNWIND_STEP : OPTIONS_UNWIND_TRACE;

	s = getenv("PYSIG_OUTPUT");
	if (s == NULL || *s == '\0')
		s = "out.prof";
	n = strlen(s);
	if (n >= sizeof cfg->output - 16) {
		fprintf(stderr, "pysig: PYSIG_OUTPUT: path too long; "
		    "not profiling\n");
		return -1;
	}
	memcpy(cfg->output, s, n + 1);
	return 0;
}
