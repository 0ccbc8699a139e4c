/*
 * The lines report (--lines): the lines where the samples were taken,
 * hottest first, with the source line quoted when the file can be read:
 *
 *   1 file, 1200 samples, 1.204 s
 *
 *    self%   samples  function (file:line)
 *    45.0%       540  compute (/src/app.py:12)
 *                       total += i * i
 *
 * A line is a function and the line executing in it, whatever called it.
 * The file is the one the profile names (relative to the profiled
 * process's working directory if it was relative); a file that cannot be
 * read, or is shorter than the line, is quietly not quoted: it may have
 * changed since, or be "<string>".
 */

#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

/* Source files are read whole, up to this size. */
#define LINES_MAX_FILE	(64 << 20)
/* Characters of a source line quoted. */
#define LINES_MAX_QUOTE	160

/* A source file read, or found unreadable (data NULL). */
struct lines_file {
	char	*path;
	char	*data;
	size_t	 len;
};

/* The source files read so far. */
struct lines_cache {
	struct lines_file	*files;
	size_t			 n;
};

/*
 * Read a whole regular file into memory; NULL if it cannot be read.  The
 * profile names the file: it may as well be a FIFO or a device, which
 * must not block or be read.
 */
static char *
lines_read(const char *path, size_t *len)
{
	struct stat	 sb;
	char		*data;
	ssize_t		 n;
	int		 fd;

	if (path[0] == '\0' ||
	    (fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > LINES_MAX_FILE ||
	    (data = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	*len = 0;
	while (*len < (size_t)sb.st_size) {
		n = read(fd, data + *len, (size_t)sb.st_size - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	data[*len] = '\0';
	close(fd);
	return data;
}

/* The text of a file, read the first time; NULL if it cannot be read. */
static const struct lines_file *
lines_file(struct lines_cache *c, const char *path)
{
	struct lines_file	*files, *lf;
	size_t			 i;

	for (i = 0; i < c->n; i++) {
		if (strcmp(c->files[i].path, path) == 0)
			return &c->files[i];
	}
	files = realloc(c->files, (c->n + 1) * sizeof *files);
	if (files == NULL)
		return NULL;
	c->files = files;
	lf = &files[c->n];
	if ((lf->path = strdup(path)) == NULL)
		return NULL;
	lf->len = 0;
	lf->data = lines_read(path, &lf->len);
	c->n++;
	return lf;
}

/* Print line number line of a file, trimmed, on its own indented line. */
static void
lines_quote(FILE *out, struct lines_cache *c, const char *path, int line)
{
	const struct lines_file	*lf;
	const char		*p, *end, *limit;
	char			 buf[LINES_MAX_QUOTE * 4 + 1];
	size_t			 n, chars = 0;
	int			 k;

	if (line <= 0 || (lf = lines_file(c, path)) == NULL ||
	    lf->data == NULL)
		return;
	p = lf->data;
	limit = lf->data + lf->len;
	for (k = 1; k < line; k++) {
		if ((p = memchr(p, '\n', (size_t)(limit - p))) == NULL)
			return;
		p++;
	}
	if ((end = memchr(p, '\n', (size_t)(limit - p))) == NULL)
		end = limit;
	while (p < end && strchr(" \t\r\f\v", *p) != NULL)
		p++;
	while (end > p && strchr(" \t\r\f\v", end[-1]) != NULL)
		end--;
	if (p == end)
		return;
	/* At most LINES_MAX_QUOTE characters, cut between characters. */
	for (n = 0; p + n < end && n < sizeof buf - 1; n++) {
		if (((unsigned char)p[n] & 0xc0) != 0x80 &&
		    chars++ == LINES_MAX_QUOTE)
			break;
	}
	while (n > 0 && p + n < end && ((unsigned char)p[n] & 0xc0) == 0x80)
		n--;
	memcpy(buf, p, n);
	buf[n] = '\0';
	fputs("                     ", out);
	report_text(out, buf);
	if (p + n < end)
		fputs(" ...", out);
	fputc('\n', out);
}

/* Print the lines report. */
int
report_lines(struct report *r)
{
	const struct aggregate		*agg = r->agg;
	const struct aggregate_func	*fn;
	struct aggregate_hot		*hot;
	struct lines_cache		 cache = { NULL, 0 };
	size_t				 n, i, shown;
	char				 where[4096 + 32];

	if (aggregate_hot_lines(agg, &hot, &n) != 0)
		return -1;
	for (shown = 0; shown < n &&
	    report_percent(r, hot[shown].self) >= r->min_percent; shown++)
		;
	if (r->limit != 0 && shown > r->limit)
		shown = r->limit;

	report_summary(r);
	fputs("\n  self%   samples  function (file:line)\n", r->out);
	for (i = 0; i < shown; i++) {
		fn = &agg->funcs[hot[i].func];
		fprintf(r->out, "%6.1f%%  %8llu  ",
		    report_percent(r, hot[i].self),
		    (unsigned long long)hot[i].self);
		report_text(r->out, fn->name);
		aggregate_where(fn, hot[i].line, where, sizeof where);
		if (where[0] != '\0') {
			fputs(" (", r->out);
			report_text(r->out, where);
			fputc(')', r->out);
		}
		fputc('\n', r->out);
		if (!fn->pseudo)
			lines_quote(r->out, &cache, fn->file, hot[i].line);
	}
	if (n > shown)
		fprintf(r->out, "(%zu more lines; -n 0%s shows all)\n",
		    n - shown, r->min_percent > 0 ? " --min-percent=0" : "");
	for (i = 0; i < cache.n; i++) {
		free(cache.files[i].path);
		free(cache.files[i].data);
	}
	free(cache.files);
	free(hot);
	return 0;
}
