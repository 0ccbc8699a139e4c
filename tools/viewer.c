/*
 * Helpers of the exporters for other viewers (viewer.h).  Names come from
 * the profiled program and are not trusted to be valid UTF-8: a byte that
 * does not start a valid sequence is written as U+FFFD, so the output is
 * always valid UTF-8, JSON or HTML whatever a name holds.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "viewer.h"

#define VIEWER_REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD */

/*
 * Decode the UTF-8 character at s into *cp; return its length in bytes, or
 * 1 with *cp = 0xfffd for an invalid, overlong or surrogate sequence.
 */
static size_t
viewer_utf8(const unsigned char *s, uint32_t *cp)
{
	uint32_t	c = s[0], min;
	size_t		n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 2; c &= 0x1f; min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3; c &= 0x0f; min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4; c &= 0x07; min = 0x10000;
	} else
		goto bad;
	for (i = 1; i < n; i++) {
		/* The NUL ending the string fails this test too. */
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*cp = c;
	return n;
bad:
	*cp = 0xfffd;
	return 1;
}

/* Write s as a JSON string, quotes included. */
void
viewer_json_string(FILE *f, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint32_t		 cp;
	size_t			 n;

	fputc('"', f);
	while (*p != '\0') {
		n = viewer_utf8(p, &cp);
		if (cp == '"' || cp == '\\') {
			fputc('\\', f);
			fputc((int)cp, f);
		} else if (cp < 0x20 || cp == 0x7f)
			fprintf(f, "\\u%04x", (unsigned int)cp);
		else if (cp == 0xfffd && n == 1)
			fputs(VIEWER_REPLACEMENT, f);
		else
			fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

/*
 * Format a time in nanoseconds as microseconds into buf (VIEWER_US_MAX
 * bytes, no NUL), with up to three decimals and no trailing zero (no point
 * for whole microseconds); return its length.
 */
size_t
viewer_us_text(char *buf, int64_t ns)
{
	uint64_t	v = ns < 0 ? (uint64_t)-(ns + 1) + 1 : (uint64_t)ns;
	uint64_t	us = v / 1000;
	unsigned int	frac = (unsigned int)(v % 1000), digits = 3;
	char		tmp[VIEWER_US_MAX], *p = tmp + sizeof tmp;

	if (frac != 0) {
		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		while (digits-- > 0) {
			*--p = (char)('0' + frac % 10);
			frac /= 10;
		}
		*--p = '.';
	}
	do {
		*--p = (char)('0' + us % 10);
		us /= 10;
	} while (us != 0);
	if (ns < 0)
		*--p = '-';
	memcpy(buf, p, (size_t)(tmp + sizeof tmp - p));
	return (size_t)(tmp + sizeof tmp - p);
}

/* Write one character of s for HTML. */
static void
viewer_html_char(FILE *f, const unsigned char *p, size_t n, uint32_t cp)
{
	switch (cp) {
	case '&':
		fputs("&amp;", f);
		break;
	case '<':
		fputs("&lt;", f);
		break;
	case '>':
		fputs("&gt;", f);
		break;
	case '"':
		fputs("&quot;", f);
		break;
	case '\'':
		fputs("&#39;", f);
		break;
	default:
		/* Control characters are not allowed in HTML text. */
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ||
		    (cp == 0xfffd && n == 1))
			fputs(VIEWER_REPLACEMENT, f);
		else
			fwrite(p, 1, n, f);
		break;
	}
}

/* Write s escaped for HTML text and quoted attribute values. */
void
viewer_html(FILE *f, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint32_t		 cp;
	size_t			 n;

	for (; *p != '\0'; p += n) {
		n = viewer_utf8(p, &cp);
		viewer_html_char(f, p, n, cp);
	}
}

/* Write at most max characters of s for HTML, ".." ending a cut. */
void
viewer_html_cut(FILE *f, const char *s, size_t max)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint32_t		 cp;
	size_t			 n, len = 0, i;

	len = strlen(s);
	/* Count characters, not bytes. */
	for (i = 0, n = 0; n < len; i++)
		n += viewer_utf8(p + n, &cp);
	if (i <= max) {
		viewer_html(f, s);
		return;
	}
	if (max < 3)
		return;
	for (i = 0; i < max - 2; i++, p += n) {
		n = viewer_utf8(p, &cp);
		viewer_html_char(f, p, n, cp);
	}
	fputs("..", f);
}

