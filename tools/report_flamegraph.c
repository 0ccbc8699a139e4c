/*
 * The flamegraph report: one self-contained HTML page, an SVG flame graph
 * and a little JavaScript, nothing loaded from elsewhere.  A frame is a
 * function under the frames that called it (the lines executing in it are
 * merged; hovering tells the one with most samples), its width its samples;
 * callers at the bottom, or at the top with --icicle.  Siblings are in
 * name order, as flamegraph.pl has them.  Frames narrower than a tenth of
 * a pixel (at the page's width) are left out with what they called.
 *
 * Colours: Python functions warm (orange to yellow), native code blue,
 * the interpreter (libpython, or a python executable that links it)
 * purple, pseudo-frames grey.  Hover shows name, file:line, samples and
 * percentage; click zooms in (click the bottom frame, or Escape, to zoom
 * out); the search box (or Ctrl-F) takes a regular expression, highlights
 * the matching frames and says how much of the samples they cover.  The
 * page reads "#search=REGEX" and "#zoom=REGEX" (zoom into the widest frame
 * whose name matches) from its URL.
 *
 * Names appear only in HTML text and attribute values, escaped there; the
 * script reads them back from the DOM, so no name is ever written into
 * JavaScript.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "viewer.h"
#include "report.h"

#define FG_WIDTH	1200	/* of the SVG, in pixels */
#define FG_FRAME	17	/* height of a frame */
#define FG_PAD		4	/* above and below the frames */
#define FG_CHAR		7.3	/* width of a character of the frames' font */
#define FG_MIN_WIDTH	0.1	/* narrowest frame kept, in pixels */

/* A frame of the flame graph: a function under a parent frame. */
struct fg_node {
	uint32_t	func;		/* AGGREGATE_NONE for the root */
	uint32_t	parent;
	uint32_t	depth;
	int		line;		/* the line with most samples */
	uint64_t	line_count;	/* its samples */
	uint64_t	total;
	uint64_t	x;		/* samples left of it */
	uint32_t	first;		/* its children: kids[first..+n) */
	uint32_t	nkids;
};

struct fg {
	const struct aggregate	*agg;
	struct fg_node		*nodes;
	size_t			 n;
	uint32_t		*kids;		/* children, grouped by parent */
	uint32_t		*table;		/* (parent, func) -> node */
	size_t			 mask;
};

/* The slot of (parent, func) in the hash table. */
static size_t
fg_slot(struct fg *g, uint32_t parent, uint32_t func)
{
	uint64_t	h = ((uint64_t)parent << 32 | func) * 0x9e3779b97f4a7c15ULL;
	size_t		i = (size_t)(h >> 20) & g->mask;
	uint32_t	k;

	while ((k = g->table[i]) != AGGREGATE_NONE) {
		if (g->nodes[k].parent == parent && g->nodes[k].func == func)
			break;
		i = (i + 1) & g->mask;
	}
	return i;
}

/* Merge an aggregate node into the frame of its function under parent. */
static uint32_t
fg_merge(struct fg *g, uint32_t parent, const struct aggregate_node *an)
{
	struct fg_node	*f;
	size_t		 i = fg_slot(g, parent, an->func);

	if (g->table[i] == AGGREGATE_NONE) {
		g->table[i] = (uint32_t)g->n;
		f = &g->nodes[g->n++];
		memset(f, 0, sizeof *f);
		f->func = an->func;
		f->parent = parent;
		f->depth = g->nodes[parent].depth + 1;
		f->line = an->line;
	}
	f = &g->nodes[g->table[i]];
	f->total += an->total;
	if (an->total > f->line_count) {
		f->line = an->line;
		f->line_count = an->total;
	}
	return g->table[i];
}

/* The frames fg_cmp() looks at: qsort() passes no context. */
static const struct fg *fg_sorting;

/* Order children by name, file, then first line. */
static int
fg_cmp(const void *a, const void *b)
{
	const struct fg_node		*x = &fg_sorting->nodes[*(const uint32_t *)a];
	const struct fg_node		*y = &fg_sorting->nodes[*(const uint32_t *)b];
	const struct aggregate_func	*fx = &fg_sorting->agg->funcs[x->func];
	const struct aggregate_func	*fy = &fg_sorting->agg->funcs[y->func];
	int				 c;

	if ((c = strcmp(fx->name, fy->name)) != 0)
		return c;
	if ((c = strcmp(fx->file, fy->file)) != 0)
		return c;
	return (fx->firstlineno > fy->firstlineno) -
	    (fx->firstlineno < fy->firstlineno);
}

