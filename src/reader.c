/*
 * The profile reader.  The whole file is read into memory and walked once;
 * every length is checked against the bytes that remain before anything is
 * read or allocated from it.  Ids may be used before the record defining
 * them (several threads sample concurrently), so stack frames keep their raw
 * code ids and samples whose stack is not defined yet are queued until the
 * end of the file, when everything is resolved to indexes.
 *
 * A file cut short (a killed process, a full disk) ends inside a record:
 * that is not an error, the records before it are kept.  Such a file, or one
 * without a trailer, may also lack the definition of a stack or function a
 * sample refers to (it was still in the writer's buffer); those samples are
 * left out and counted.  In a complete file the same is corruption.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "format.h"
#include "reader.h"

#define READER_BAD	UINT32_MAX	/* an unresolved stack index */
#define READER_UNUSABLE	(1u << 31)	/* stack flag: refers to no code */
#define READER_MAX_STACK_FRAMES	(1u << 20)
#define READER_MAX_FRAMES	(1u << 26)	/* 1 GiB of frames in all */

/* Map from an id (never 0) to an index. */
struct reader_idmap {
	uint64_t	*keys;		/* 0: free slot */
	uint32_t	*values;
	size_t		 size;		/* a power of two, or 0 */
	size_t		 used;
};

/* A sample whose stack was not defined when it was read. */
struct reader_pending {
	size_t		sample;
	uint64_t	id;
	uint64_t	offset;
};

struct reader_state {
	const char		*name;
	const uint8_t		*data;
	size_t			 len;
	struct reader_profile	*p;
	char			*cause;
	int			 saw_header;
	int64_t			 time_us;

	struct reader_kvlist	 last_stats;
	struct reader_kvlist	 trailer;

	struct reader_idmap	 code_ids;
	struct reader_idmap	 stack_ids;
	size_t			 codes_size;
	size_t			 stacks_size;
	size_t			 frames_size;
	size_t			 natives_size;
	size_t			 mappings_size;
	size_t			 samples_size;
	size_t			 threads_size;

	/* Per frame its raw code id; per stack its first frame, offset. */
	uint64_t		*frame_ids;
	size_t			 frame_ids_size;
	size_t			*stack_first;
	size_t			 stack_first_size;
	uint64_t		*stack_offset;
	size_t			 stack_offset_size;
	size_t			*native_first;
	size_t			 native_first_size;

	struct reader_pending	*pending;
	size_t			 npending;
	size_t			 pending_size;
};

/* Set the error message "NAME: what (at offset N)"; return -1. */
static int __attribute__((format(printf, 3, 4)))
reader_error(struct reader_state *st, uint64_t offset, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	free(st->cause);
	if (asprintf(&st->cause, "%s: %s (at offset %llu)", st->name, msg,
	    (unsigned long long)offset) < 0)
		st->cause = NULL;
	return -1;
}

/* Set the error message for a failed allocation; return -1. */
static int
reader_nomem(struct reader_state *st)
{
	free(st->cause);
	if (asprintf(&st->cause, "%s: out of memory", st->name) < 0)
		st->cause = NULL;
	return -1;
}

/* Home slot of an id. */
static inline size_t
reader_idmap_home(const struct reader_idmap *m, uint64_t key)
{
	uint64_t	h = key * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h ^ (h >> 32)) & (m->size - 1);
}

/* Look an id up; return 0 and its index, or -1. */
static inline int
reader_idmap_get(const struct reader_idmap *m, uint64_t key, uint32_t *value)
{
	size_t	i;

	if (m->size == 0)
		return -1;
	for (i = reader_idmap_home(m, key); m->keys[i] != 0;
	    i = (i + 1) & (m->size - 1)) {
		if (m->keys[i] == key) {
			*value = m->values[i];
			return 0;
		}
	}
	return -1;
}

/* Add an id that is not in the map yet. */
static int
reader_idmap_put(struct reader_idmap *m, uint64_t key, uint32_t value)
{
	struct reader_idmap	 n;
	size_t			 i, j;

	if ((m->used + 1) * 2 > m->size) {
		n.size = m->size == 0 ? 256 : m->size * 2;
		n.used = m->used;
		n.keys = calloc(n.size, sizeof *n.keys);
		n.values = malloc(n.size * sizeof *n.values);
		if (n.keys == NULL || n.values == NULL) {
			free(n.keys);
			free(n.values);
			return -1;
		}
		for (i = 0; i < m->size; i++) {
			if (m->keys[i] == 0)
				continue;
			for (j = reader_idmap_home(&n, m->keys[i]);
			    n.keys[j] != 0; j = (j + 1) & (n.size - 1))
				;
			n.keys[j] = m->keys[i];
			n.values[j] = m->values[i];
		}
		free(m->keys);
		free(m->values);
		*m = n;
	}
	for (i = reader_idmap_home(m, key); m->keys[i] != 0;
	    i = (i + 1) & (m->size - 1))
		;
	m->keys[i] = key;
	m->values[i] = value;
	m->used++;
	return 0;
}