/* The kind of a function. */
enum viewer_kind
viewer_kind(const struct aggregate_func *fn)
{
	if (fn->pseudo)
		return VIEWER_PSEUDO;
	if (!fn->native)
		return VIEWER_PYTHON;
	/* libpython3.X.so, or an executable that links it statically. */
	if (strncmp(fn->module, "libpython", 9) == 0 ||
	    strncmp(fn->module, "python", 6) == 0)
		return VIEWER_INTERPRETER;
	return VIEWER_NATIVE;
}

/* The kind's name. */
const char *
viewer_kind_name(enum viewer_kind kind)
{
	switch (kind) {
	case VIEWER_PYTHON:
		return "python";
	case VIEWER_NATIVE:
		return "native";
	case VIEWER_INTERPRETER:
		return "interpreter";
	default:
		return "pseudo";
	}
}

/* A positive rate from a string, or 0. */
static double
viewer_parse_rate(const char *s)
{
	char	*end;
	double	 v;

	if (s == NULL)
		return 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || !(v > 0 && v < 1e9))
		return 0;
	return v;
}

/* Samples per second of a profile. */
double
viewer_rate(const struct reader_profile *p)
{
	double	v;

	if ((v = viewer_parse_rate(reader_kv_get(&p->stats,
	    "effective_rate"))) > 0)
		return v;
	if ((v = viewer_parse_rate(reader_kv_get(&p->header, "rate"))) > 0)
		return v;
	return VIEWER_DEFAULT_RATE;
}

/* The samples viewer_cmp_samples() looks at: qsort() passes no context. */
static const struct aggregate_sample *viewer_sort_list;

/* Order sample indexes by file, thread, time, then index. */
static int
viewer_cmp_samples(const void *a, const void *b)
{
	uint32_t			 i = *(const uint32_t *)a;
	uint32_t			 j = *(const uint32_t *)b;
	const struct aggregate_sample	*x = &viewer_sort_list[i];
	const struct aggregate_sample	*y = &viewer_sort_list[j];

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->time_us != y->time_us)
		return x->time_us < y->time_us ? -1 : 1;
	return i < j ? -1 : i > j;
}

/* One thread of one file in viewer_by_thread(). */
struct viewer_group {
	uint32_t	file;
	uint32_t	tid;
	uint32_t	seen;	/* in order of first sample */
	size_t		count;
	size_t		end;	/* its samples' end in the order, once placed */
};