/*
 * Build the frames from the call tree, then group and sort each frame's
 * children and place them: a child starts where the one before it ends.
 */
static int
fg_build(struct fg *g, const struct aggregate *agg)
{
	const struct aggregate_node	*nodes = agg->nodes;
	uint32_t			*map = NULL, n, k;
	uint64_t			 x;
	size_t				 size, i;
	int				 error = -1;

	memset(g, 0, sizeof *g);
	g->agg = agg;
	for (size = 16; size < agg->nnodes * 2; size *= 2)
		;
	g->mask = size - 1;
	if ((g->nodes = malloc(agg->nnodes * sizeof *g->nodes)) == NULL ||
	    (g->table = malloc(size * sizeof *g->table)) == NULL ||
	    (g->kids = malloc(agg->nnodes * sizeof *g->kids)) == NULL ||
	    (map = malloc(agg->nnodes * sizeof *map)) == NULL)
		goto out;
	memset(g->table, 0xff, size * sizeof *g->table);
	memset(&g->nodes[0], 0, sizeof g->nodes[0]);
	g->nodes[0].func = AGGREGATE_NONE;
	g->nodes[0].parent = AGGREGATE_NONE;
	g->nodes[0].total = agg->samples;
	g->n = 1;
	map[0] = 0;
	/* Preorder without recursion, as the tree report walks it. */
	n = nodes[0].child;
	while (n != AGGREGATE_NONE) {
		map[n] = fg_merge(g, map[nodes[n].parent], &nodes[n]);
		if (nodes[n].child != AGGREGATE_NONE) {
			n = nodes[n].child;
			continue;
		}
		while (n != 0 && nodes[n].sibling == AGGREGATE_NONE)
			n = nodes[n].parent;
		n = n == 0 ? AGGREGATE_NONE : nodes[n].sibling;
	}

	/* Count children, give each frame its slice of kids, fill them. */
	for (i = 1; i < g->n; i++)
		g->nodes[g->nodes[i].parent].nkids++;
	for (i = 0, k = 0; i < g->n; i++) {
		g->nodes[i].first = k;
		k += g->nodes[i].nkids;
		g->nodes[i].nkids = 0;
	}
	for (i = 1; i < g->n; i++) {
		n = g->nodes[i].parent;
		g->kids[g->nodes[n].first + g->nodes[n].nkids++] = (uint32_t)i;
	}
	fg_sorting = g;
	for (i = 0; i < g->n; i++) {
		qsort(g->kids + g->nodes[i].first, g->nodes[i].nkids,
		    sizeof *g->kids, fg_cmp);
	}
	fg_sorting = NULL;
	/* Parents come before their children in g->nodes. */
	for (i = 0; i < g->n; i++) {
		x = g->nodes[i].x;
		for (k = 0; k < g->nodes[i].nkids; k++) {
			g->nodes[g->kids[g->nodes[i].first + k]].x = x;
			x += g->nodes[g->kids[g->nodes[i].first + k]].total;
		}
	}
	error = 0;
out:
	free(map);
	return error;
}

/* Free the frames. */
static void
fg_free(struct fg *g)
{
	free(g->nodes);
	free(g->kids);
	free(g->table);
}