/* Free a key/value list. */
static void
reader_kv_free(struct reader_kvlist *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		free(l->pairs[i].key);
		free(l->pairs[i].value);
	}
	free(l->pairs);
	l->pairs = NULL;
	l->n = 0;
}

/* The first value of key in a key/value list, or NULL. */
const char *
reader_kv_get(const struct reader_kvlist *l, const char *key)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->pairs[i].key, key) == 0)
			return l->pairs[i].value;
	}
	return NULL;
}

/* Parse a key/value payload [p, end) into *out (replacing it). */
static int
reader_kv_parse(struct reader_state *st, uint64_t rec, const char *what,
    const uint8_t *p, const uint8_t *end, struct reader_kvlist *out)
{
	struct reader_kvlist	 l = { NULL, 0 };
	const uint8_t		*q;
	size_t			 strings = 0, i;

	for (q = p; q < end; q++)
		strings += *q == '\0';
	if (p < end && end[-1] != '\0')
		return reader_error(st, rec, "%s record does not end with a "
		    "NUL byte", what);
	if (strings % 2 != 0)
		return reader_error(st, rec, "%s record has a key without a "
		    "value", what);
	if (strings != 0 &&
	    (l.pairs = calloc(strings / 2, sizeof *l.pairs)) == NULL)
		return reader_nomem(st);
	for (i = 0; i < strings / 2; i++) {
		l.pairs[i].key = strdup((const char *)p);
		p += strlen((const char *)p) + 1;
		l.pairs[i].value = strdup((const char *)p);
		p += strlen((const char *)p) + 1;
		l.n++;
		if (l.pairs[i].key == NULL || l.pairs[i].value == NULL) {
			reader_kv_free(&l);
			return reader_nomem(st);
		}
	}
	reader_kv_free(out);
	*out = l;
	return 0;
}

/* Read a varint field of a record or fail naming it. */
static int
reader_field(struct reader_state *st, uint64_t rec, const char *what,
    const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	if (format_get_varint(p, end, v) != 0)
		return reader_error(st, rec, "%s: bad or missing varint", what);
	return 0;
}

/* Read a length-prefixed byte string of a record. */
static int
reader_bytes(struct reader_state *st, uint64_t rec, const char *what,
    const uint8_t **p, const uint8_t *end, const uint8_t **s, size_t *len)
{
	uint64_t	n;

	if (reader_field(st, rec, what, p, end, &n) != 0)
		return -1;
	if (n > (uint64_t)(end - *p))
		return reader_error(st, rec, "%s: length %llu runs past the end "
		    "of the record", what, (unsigned long long)n);
	*s = *p;
	*len = (size_t)n;
	*p += n;
	return 0;
}