/* Order groups by file, then thread. */
static int
viewer_cmp_groups(const void *a, const void *b)
{
	const struct viewer_group	*x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/*
 * The sample indexes ordered by file, thread, time and index, as
 * viewer_cmp_samples() orders them.  Threads are few and each one's
 * samples are nearly always in time order already: a counting sort by
 * thread (stable, so in index order within one), then a sort of any
 * thread whose times are out of order.
 */
uint32_t *
viewer_by_thread(const struct aggregate *agg)
{
	const struct aggregate_sample	*sl = agg->sample_list;
	struct viewer_group		*g = NULL;
	uint32_t			*order, *rank = NULL, *where = NULL;
	size_t				 i, k, n = agg->nsample_list, ng = 0;
	size_t				 cap = 0, last = 0, pos;

	if (n == 0 || n > UINT32_MAX)
		return NULL;
	if ((order = malloc(n * sizeof *order)) == NULL ||
	    (rank = malloc(n * sizeof *rank)) == NULL)
		goto fail;
	/* Each sample's group (by first sample), from the last one's on. */
	for (i = 0; i < n; i++) {
		if (ng == 0 || g[last].file != sl[i].file ||
		    g[last].tid != sl[i].tid) {
			for (last = 0; last < ng; last++)
				if (g[last].file == sl[i].file &&
				    g[last].tid == sl[i].tid)
					break;
			if (last == ng) {
				if (array_grow(&g, &cap, ng + 1,
				    sizeof *g) != 0)
					goto fail;
				g[ng].file = sl[i].file;
				g[ng].tid = sl[i].tid;
				g[ng].seen = (uint32_t)ng;
				g[ng].count = 0;
				ng++;
			}
		}
		rank[i] = (uint32_t)last;
		g[last].count++;
	}
	qsort(g, ng, sizeof *g, viewer_cmp_groups);
	if ((where = malloc(ng * sizeof *where)) == NULL)
		goto fail;
	for (k = 0, pos = 0; k < ng; k++) {
		where[g[k].seen] = (uint32_t)k;
		g[k].end = pos;
		pos += g[k].count;
	}
	for (i = 0; i < n; i++)
		order[g[where[rank[i]]].end++] = (uint32_t)i;
	viewer_sort_list = sl;
	for (k = 0, pos = 0; k < ng; pos = g[k].end, k++) {
		for (i = pos + 1; i < g[k].end; i++)
			if (sl[order[i]].time_us < sl[order[i - 1]].time_us)
				break;
		if (i < g[k].end)
			qsort(order + pos, g[k].end - pos, sizeof *order,
			    viewer_cmp_samples);
	}
	viewer_sort_list = NULL;
	free(where);
	free(rank);
	free(g);
	return order;
fail:
	free(order);
	free(where);
	free(rank);
	free(g);
	return NULL;
}

/*
 * Start a walk: the nodes' fields it reads, dense (a third of the cache
 * the nodes take), and room for the deepest node's path.
 */
int
viewer_walk_init(struct viewer_walk *w, const struct aggregate *agg)
{
	size_t	i;

	memset(w, 0, sizeof *w);
	w->parent = malloc((agg->nnodes + 1) * sizeof *w->parent);
	w->node_func = malloc((agg->nnodes + 1) * sizeof *w->node_func);
	w->node_depth = malloc((agg->nnodes + 1) * sizeof *w->node_depth);
	if (w->parent == NULL || w->node_func == NULL || w->node_depth == NULL)
		goto fail;
	for (i = 0; i < agg->nnodes; i++) {
		w->parent[i] = agg->nodes[i].parent;
		w->node_func[i] = agg->nodes[i].func;
		w->node_depth[i] = agg->nodes[i].depth;
		if (w->node_depth[i] > w->size)
			w->size = w->node_depth[i];
	}
	w->node = malloc(((size_t)w->size + 1) * sizeof *w->node);
	w->func = malloc(((size_t)w->size + 1) * sizeof *w->func);
	if (w->node == NULL || w->func == NULL)
		goto fail;
	return 0;
fail:
	viewer_walk_free(w);
	return -1;
}

/*
 * Walk to node: up from it until a node the last path has at the same
 * depth (a tree: their ancestors are the same too), or the root.
 */
uint32_t
viewer_walk_to(struct viewer_walk *w, uint32_t node)
{
	uint32_t	depth = w->node_depth[node], i = depth;

	while (node != 0 && i > 0) {
		if (i <= w->depth && w->node[i - 1] == node)
			break;
		w->node[i - 1] = node;
		w->func[i - 1] = w->node_func[node];
		node = w->parent[node];
		i--;
	}
	w->same = i;
	w->depth = depth;
	return depth;
}

/* Free the paths of a walk. */
void
viewer_walk_free(struct viewer_walk *w)
{
	free(w->node);
	free(w->func);
	free(w->parent);
	free(w->node_func);
	free(w->node_depth);
	memset(w, 0, sizeof *w);
}