/* A hash of a string, to vary the colour of frames. */
static unsigned int
fg_hash(const char *s)
{
	unsigned int	h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Write the fill colour of a frame. */
static void
fg_colour(FILE *f, const struct aggregate_func *fn)
{
	unsigned int	h = fg_hash(fn->name);
	unsigned int	v = h % 100, w = (h / 100) % 100;

	switch (viewer_kind(fn)) {
	case VIEWER_PYTHON:
		fprintf(f, "hsl(%u,%u%%,%u%%)", 20 + v * 30 / 100,
		    80 + w / 10, 58 + w / 8);
		break;
	case VIEWER_NATIVE:
		fprintf(f, "hsl(%u,%u%%,%u%%)", 190 + v * 25 / 100,
		    60 + w / 10, 66 + w / 10);
		break;
	case VIEWER_INTERPRETER:
		fprintf(f, "hsl(%u,%u%%,%u%%)", 265 + v * 25 / 100,
		    45 + w / 10, 74 + w / 12);
		break;
	default:
		fprintf(f, "hsl(0,0%%,%u%%)", 78 + w / 10);
		break;
	}
}

/* Write where a frame is: "file:line", the module of native code, or "". */
static void
fg_where(FILE *f, const struct aggregate_func *fn, int line)
{
	char	buf[4096];

	aggregate_where(fn, line, buf, sizeof buf);
	viewer_html(f, buf);
}

/* Write one frame. */
static void
fg_frame(struct report *r, const struct fg *g, uint32_t i, uint32_t height)
{
	const struct fg_node		*nd = &g->nodes[i];
	const struct aggregate_func	*fn = NULL;
	FILE				*f = r->out;
	uint64_t			 samples = r->agg->samples;
	uint32_t			 depth = nd->depth;
	double				 x, w, pct;
	unsigned int			 y;

	if (nd->func != AGGREGATE_NONE)
		fn = &r->agg->funcs[nd->func];
	if (samples == 0)
		samples = 1;	/* an empty profile: the root alone */
	x = (double)nd->x * FG_WIDTH / (double)samples;
	w = i == 0 ? FG_WIDTH : (double)nd->total * FG_WIDTH /
	    (double)samples;
	pct = 100.0 * (double)nd->total / (double)samples;
	y = r->icicle ? FG_PAD + depth * FG_FRAME :
	    FG_PAD + (height - 1 - depth) * FG_FRAME;
	fprintf(f, "<g class=\"f\" id=\"f%u\" data-p=\"f%u\" data-d=\"%u\" "
	    "data-x=\"%llu\" data-w=\"%llu\" data-k=\"%s\" data-n=\"", i,
	    nd->parent == AGGREGATE_NONE ? i : nd->parent, depth,
	    (unsigned long long)nd->x, (unsigned long long)nd->total,
	    fn != NULL ? viewer_kind_name(viewer_kind(fn)) : "root");
	viewer_html(f, fn != NULL ? fn->name : "all");
	fputs("\" data-l=\"", f);
	if (fn != NULL)
		fg_where(f, fn, nd->line);
	fputs("\"><title>", f);
	viewer_html(f, fn != NULL ? fn->name : "all");
	if (fn != NULL && !fn->pseudo) {
		fputs(" (", f);
		fg_where(f, fn, nd->line);
		fputc(')', f);
	}
	fprintf(f, "\n%llu sample%s, %.2f%%</title><rect x=\"%.2f\" "
	    "y=\"%u\" width=\"%.2f\" height=\"%u\" rx=\"2\" fill=\"",
	    (unsigned long long)nd->total, nd->total == 1 ? "" : "s", pct, x,
	    y, w, FG_FRAME - 1);
	if (fn != NULL)
		fg_colour(f, fn);
	else
		fputs("hsl(0,0%,70%)", f);
	fprintf(f, "\"/><text x=\"%.2f\" y=\"%u\">", x + 3,
	    y + FG_FRAME - 5);
	if (w > 3 * FG_CHAR + 6)
		viewer_html_cut(f, fn != NULL ? fn->name : "all",
		    (size_t)((w - 6) / FG_CHAR));
	fputs("</text></g>\n", f);
}

/* The page's style and script: constant, no names in them. */
static const char fg_style[] =
"<style>\n"
"body{font:14px sans-serif;margin:8px;background:#fff;color:#000}\n"
"#bar{display:flex;gap:12px;align-items:center;flex-wrap:wrap;"
"margin:4px 0}\n"
"#bar input{width:22em}\n"
".key{display:inline-block;width:12px;height:12px;vertical-align:middle;"
"border:1px solid #888;margin-right:3px}\n"
"#details{font-family:monospace;min-height:1.3em;white-space:pre}\n"
"svg{display:block}\n"
"g.f text{font:12px monospace;pointer-events:none;fill:#000}\n"
"g.f{cursor:pointer}\n"
"g.f:hover rect{stroke:#000;stroke-width:1}\n"
"g.f.match rect{fill:#e040e0}\n"
"g.f.anc rect{opacity:.55}\n"
"g.f.hide{display:none}\n"
"</style>\n";

static const char fg_script[] =
"<script>\n"
"(function () {\n"
"'use strict';\n"
"var svg = document.getElementById('fg');\n"
"var W = +svg.getAttribute('width');\n"
"var CH = +svg.getAttribute('data-char');\n"
"var frames = Array.prototype.slice.call(svg.querySelectorAll('g.f'));\n"
"var total = +frames[0].getAttribute('data-w');\n"
"var byId = {};\n"
"var search = document.getElementById('search');\n"
"var matched = document.getElementById('matched');\n"
"var details = document.getElementById('details');\n"
"var zoomed = null, query = '';\n"
"frames.forEach(function (g) {\n"
"  g.x = +g.getAttribute('data-x'); g.w = +g.getAttribute('data-w');\n"
"  g.d = +g.getAttribute('data-d'); g.name = g.getAttribute('data-n');\n"
"  g.where = g.getAttribute('data-l');\n"
"  g.rect = g.querySelector('rect'); g.text = g.querySelector('text');\n"
"  byId[g.id] = g;\n"
"});\n"
"function pct(n) { return total ? (100 * n / total).toFixed(2) : '0.00'; }\n"
"function fit(g, width) {\n"
"  var n = Math.floor((width - 6) / CH), s = g.name;\n"
"  if (n < 3) s = ''; else if (s.length > n) s = s.slice(0, n - 2) + '..';\n"
"  g.text.textContent = s;\n"
"}\n"
"function layout() {\n"
"  if (!total) return;\n"
"  var x0 = zoomed ? zoomed.x : 0, w0 = zoomed ? zoomed.w : total;\n"
"  var d0 = zoomed ? zoomed.d : 0;\n"
"  frames.forEach(function (g) {\n"
"    var inside = g.x >= x0 && g.x + g.w <= x0 + w0 && g.d >= d0;\n"
"    var above = g.d < d0 && g.x <= x0 && g.x + g.w >= x0 + w0;\n"
"    g.classList.toggle('hide', !inside && !above);\n"
"    g.classList.toggle('anc', above);\n"
"    if (!inside && !above) return;\n"
"    var x = above ? 0 : (g.x - x0) * W / w0;\n"
"    var w = above ? W : g.w * W / w0;\n"
"    g.rect.setAttribute('x', x.toFixed(2));\n"
"    g.rect.setAttribute('width', w.toFixed(2));\n"
"    g.text.setAttribute('x', (x + 3).toFixed(2));\n"
"    fit(g, w);\n"
"  });\n"
"}\n"
"function zoom(g) {\n"
"  zoomed = g && g.d > 0 ? g : null;\n"
"  layout();\n"
"}\n"
"function find(q) {\n"
"  var re = null;\n"
"  query = q;\n"
"  if (q) {\n"
"    try { re = new RegExp(q); } catch (e) {\n"
"      re = new RegExp(q.replace(/[.*+?^${}()|[\\]\\\\]/g, '\\\\$&'));\n"
"    }\n"
"  }\n"
"  var spans = [], count = 0;\n"
"  frames.forEach(function (g) {\n"
"    var m = re !== null && g.d > 0 && re.test(g.name);\n"
"    g.classList.toggle('match', m);\n"
"    if (m) { count++; spans.push([g.x, g.x + g.w]); }\n"
"  });\n"
"  /* Nested frames cover their callers' samples: count each once. */\n"
"  spans.sort(function (a, b) { return a[0] - b[0]; });\n"
"  var sum = 0, end = 0;\n"
"  spans.forEach(function (s) {\n"
"    if (s[1] <= end) return;\n"
"    sum += s[1] - Math.max(s[0], end); end = s[1];\n"
"  });\n"
"  matched.textContent = re === null ? '' : 'Matched: ' + pct(sum) +\n"
"      '% (' + count + ' frame' + (count === 1 ? '' : 's') + ')';\n"
"  matched.setAttribute('data-samples', re === null ? '' : sum);\n"
"}\n"
"function hash() {\n"
"  var h = {};\n"
"  location.hash.replace(/^#/, '').split('&').forEach(function (kv) {\n"
"    var i = kv.indexOf('=');\n"
"    if (i > 0) {\n"
"      try { h[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); }\n"
"      catch (e) { }\n"
"    }\n"
"  });\n"
"  return h;\n"
"}\n"
"function sethash() {\n"
"  var h = [];\n"
"  if (query) h.push('search=' + encodeURIComponent(query));\n"
"  if (zoomed) h.push('zoom=' + encodeURIComponent('^' +\n"
"      zoomed.name.replace(/[.*+?^${}()|[\\]\\\\]/g, '\\\\$&') + '$'));\n"
"  history.replaceState(null, '', h.length ? '#' + h.join('&') :\n"
"      location.pathname + location.search);\n"
"}\n"
"svg.addEventListener('click', function (e) {\n"
"  var g = e.target.closest('g.f');\n"
"  if (g) { zoom(g === zoomed ? null : g); sethash(); }\n"
"});\n"
"svg.addEventListener('mouseover', function (e) {\n"
"  var g = e.target.closest('g.f');\n"
"  if (g) details.textContent = g.name + (g.where ? ' (' + g.where +\n"
"      ')' : '') + '  ' + g.w + ' sample' + (g.w === 1 ? '' : 's') +\n"
"      ', ' + pct(g.w) + '%';\n"
"});\n"
"svg.addEventListener('mouseout', function () {\n"
"  details.textContent = ' ';\n"
"});\n"
"search.addEventListener('input', function () {\n"
"  find(search.value); sethash();\n"
"});\n"
"document.getElementById('reset').addEventListener('click', function () {\n"
"  zoom(null); sethash();\n"
"});\n"
"document.addEventListener('keydown', function (e) {\n"
"  if ((e.ctrlKey || e.metaKey) && e.key === 'f') {\n"
"    e.preventDefault(); search.focus(); search.select();\n"
"  } else if (e.key === 'Escape') {\n"
"    search.value = ''; find(''); zoom(null); sethash();\n"
"  }\n"
"});\n"
"var h = hash();\n"
"if (h.zoom) {\n"
"  var re = null, best = null;\n"
"  try { re = new RegExp(h.zoom); } catch (e) { }\n"
"  frames.forEach(function (g) {\n"
"    if (re && g.d > 0 && re.test(g.name) && (!best || g.w > best.w))\n"
"      best = g;\n"
"  });\n"
"  zoomed = best;\n"
"}\n"
"layout();\n"
"if (h.search) { search.value = h.search; find(h.search); }\n"
"document.body.setAttribute('data-ready', '1');\n"
"})();\n"
"</script>\n";

/* Write the page's head, title and controls. */
static void
fg_head(struct report *r, uint32_t height)
{
	FILE	*f = r->out;
	size_t	 i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<title>", f);
	fputs(r->icicle ? "Icicle graph" : "Flame graph", f);
	for (i = 0; i < r->nprofiles && i < 3; i++) {
		fputs(i == 0 ? ": " : ", ", f);
		viewer_html(f, r->profiles[i]->path);
	}
	if (r->nprofiles > 3)
		fputs(", ...", f);
	fputs("</title>\n", f);
	fputs(fg_style, f);
	fputs("</head>\n<body>\n<div id=\"bar\">", f);
	fprintf(f, "<b>%s</b> <span id=\"summary\">%llu sample%s", r->icicle ?
	    "Icicle graph" : "Flame graph",
	    (unsigned long long)r->agg->samples,
	    r->agg->samples == 1 ? "" : "s");
	if (r->agg->durations == r->agg->files && r->agg->files != 0)
		fprintf(f, ", %.3f s", (double)r->agg->duration_ns / 1e9);
	fputs("</span>\n<span><span class=\"key\" style=\"background:"
	    "hsl(35,85%,62%)\"></span>Python <span class=\"key\" style=\""
	    "background:hsl(200,65%,70%)\"></span>native <span class=\"key\" "
	    "style=\"background:hsl(275,50%,78%)\"></span>interpreter "
	    "<span class=\"key\" style=\"background:hsl(0,0%,82%)\"></span>"
	    "other</span>\n<button id=\"reset\">Reset zoom</button>\n"
	    "<input id=\"search\" type=\"search\" placeholder=\"Search "
	    "(regular expression, Ctrl-F)\" spellcheck=\"false\">\n"
	    "<span id=\"matched\"></span></div>\n", f);
	fprintf(f, "<svg id=\"fg\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%u\" height=\"%u\" data-char=\"%.1f\" "
	    "data-icicle=\"%d\">\n", FG_WIDTH, height * FG_FRAME + 2 * FG_PAD,
	    FG_CHAR, r->icicle);
}

/* Print the flamegraph report. */
int
report_flamegraph(struct report *r)
{
	struct fg	 g;
	uint64_t	 min;
	uint32_t	*stack, n, height = 1, k;
	size_t		 i, top;

	if (fg_build(&g, r->agg) != 0 ||
	    (stack = malloc(g.n * sizeof *stack)) == NULL) {
		fg_free(&g);
		return -1;
	}
	/* Samples of the narrowest frame kept (at least one). */
	min = (uint64_t)((double)r->agg->samples * FG_MIN_WIDTH / FG_WIDTH);
	if (min == 0)
		min = 1;
	for (i = 0; i < g.n; i++) {
		if (g.nodes[i].total >= min && g.nodes[i].depth + 1 > height)
			height = g.nodes[i].depth + 1;
	}
	fg_head(r, height);
	/* Preorder, without recursion: a frame before what it called. */
	stack[0] = 0;
	top = 1;
	while (top > 0) {
		n = stack[--top];
		fg_frame(r, &g, n, height);
		for (k = g.nodes[n].nkids; k > 0; k--) {
			if (g.nodes[g.kids[g.nodes[n].first + k - 1]].total >= min)
				stack[top++] = g.kids[g.nodes[n].first + k - 1];
		}
	}
	fputs("</svg>\n<div id=\"details\"> </div>\n", r->out);
	fputs(fg_script, r->out);
	fputs("</body>\n</html>\n", r->out);
	free(stack);
	fg_free(&g);
	return 0;
}