/* Copy a name as a C string, NUL bytes inside it replaced. */
static char *
reader_string(const uint8_t *s, size_t len)
{
	char	*r;
	size_t	 i;

	if ((r = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		r[i] = s[i] == '\0' ? '?' : (char)s[i];
	r[len] = '\0';
	return r;
}

/* Parse a CODE record. */
static int
reader_code(struct reader_state *st, uint64_t rec, const uint8_t *p,
    const uint8_t *end)
{
	struct reader_profile	*prof = st->p;
	struct reader_code	*c;
	const uint8_t		*name, *file, *table;
	size_t			 name_len, file_len, table_len;
	uint64_t		 id, line, flags;
	int64_t			 first;
	uint32_t		 idx;
	int			 kind;

	if (reader_field(st, rec, "CODE record: id", &p, end, &id) != 0 ||
	    reader_field(st, rec, "CODE record: first line", &p, end,
	    &line) != 0)
		return -1;
	if (id == 0)
		return reader_error(st, rec, "CODE record with id 0");
	first = format_unzigzag(line);
	if (first < INT32_MIN || first > INT32_MAX)
		return reader_error(st, rec, "CODE record %llu: first line "
		    "%lld out of range", (unsigned long long)id,
		    (long long)first);
	if (p >= end)
		return reader_error(st, rec, "CODE record %llu: line table "
		    "kind missing", (unsigned long long)id);
	kind = *p++;
	if (reader_field(st, rec, "CODE record: flags", &p, end, &flags) != 0 ||
	    reader_bytes(st, rec, "CODE record: name", &p, end, &name,
	    &name_len) != 0 ||
	    reader_bytes(st, rec, "CODE record: file name", &p, end, &file,
	    &file_len) != 0 ||
	    reader_bytes(st, rec, "CODE record: line table", &p, end, &table,
	    &table_len) != 0)
		return -1;

	if (reader_idmap_get(&st->code_ids, id, &idx) == 0) {
		/* Written again after a failed write: fine if the same. */
		c = &prof->codes[idx];
		if (c->firstlineno == first && c->table_kind == kind &&
		    strlen(c->name) == name_len &&
		    memcmp(c->name, name, name_len) == 0 &&
		    strlen(c->file) == file_len &&
		    memcmp(c->file, file, file_len) == 0 &&
		    c->table_len == table_len &&
		    (table_len == 0 || memcmp(c->table, table, table_len) == 0))
			return 0;
		return reader_error(st, rec, "code id %llu defined twice, "
		    "differently", (unsigned long long)id);
	}
	if (prof->ncodes >= UINT32_MAX - 1)
		return reader_error(st, rec, "too many CODE records");
	if (array_grow(&prof->codes, &st->codes_size, prof->ncodes + 1,
	    sizeof *prof->codes) != 0)
		return reader_nomem(st);
	c = &prof->codes[prof->ncodes];
	memset(c, 0, sizeof *c);
	c->id = id;
	c->firstlineno = (int32_t)first;
	c->table_kind = kind;
	c->flags = (unsigned int)flags;
	c->name = reader_string(name, name_len);
	c->file = reader_string(file, file_len);
	c->table = malloc(table_len == 0 ? 1 : table_len);
	c->table_len = table_len;
	prof->ncodes++;
	if (c->name == NULL || c->file == NULL || c->table == NULL)
		return reader_nomem(st);
	if (table_len != 0)
		memcpy(c->table, table, table_len);
	if (reader_idmap_put(&st->code_ids, id, (uint32_t)prof->ncodes - 1) != 0)
		return reader_nomem(st);
	return 0;
}

/* Make room for n stacks and their reading state. */
static int
reader_stacks_grow(struct reader_state *st, size_t n)
{
	if (array_grow(&st->p->stacks, &st->stacks_size, n,
	    sizeof *st->p->stacks) != 0 ||
	    array_grow(&st->stack_first, &st->stack_first_size, n,
	    sizeof *st->stack_first) != 0 ||
	    array_grow(&st->stack_offset, &st->stack_offset_size, n,
	    sizeof *st->stack_offset) != 0 ||
	    array_grow(&st->native_first, &st->native_first_size, n,
	    sizeof *st->native_first) != 0)
		return -1;
	return 0;
}

/*
 * Parse the native part of a STACK record at *p: kept, count, addresses.
 * base is the base stack's index (0: none).  Store the addresses at the
 * end of the profile's natives; set *first and *total.
 */
static int
reader_stack_native(struct reader_state *st, uint64_t rec, uint64_t id,
    const uint8_t **p, const uint8_t *end, uint32_t base, size_t *first,
    size_t *total)
{
	struct reader_profile	*prof = st->p;
	uint64_t		 keep, count, v, prev = 0, i;
	size_t			 from;

	*first = prof->nnatives;
	if (reader_field(st, rec, "STACK record: kept native frames", p, end,
	    &keep) != 0 ||
	    reader_field(st, rec, "STACK record: native frame count", p, end,
	    &count) != 0)
		return -1;
	if (count > (uint64_t)(end - *p))
		return reader_error(st, rec, "STACK record %llu: %llu native "
		    "frames do not fit in the record", (unsigned long long)id,
		    (unsigned long long)count);
	if (keep > prof->stacks[base].nnative)
		return reader_error(st, rec, "STACK record %llu: keeps %llu "
		    "native frames of a base stack that has %u",
		    (unsigned long long)id, (unsigned long long)keep,
		    prof->stacks[base].nnative);
	if (count + keep > READER_MAX_STACK_FRAMES ||
	    prof->nnatives + count + keep > READER_MAX_FRAMES)
		return reader_error(st, rec, "STACK record %llu: too many "
		    "native frames", (unsigned long long)id);
	if (array_grow(&prof->natives, &st->natives_size,
	    *first + count + keep, sizeof *prof->natives) != 0)
		return reader_nomem(st);
	for (i = 0; i < count; i++) {
		if (format_get_varint(p, end, &v) != 0)
			return reader_error(st, rec, "STACK record %llu: native "
			    "frame %llu runs past the end of the record",
			    (unsigned long long)id, (unsigned long long)i);
		prev += (uint64_t)format_unzigzag(v);
		prof->natives[*first + i] = prev;
	}
	if (keep != 0) {
		from = st->native_first[base] + prof->stacks[base].nnative -
		    (size_t)keep;
		memcpy(prof->natives + *first + count, prof->natives + from,
		    (size_t)keep * sizeof *prof->natives);
	}
	*total = (size_t)(count + keep);
	return 0;
}

/* Parse a MAPPING record. */
static int
reader_mapping(struct reader_state *st, uint64_t rec, const uint8_t *p,
    const uint8_t *end)
{
	struct reader_profile	*prof = st->p;
	struct reader_mapping	*m;
	uint64_t		 start, stop, bias, flags, blen, plen;
	const uint8_t		*bid, *path;

	if (reader_field(st, rec, "MAPPING record: start", &p, end,
	    &start) != 0 ||
	    reader_field(st, rec, "MAPPING record: end", &p, end, &stop) != 0 ||
	    reader_field(st, rec, "MAPPING record: bias", &p, end, &bias) != 0 ||
	    reader_field(st, rec, "MAPPING record: flags", &p, end,
	    &flags) != 0 ||
	    reader_field(st, rec, "MAPPING record: build-id length", &p, end,
	    &blen) != 0)
		return -1;
	if (blen > (uint64_t)(end - p))
		return reader_error(st, rec, "MAPPING record: build-id runs "
		    "past the end of the record");
	bid = p;
	p += blen;
	if (reader_field(st, rec, "MAPPING record: path length", &p, end,
	    &plen) != 0)
		return -1;
	if (plen > (uint64_t)(end - p))
		return reader_error(st, rec, "MAPPING record: path runs past "
		    "the end of the record");
	path = p;
	if (stop <= start)
		return reader_error(st, rec, "MAPPING record: empty address "
		    "range 0x%llx-0x%llx", (unsigned long long)start,
		    (unsigned long long)stop);
	if (array_grow(&prof->mappings, &st->mappings_size,
	    prof->nmappings + 1, sizeof *prof->mappings) != 0)
		return reader_nomem(st);
	m = &prof->mappings[prof->nmappings];
	memset(m, 0, sizeof *m);
	m->start = start;
	m->end = stop;
	m->bias = bias;
	m->flags = (unsigned int)flags;
	m->build_id_len = (size_t)blen;
	m->build_id = malloc(blen == 0 ? 1 : (size_t)blen);
	m->path = reader_string(path, (size_t)plen);
	prof->nmappings++;
	if (m->build_id == NULL || m->path == NULL)
		return reader_nomem(st);
	if (blen != 0)
		memcpy(m->build_id, bid, (size_t)blen);
	return 0;
}

/* Parse a STACK record (possibly a delta on an earlier stack). */
static int
reader_stack(struct reader_state *st, uint64_t rec, const uint8_t *p,
    const uint8_t *end)
{
	struct reader_profile	*prof = st->p;
	struct reader_stack	*s;
	uint64_t		 id, flags, base, keep, count, total, ref, addr;
	uint64_t		 i;
	size_t			 first = prof->nframes, from = 0;
	size_t			 nfirst = prof->nnatives, ntotal = 0;
	uint32_t		 idx, bidx = 0;

	if (reader_field(st, rec, "STACK record: id", &p, end, &id) != 0 ||
	    reader_field(st, rec, "STACK record: flags", &p, end, &flags) != 0 ||
	    reader_field(st, rec, "STACK record: base", &p, end, &base) != 0 ||
	    reader_field(st, rec, "STACK record: kept frames", &p, end,
	    &keep) != 0 ||
	    reader_field(st, rec, "STACK record: frame count", &p, end,
	    &count) != 0)
		return -1;
	if (id == 0)
		return reader_error(st, rec, "STACK record with id 0 (reserved "
		    "for the empty stack)");
	/* A frame takes at least two bytes. */
	if (count > (uint64_t)(end - p) / 2 || count > UINT32_MAX)
		return reader_error(st, rec, "STACK record %llu: %llu frames "
		    "do not fit in the record", (unsigned long long)id,
		    (unsigned long long)count);
	if (base != 0) {
		if (reader_idmap_get(&st->stack_ids, base, &bidx) != 0)
			return reader_error(st, rec, "STACK record %llu: base "
			    "stack %llu is not defined before it",
			    (unsigned long long)id, (unsigned long long)base);
		if (keep > prof->stacks[bidx].nframes)
			return reader_error(st, rec, "STACK record %llu: keeps "
			    "%llu frames of stack %llu, which has %u",
			    (unsigned long long)id, (unsigned long long)keep,
			    (unsigned long long)base,
			    prof->stacks[bidx].nframes);
		from = st->stack_first[bidx] + prof->stacks[bidx].nframes -
		    (size_t)keep;
	} else if (keep != 0)
		return reader_error(st, rec, "STACK record %llu: keeps frames "
		    "of no base stack", (unsigned long long)id);
	total = count + keep;
	/* Deltas make frames cheap to write: bound what they cost to read. */
	if (total > READER_MAX_STACK_FRAMES ||
	    prof->nframes + total > READER_MAX_FRAMES)
		return reader_error(st, rec, "STACK record %llu: too many "
		    "frames (%llu in the stack, %zu before it)",
		    (unsigned long long)id, (unsigned long long)total,
		    prof->nframes);
	if (array_grow(&prof->frames, &st->frames_size, first + total,
	    sizeof *prof->frames) != 0 ||
	    array_grow(&st->frame_ids, &st->frame_ids_size, first + total,
	    sizeof *st->frame_ids) != 0)
		return reader_nomem(st);
	for (i = 0; i < count; i++) {
		if (format_get_varint(&p, end, &ref) != 0 ||
		    format_get_varint(&p, end, &addr) != 0)
			return reader_error(st, rec, "STACK record %llu: frame "
			    "%llu runs past the end of the record",
			    (unsigned long long)id, (unsigned long long)i);
		if ((ref >> 1) == 0)
			return reader_error(st, rec, "STACK record %llu: frame "
			    "%llu refers to code id 0", (unsigned long long)id,
			    (unsigned long long)i);
		prof->frames[first + i].code = 0;
		prof->frames[first + i].entry = (int)(ref & 1);
		prof->frames[first + i].addr = format_unzigzag(addr);
		st->frame_ids[first + i] = ref >> 1;
	}
	if (keep != 0) {
		memcpy(prof->frames + first + count, prof->frames + from,
		    (size_t)keep * sizeof *prof->frames);
		memcpy(st->frame_ids + first + count, st->frame_ids + from,
		    (size_t)keep * sizeof *st->frame_ids);
	}
	count = total;
	if ((flags & STACK_NATIVE) && reader_stack_native(st, rec, id, &p, end,
	    base != 0 ? bidx : 0, &nfirst, &ntotal) != 0)
		return -1;

	if (reader_idmap_get(&st->stack_ids, id, &idx) == 0) {
		/* Written again after a failed write: fine if the same. */
		s = &prof->stacks[idx];
		if (s->flags == ((unsigned int)flags & ~READER_UNUSABLE) &&
		    s->nframes == count && s->nnative == ntotal &&
		    (ntotal == 0 || memcmp(prof->natives +
		    st->native_first[idx], prof->natives + nfirst,
		    ntotal * sizeof *prof->natives) == 0) &&
		    (count == 0 || (memcmp(st->frame_ids + st->stack_first[idx],
		    st->frame_ids + first, count * sizeof *st->frame_ids) == 0 &&
		    memcmp(prof->frames + st->stack_first[idx],
		    prof->frames + first, count * sizeof *prof->frames) == 0)))
			return 0;
		return reader_error(st, rec, "stack id %llu defined twice, "
		    "differently", (unsigned long long)id);
	}
	if (prof->nstacks >= READER_BAD - 1)
		return reader_error(st, rec, "too many STACK records");
	if (reader_stacks_grow(st, prof->nstacks + 1) != 0 ||
	    reader_idmap_put(&st->stack_ids, id, (uint32_t)prof->nstacks) != 0)
		return reader_nomem(st);
	s = &prof->stacks[prof->nstacks];
	s->id = id;
	s->flags = (unsigned int)flags & ~READER_UNUSABLE;
	s->nframes = (uint32_t)count;
	s->frames = NULL;
	s->nnative = (uint32_t)ntotal;
	s->native = NULL;
	st->stack_first[prof->nstacks] = first;
	st->stack_offset[prof->nstacks] = rec;
	st->native_first[prof->nstacks] = nfirst;
	prof->nstacks++;
	prof->nframes = first + count;
	prof->nnatives = nfirst + ntotal;
	return 0;
}

/* Parse a SAMPLE record. */
static int
reader_sample(struct reader_state *st, uint64_t rec, const uint8_t *p,
    const uint8_t *end)
{
	struct reader_profile	*prof = st->p;
	struct reader_pending	*q;
	uint64_t		 dt, tid, id, flags, weight = 0;
	uint32_t		 idx = 0;
	size_t			 n = prof->nsamples;

	if (format_get_varint(&p, end, &dt) != 0 ||
	    format_get_varint(&p, end, &tid) != 0 ||
	    format_get_varint(&p, end, &id) != 0 ||
	    format_get_varint(&p, end, &flags) != 0)
		return reader_error(st, rec, "SAMPLE record: bad or missing "
		    "field");
	/* 1.2 appends the time the sample stands for. */
	if (p < end && format_get_varint(&p, end, &weight) != 0)
		return reader_error(st, rec, "SAMPLE record: bad weight");
	if (tid > UINT32_MAX)
		return reader_error(st, rec, "SAMPLE record: thread id %llu "
		    "out of range", (unsigned long long)tid);
	if (n == st->samples_size) {
		size_t	s1 = st->samples_size, s2 = s1, s3 = s1, s4 = s1;
		size_t	s5 = s1;

		if (array_grow(&prof->sample_time, &s1, n + 1,
		    sizeof *prof->sample_time) != 0 ||
		    array_grow(&prof->sample_tid, &s2, n + 1,
		    sizeof *prof->sample_tid) != 0 ||
		    array_grow(&prof->sample_stack, &s3, n + 1,
		    sizeof *prof->sample_stack) != 0 ||
		    array_grow(&prof->sample_flags, &s4, n + 1,
		    sizeof *prof->sample_flags) != 0 ||
		    array_grow(&prof->sample_weight, &s5, n + 1,
		    sizeof *prof->sample_weight) != 0)
			return reader_nomem(st);
		st->samples_size = s1;
	}
	if (id != 0 && reader_idmap_get(&st->stack_ids, id, &idx) != 0) {
		/* Not defined yet: resolved at the end. */
		if (array_grow(&st->pending, &st->pending_size,
		    st->npending + 1, sizeof *st->pending) != 0)
			return reader_nomem(st);
		q = &st->pending[st->npending++];
		q->sample = n;
		q->id = id;
		q->offset = rec;
		idx = READER_BAD;
	}
	/* Unsigned, so that a hostile file cannot overflow a signed sum. */
	st->time_us = (int64_t)((uint64_t)st->time_us +
	    (uint64_t)format_unzigzag(dt));
	prof->sample_time[n] = st->time_us;
	prof->sample_tid[n] = (uint32_t)tid;
	prof->sample_stack[n] = idx;
	prof->sample_flags[n] = (uint16_t)flags;
	prof->sample_weight[n] = weight;
	prof->nsamples++;
	return 0;
}

/* The thread record of tid, or NULL. */
const struct reader_thread *
reader_thread_find(const struct reader_profile *prof, uint32_t tid)
{
	size_t	i;

	for (i = 0; i < prof->nthreads; i++) {
		if (prof->threads[i].tid == tid)
			return &prof->threads[i];
	}
	return NULL;
}

/* Parse a THREAD record, merging it into an earlier one of the thread. */
static int
reader_thread(struct reader_state *st, uint64_t rec, const uint8_t *p,
    const uint8_t *end)
{
	struct reader_profile	*prof = st->p;
	struct reader_thread	*t;
	uint64_t		 tid, flags, start, stop, olen, plen;
	const uint8_t		*oname;
	char			*os_name, *py_name;

	if (reader_field(st, rec, "THREAD record: thread id", &p, end,
	    &tid) != 0 ||
	    reader_field(st, rec, "THREAD record: flags", &p, end,
	    &flags) != 0 ||
	    reader_field(st, rec, "THREAD record: start", &p, end,
	    &start) != 0 ||
	    reader_field(st, rec, "THREAD record: end", &p, end, &stop) != 0 ||
	    reader_field(st, rec, "THREAD record: OS name length", &p, end,
	    &olen) != 0)
		return -1;
	if (tid > UINT32_MAX)
		return reader_error(st, rec, "THREAD record: thread id %llu "
		    "out of range", (unsigned long long)tid);
	if (olen > (uint64_t)(end - p))
		return reader_error(st, rec, "THREAD record: OS name runs "
		    "past the end of the record");
	oname = p;
	p += olen;
	if (reader_field(st, rec, "THREAD record: Python name length", &p,
	    end, &plen) != 0)
		return -1;
	if (plen > (uint64_t)(end - p))
		return reader_error(st, rec, "THREAD record: Python name runs "
		    "past the end of the record");
	os_name = reader_string(oname, (size_t)olen);
	py_name = reader_string(p, (size_t)plen);
	if (os_name == NULL || py_name == NULL) {
		free(os_name);
		free(py_name);
		return reader_nomem(st);
	}
	t = (struct reader_thread *)reader_thread_find(prof, (uint32_t)tid);
	if (t == NULL) {
		if (array_grow(&prof->threads, &st->threads_size,
		    prof->nthreads + 1, sizeof *prof->threads) != 0) {
			free(os_name);
			free(py_name);
			return reader_nomem(st);
		}
		t = &prof->threads[prof->nthreads++];
		memset(t, 0, sizeof *t);
		t->tid = (uint32_t)tid;
	}
	if (flags & THREAD_STARTED)
		t->start_us = format_unzigzag(start);
	if (flags & THREAD_ENDED)
		t->end_us = format_unzigzag(stop);
	t->flags |= (unsigned int)flags & (THREAD_STARTED | THREAD_ENDED);
	if (*os_name != '\0' || t->os_name == NULL) {
		free(t->os_name);
		t->os_name = os_name;
	} else
		free(os_name);
	if (*py_name != '\0' || t->py_name == NULL) {
		free(t->py_name);
		t->py_name = py_name;
	} else
		free(py_name);
	return 0;
}

/* Parse one record's payload [p, end) of the given type. */
static int
reader_record(struct reader_state *st, uint64_t rec, int type,
    const uint8_t *p, const uint8_t *end)
{
	struct reader_profile	*prof = st->p;

	if (!st->saw_header && type != REC_HEADER)
		return reader_error(st, rec, "the first record is not a "
		    "HEADER (type 0x%02x)", type);
	switch (type) {
	case REC_HEADER:
		if (st->saw_header)
			return reader_error(st, rec, "second HEADER record");
		st->saw_header = 1;
		return reader_kv_parse(st, rec, "HEADER", p, end,
		    &prof->header);
	case REC_CODE:
		return reader_code(st, rec, p, end);
	case REC_STACK:
		return reader_stack(st, rec, p, end);
	case REC_SAMPLE:
		return reader_sample(st, rec, p, end);
	case REC_MAPPING:
		return reader_mapping(st, rec, p, end);
	case REC_THREAD:
		return reader_thread(st, rec, p, end);
	case REC_STATS:
		return reader_kv_parse(st, rec, "STATS", p, end,
		    &st->last_stats);
	case REC_TRAILER:
		prof->trailer = 1;
		return reader_kv_parse(st, rec, "TRAILER", p, end,
		    &st->trailer);
	default:
		prof->unknown_records++;	/* from a newer minor version */
		return 0;
	}
}

/*
 * Read a record's length varint at *off.  Return 0, 1 if the file ends
 * inside it, -1 if it does not fit 64 bits.
 */
static int
reader_length(struct reader_state *st, size_t *off, uint64_t *v)
{
	const uint8_t	*p = st->data + *off, *end = st->data + st->len;
	size_t		 i;

	if (format_get_varint(&p, end, v) == 0) {
		*off = (size_t)(p - st->data);
		return 0;
	}
	for (i = *off; i < st->len && i - *off < 10; i++) {
		if ((st->data[i] & 0x80) == 0)
			return -1;
	}
	return i == st->len ? 1 : -1;
}

/* Check the 16-byte file header. */
static int
reader_file_header(struct reader_state *st)
{
	const uint8_t	*d = st->data;
	size_t		 n = st->len < FORMAT_MAGIC_LEN ? st->len : FORMAT_MAGIC_LEN;

	if (st->len == 0)
		return reader_error(st, 0, "empty file, not a pysig profile");
	if (memcmp(d, FORMAT_MAGIC, n) != 0)
		return reader_error(st, 0, "not a pysig profile");
	if (st->len < FORMAT_HEADER_LEN)
		return reader_error(st, 0, "file header cut short after %zu "
		    "bytes", st->len);
	st->p->major = d[8] | (unsigned int)d[9] << 8;
	st->p->minor = d[10] | (unsigned int)d[11] << 8;
	if (st->p->major > FORMAT_MAJOR)
		return reader_error(st, 8, "format version %u.%u is newer than "
		    "this pysig-report supports (%d.x)", st->p->major,
		    st->p->minor, FORMAT_MAJOR);
	if (st->p->major < 1)
		return reader_error(st, 8, "unknown format version %u.%u",
		    st->p->major, st->p->minor);
	return 0;
}

/* Resolve frames to codes and samples to stacks. */
static int
reader_resolve(struct reader_state *st)
{
	struct reader_profile	*prof = st->p;
	struct reader_stack	*s;
	struct reader_pending	*q;
	size_t			 i, j, k, bad = 0;
	uint32_t		 idx;
	uint64_t		 id;
	/* A file cut short may lack definitions still in the writer. */
	int			 lenient = prof->truncated || !prof->trailer;

	for (i = 1; i < prof->nstacks; i++) {
		s = &prof->stacks[i];
		if (s->nnative != 0)
			s->native = prof->natives + st->native_first[i];
		if (s->nframes == 0)
			continue;
		s->frames = prof->frames + st->stack_first[i];
		for (j = 0; j < s->nframes; j++) {
			id = st->frame_ids[st->stack_first[i] + j];
			if (reader_idmap_get(&st->code_ids, id, &idx) == 0) {
				s->frames[j].code = idx;
				continue;
			}
			if (!lenient)
				return reader_error(st, st->stack_offset[i],
				    "stack %llu refers to code id %llu, which "
				    "is not defined", (unsigned long long)s->id,
				    (unsigned long long)id);
			s->flags |= READER_UNUSABLE;
			break;
		}
	}
	for (i = 0; i < st->npending; i++) {
		q = &st->pending[i];
		if (reader_idmap_get(&st->stack_ids, q->id, &idx) == 0) {
			prof->sample_stack[q->sample] = idx;
			continue;
		}
		if (!lenient)
			return reader_error(st, q->offset, "sample refers to "
			    "stack id %llu, which is not defined",
			    (unsigned long long)q->id);
	}

	/* Leave out the samples that could not be resolved. */
	for (i = 0; i < prof->nstacks; i++)
		bad += (prof->stacks[i].flags & READER_UNUSABLE) != 0;
	if (bad == 0 && !lenient)
		return 0;
	for (i = 0, k = 0; i < prof->nsamples; i++) {
		idx = prof->sample_stack[i];
		if (idx == READER_BAD ||
		    (prof->stacks[idx].flags & READER_UNUSABLE) != 0) {
			prof->unresolved++;
			continue;
		}
		prof->sample_time[k] = prof->sample_time[i];
		prof->sample_tid[k] = prof->sample_tid[i];
		prof->sample_stack[k] = idx;
		prof->sample_flags[k] = prof->sample_flags[i];
		prof->sample_weight[k] = prof->sample_weight[i];
		k++;
	}
	prof->nsamples = k;
	for (i = 0; i < prof->nstacks; i++) {
		if (prof->stacks[i].flags & READER_UNUSABLE) {
			prof->stacks[i].flags &= ~READER_UNUSABLE;
			prof->stacks[i].nframes = 0;
			prof->stacks[i].nnative = 0;
		}
	}
	return 0;
}

/* Walk the records of the file. */
static int
reader_walk(struct reader_state *st)
{
	struct reader_profile	*prof = st->p;
	size_t			 off = FORMAT_HEADER_LEN, rec;
	uint64_t		 len;
	int			 type, r;

	while (off < st->len) {
		rec = off;
		type = st->data[off++];
		r = reader_length(st, &off, &len);
		if (r < 0)
			return reader_error(st, rec, "bad record length");
		if (r == 0 && len > FORMAT_MAX_PAYLOAD)
			return reader_error(st, rec, "record length %llu is "
			    "over the 16 MiB limit: the file is corrupt",
			    (unsigned long long)len);
		if (r > 0 || len > st->len - off) {
			prof->truncated = 1;
			prof->truncated_at = rec;
			break;
		}
		if (reader_record(st, rec, type, st->data + off,
		    st->data + off + len) != 0)
			return -1;
		off += len;
		if (type == REC_SAMPLE || type == REC_STACK)
			prof->sample_bytes += off - rec;
	}
	if (!st->saw_header && !prof->truncated) {
		/* Nothing but the file header: cut short at its end. */
		prof->truncated = 1;
		prof->truncated_at = off;
	}
	return 0;
}

/* The same as reader_load() for a profile already in memory. */
struct reader_profile *
reader_parse(const char *name, const uint8_t *data, size_t len, char **cause)
{
	struct reader_state	 st;
	struct reader_profile	*prof;

	memset(&st, 0, sizeof st);
	st.name = name;
	st.data = data;
	st.len = len;
	*cause = NULL;
	if ((prof = calloc(1, sizeof *prof)) == NULL ||
	    (prof->path = strdup(name)) == NULL) {
		free(prof);
		reader_nomem(&st);
		*cause = st.cause;
		return NULL;
	}
	st.p = prof;
	prof->size = len;
	if (reader_stacks_grow(&st, 1) != 0) {
		reader_nomem(&st);
		goto fail;
	}
	/* stacks[0]: the empty stack, id 0. */
	memset(&prof->stacks[0], 0, sizeof prof->stacks[0]);
	prof->nstacks = 1;

	if (reader_file_header(&st) != 0 || reader_walk(&st) != 0 ||
	    reader_resolve(&st) != 0)
		goto fail;
	if (prof->trailer) {
		prof->stats = st.trailer;
		reader_kv_free(&st.last_stats);
	} else {
		prof->stats = st.last_stats;
		reader_kv_free(&st.trailer);
	}
	st.trailer.pairs = st.last_stats.pairs = NULL;
	goto out;

fail:
	reader_kv_free(&st.trailer);
	reader_kv_free(&st.last_stats);
	reader_free(prof);
	prof = NULL;
	*cause = st.cause;
	st.cause = NULL;
out:
	free(st.code_ids.keys);
	free(st.code_ids.values);
	free(st.stack_ids.keys);
	free(st.stack_ids.values);
	free(st.frame_ids);
	free(st.stack_first);
	free(st.stack_offset);
	free(st.native_first);
	free(st.pending);
	free(st.cause);
	return prof;
}

/* Read the profile at path. */
struct reader_profile *
reader_load(const char *path, char **cause)
{
	struct reader_profile	*prof;
	struct stat		 sb;
	uint8_t			*buf = NULL;
	size_t			 size, len = 0;
	ssize_t			 n;
	int			 fd, error;

	*cause = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		goto syserr;
	if (fstat(fd, &sb) != 0)
		goto syserr;
	if (S_ISDIR(sb.st_mode)) {
		errno = EISDIR;
		goto syserr;
	}
	/* One more byte than its size, to see it end without a reallocation. */
	size = S_ISREG(sb.st_mode) && sb.st_size > 0 ?
	    (size_t)sb.st_size + 1 : 64 * 1024;
	for (;;) {
		if (len == size && array_grow(&buf, &size, size + 1, 1) != 0) {
			errno = ENOMEM;
			goto syserr;
		}
		if (buf == NULL && (buf = malloc(size)) == NULL)
			goto syserr;
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto syserr;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	prof = reader_parse(path, buf, len, cause);
	free(buf);
	return prof;

syserr:
	error = errno;
	if (fd >= 0)
		close(fd);
	free(buf);
	if (asprintf(cause, "%s: %s", path, strerror(error)) < 0)
		*cause = NULL;
	return NULL;
}

/* Free a profile. */
void
reader_free(struct reader_profile *prof)
{
	size_t	i;

	if (prof == NULL)
		return;
	for (i = 0; i < prof->ncodes; i++) {
		free(prof->codes[i].name);
		free(prof->codes[i].file);
		free(prof->codes[i].table);
	}
	free(prof->codes);
	free(prof->stacks);
	free(prof->frames);
	free(prof->natives);
	for (i = 0; i < prof->nmappings; i++) {
		free(prof->mappings[i].build_id);
		free(prof->mappings[i].path);
	}
	free(prof->mappings);
	reader_kv_free(&prof->header);
	reader_kv_free(&prof->stats);
	free(prof->sample_time);
	free(prof->sample_tid);
	free(prof->sample_stack);
	free(prof->sample_flags);
	free(prof->sample_weight);
	for (i = 0; i < prof->nthreads; i++) {
		free(prof->threads[i].os_name);
		free(prof->threads[i].py_name);
	}
	free(prof->threads);
	free(prof->path);
	free(prof);
}
