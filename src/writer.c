/*
 * The profile writer.  Records are encoded into one growing buffer that
 * writer_flush() appends to the descriptor.  Stacks are deduplicated through
 * an open-addressing hash table keyed by (flags, frames); its frames live in
 * one arena, so memory grows only with the number of distinct stacks (and
 * of functions, whose CODE records are kept, see below).
 *
 * A failed flush drops what was buffered, but the records dropped may hold
 * the only definition of a stack or a function that later samples refer
 * to: the reader rejects such references.  So the writer first tries to cut
 * the file back to where the failed flush started (a regular file can be;
 * a pipe cannot), then forgets the dropped STACK definitions, which are
 * written again the next time a sample uses them, and appends the dropped
 * CODE records again from its own copies.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "format.h"
#include "writer.h"

#define WRITER_LEN_BYTES	4	/* varint room for a length < 2^28 */
#define WRITER_MIN_SLOTS	1024
#define WRITER_MAX_STRING	(1024 * 1024)	/* per CODE name or file */
#define WRITER_MAX_FRAMES	((FORMAT_MAX_PAYLOAD - 64) / 10)
#define WRITER_UNDEFINED	UINT64_MAX
#define WRITER_RECENT		8	/* stacks tried as a delta base */

/* A distinct stack: a slot of the hash table (id 0: free). */
struct writer_stack {
	uint64_t	hash;
	uint64_t	id;
	uint64_t	defined;	/* stream position after its record */
	size_t		frames;		/* index in the frame arena */
	uint32_t	nframes;	/* Python frames, then native ones */
	uint32_t	nnative;
	uint32_t	flags;
};

/* Where a copy of a CODE record sits, to write it again. */
struct writer_code {
	uint64_t	defined;	/* stream position after its record */
	size_t		off;		/* offset in the code arena */
	size_t		len;
};

struct writer {
	int			 fd;
	uint64_t		 start_mono_ns;
	int64_t			 last_us;	/* previous SAMPLE, since start */

	uint8_t			*buf;
	size_t			 len;
	size_t			 size;
	uint64_t		 base;		/* stream position of buf[0] */

	size_t			 kv_start;	/* open key/value record */
	int			 kv_open;
	int			 kv_broken;	/* a pair did not fit */

	struct writer_stack	*slots;
	size_t			 nslots;	/* a power of two */
	size_t			 used;
	struct writer_frame	*arena;
	size_t			 arena_len;
	size_t			 arena_size;
	uint64_t		 next_stack;
	uint64_t		*id_hash;	/* a stack's hash by its id */
	size_t			 id_hash_size;

	uint8_t			*code_bytes;
	size_t			 code_bytes_len;
	size_t			 code_bytes_size;
	struct writer_code	*codes;
	size_t			 ncodes;
	size_t			 codes_size;

	/* The last stacks defined, to encode new ones as deltas. */
	struct {
		uint64_t	id;
		size_t		frames;
		uint32_t	nframes;
		uint32_t	nnative;
		uint32_t	flags;
	}			 recent[WRITER_RECENT];
	unsigned int		 nrecent;
	unsigned int		 recent_next;

	uint64_t		 stacks;
	uint64_t		 samples;
	uint64_t		 written;
	uint64_t		 lost;
};

/* Make room for n more bytes in the buffer; count them lost if not. */
static int
writer_reserve(struct writer *w, size_t n)
{
	if (n > SIZE_MAX - w->len ||
	    array_grow(&w->buf, &w->size, w->len + n, 1) != 0) {
		w->lost += n;
		return -1;
	}
	return 0;
}

/*
 * Close a record whose type byte is at buf[start], whose payload was
 * written after WRITER_LEN_BYTES reserved bytes: store the real length and
 * slide the payload down to it.
 */
static void
writer_close_record(struct writer *w, size_t start)
{
	size_t	payload = start + 1 + WRITER_LEN_BYTES;
	size_t	plen = w->len - payload, n;
	uint8_t	tmp[10];

	n = format_put_varint(tmp, plen);
	memcpy(w->buf + start + 1, tmp, n);
	if (n != WRITER_LEN_BYTES)
		memmove(w->buf + start + 1 + n, w->buf + payload, plen);
	w->len = start + 1 + n + plen;
}

/* Create a writer on fd (written from its current position). */
struct writer *
writer_create(int fd, uint64_t start_mono_ns)
{
	struct writer	*w;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return NULL;
	w->fd = fd;
	w->start_mono_ns = start_mono_ns;
	w->next_stack = 1;
	w->nslots = WRITER_MIN_SLOTS;
	w->slots = calloc(w->nslots, sizeof *w->slots);
	w->size = 64 * 1024;
	w->buf = malloc(w->size);
	if (w->slots == NULL || w->buf == NULL) {
		writer_free(w);
		return NULL;
	}
	return w;
}

/* Free the writer; does not close the descriptor. */
void
writer_free(struct writer *w)
{
	if (w == NULL)
		return;
	free(w->buf);
	free(w->slots);
	free(w->arena);
	free(w->id_hash);
	free(w->code_bytes);
	free(w->codes);
	free(w);
}

/* Append the 16-byte file header. */
void
writer_file_header(struct writer *w)
{
	if (w->kv_open)
		writer_kv_end(w);
	if (writer_reserve(w, FORMAT_HEADER_LEN) != 0)
		return;
	format_file_header(w->buf + w->len);
	w->len += FORMAT_HEADER_LEN;
}

/* Begin a key/value record (REC_HEADER, REC_STATS or REC_TRAILER). */
void
writer_kv_begin(struct writer *w, int type)
{
	if (w->kv_open)
		writer_kv_end(w);
	w->kv_broken = 0;
	if (writer_reserve(w, 1 + WRITER_LEN_BYTES) != 0) {
		w->kv_broken = 1;
		w->kv_start = w->len;
		w->kv_open = 1;
		return;
	}
	w->kv_start = w->len;
	w->kv_open = 1;
	w->buf[w->len] = (uint8_t)type;
	w->len += 1 + WRITER_LEN_BYTES;
}

/* Add one key/value pair to the open key/value record. */
void
writer_kv(struct writer *w, const char *key, const char *value)
{
	size_t	klen, vlen, plen;

	if (!w->kv_open)
		return;
	klen = strlen(key) + 1;
	vlen = strlen(value) + 1;
	if (w->kv_broken) {
		w->lost += klen + vlen;
		return;
	}
	/* A pair that would make the record look corrupt is left out. */
	plen = w->len - (w->kv_start + 1 + WRITER_LEN_BYTES);
	if (klen + vlen > FORMAT_MAX_PAYLOAD - plen) {
		w->lost += klen + vlen;
		return;
	}
	if (writer_reserve(w, klen + vlen) != 0) {
		w->kv_broken = 1;
		return;
	}
	memcpy(w->buf + w->len, key, klen);
	memcpy(w->buf + w->len + klen, value, vlen);
	w->len += klen + vlen;
}

/* Add a pair with a decimal unsigned value. */
void
writer_kv_u64(struct writer *w, const char *key, uint64_t value)
{
	char	tmp[24], *p = tmp + sizeof tmp;

	*--p = '\0';
	do {
		*--p = (char)('0' + value % 10);
		value /= 10;
	} while (value != 0);
	writer_kv(w, key, p);
}

/* Close the open key/value record; a record missing a pair is dropped. */
void
writer_kv_end(struct writer *w)
{
	if (!w->kv_open)
		return;
	w->kv_open = 0;
	if (w->kv_broken) {
		w->lost += w->len - w->kv_start;
		w->len = w->kv_start;
		return;
	}
	writer_close_record(w, w->kv_start);
}

/* Append a varint; the caller reserved the room. */
static inline void
writer_put(struct writer *w, uint64_t v)
{
	w->len += format_put_varint(w->buf + w->len, v);
}

/* Append bytes with their varint length; the caller reserved the room. */
static void
writer_put_bytes(struct writer *w, const void *p, size_t len)
{
	writer_put(w, len);
	if (len != 0)
		memcpy(w->buf + w->len, p, len);
	w->len += len;
}

/* The length of s[0..len) cut to at most max bytes at a UTF-8 boundary. */
static size_t
writer_cut_utf8(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	len = max;
	while (len > 0 && ((uint8_t)s[len] & 0xc0) == 0x80)
		len--;
	return len;
}

/* Keep a copy of the CODE or MAPPING record at buf[start..len). */
static void
writer_keep_code(struct writer *w, size_t start)
{
	size_t			 n = w->len - start;
	struct writer_code	*c;

	if (array_grow(&w->codes, &w->codes_size, w->ncodes + 1,
	    sizeof *w->codes) != 0 ||
	    array_grow(&w->code_bytes, &w->code_bytes_size,
	    w->code_bytes_len + n, 1) != 0)
		return;	/* it cannot be written again, that is all */
	c = &w->codes[w->ncodes++];
	c->off = w->code_bytes_len;
	c->len = n;
	c->defined = w->base + w->len;
	memcpy(w->code_bytes + c->off, w->buf + start, n);
	w->code_bytes_len += n;
}

/* Append a CODE record (closing an open key/value record). */
void
writer_code(struct writer *w, uint32_t id, int32_t firstlineno,
    int table_kind, unsigned int flags, const char *name, size_t name_len,
    const char *file, size_t file_len, const uint8_t *table,
    size_t table_len)
{
	size_t	start, room;

	if (w->kv_open)
		writer_kv_end(w);
	if (name_len > WRITER_MAX_STRING || file_len > WRITER_MAX_STRING) {
		name_len = writer_cut_utf8(name, name_len, WRITER_MAX_STRING);
		file_len = writer_cut_utf8(file, file_len, WRITER_MAX_STRING);
		flags |= CODE_NAME_TRUNCATED;
	}
	/* Fields, names and their lengths take at most this much. */
	room = FORMAT_MAX_PAYLOAD - 64 - name_len - file_len;
	if (table_len > room) {
		table_len = room;
		flags |= CODE_TABLE_TRUNCATED;
	}
	if (writer_reserve(w, 1 + WRITER_LEN_BYTES + 64 + name_len +
	    file_len + table_len) != 0)
		return;
	start = w->len;
	w->buf[w->len] = REC_CODE;
	w->len += 1 + WRITER_LEN_BYTES;
	writer_put(w, id);
	writer_put(w, format_zigzag(firstlineno));
	w->buf[w->len++] = (uint8_t)table_kind;
	writer_put(w, flags);
	writer_put_bytes(w, name, name_len);
	writer_put_bytes(w, file, file_len);
	writer_put_bytes(w, table, table_len);
	writer_close_record(w, start);
	writer_keep_code(w, start);
}

/*
 * Append a MAPPING record (closing an open key/value record).  Like CODE
 * records, a copy is kept to write it again after a failed flush.
 */
void
writer_mapping(struct writer *w, uint64_t start, uint64_t end, uint64_t bias,
    unsigned int flags, const uint8_t *build_id, size_t build_id_len,
    const char *path)
{
	size_t	at, path_len = strlen(path);

	if (w->kv_open)
		writer_kv_end(w);
	if (build_id_len > 255)
		build_id_len = 255;
	path_len = writer_cut_utf8(path, path_len, WRITER_MAX_STRING);
	if (writer_reserve(w, 1 + WRITER_LEN_BYTES + 64 + build_id_len +
	    path_len) != 0)
		return;
	at = w->len;
	w->buf[w->len] = REC_MAPPING;
	w->len += 1 + WRITER_LEN_BYTES;
	writer_put(w, start);
	writer_put(w, end);
	writer_put(w, bias);
	writer_put(w, flags);
	writer_put_bytes(w, build_id, build_id_len);
	writer_put_bytes(w, path, path_len);
	writer_close_record(w, at);
	writer_keep_code(w, at);
}

/*
 * Append a THREAD record (1.2): a thread's id, what is known of its start
 * and end (ns on CLOCK_MONOTONIC, written as microseconds since the
 * start), its OS name and its Python name ("" when unknown).
 */
void
writer_thread(struct writer *w, uint32_t tid, unsigned int flags,
    uint64_t start_ns, uint64_t end_ns, const char *os_name,
    const char *py_name)
{
	size_t	at, olen, plen;

	if (w->kv_open)
		writer_kv_end(w);
	olen = writer_cut_utf8(os_name, strlen(os_name), WRITER_MAX_STRING);
	plen = writer_cut_utf8(py_name, strlen(py_name), WRITER_MAX_STRING);
	if (writer_reserve(w, 1 + WRITER_LEN_BYTES + 64 + olen + plen) != 0)
		return;
	at = w->len;
	w->buf[w->len] = REC_THREAD;
	w->len += 1 + WRITER_LEN_BYTES;
	writer_put(w, tid);
	writer_put(w, flags);
	writer_put(w, format_zigzag((flags & THREAD_STARTED) ?
	    ((int64_t)(start_ns - w->start_mono_ns) / 1000) : 0));
	writer_put(w, format_zigzag((flags & THREAD_ENDED) ?
	    ((int64_t)(end_ns - w->start_mono_ns) / 1000) : 0));
	writer_put_bytes(w, os_name, olen);
	writer_put_bytes(w, py_name, plen);
	writer_close_record(w, at);
}

/* Hash a stack's flags and frames. */
static uint64_t
writer_hash(unsigned int flags, const struct writer_frame *f,
    unsigned int n, const uint64_t *native, unsigned int nnative)
{
	uint64_t	h = 0x243f6a8885a308d3ULL ^ ((uint64_t)flags << 32) ^ n;
	unsigned int	i;

	for (i = 0; i < n; i++) {
		h ^= ((uint64_t)f[i].ref << 32) | (uint32_t)f[i].addr;
		h *= 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	h ^= nnative;
	for (i = 0; i < nnative; i++) {
		h ^= native[i];
		h *= 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	h ^= h >> 32;
	return h;
}

/* Double the hash table. */
static int
writer_rehash(struct writer *w)
{
	struct writer_stack	*old = w->slots, *s;
	size_t			 n = w->nslots * 2, i, j;

	if ((s = calloc(n, sizeof *s)) == NULL)
		return -1;
	for (i = 0; i < w->nslots; i++) {
		if (old[i].id == 0)
			continue;
		for (j = old[i].hash & (n - 1); s[j].id != 0; j = (j + 1) & (n - 1))
			;
		s[j] = old[i];
	}
	free(old);
	w->slots = s;
	w->nslots = n;
	return 0;
}

/*
 * The slot of a stack, added to the table if new (its definition pending).
 * NULL if memory ran out.
 */
static struct writer_stack *
writer_find_stack(struct writer *w, unsigned int flags,
    const struct writer_frame *frames, unsigned int n,
    const uint64_t *native, unsigned int nnative)
{
	uint64_t		 h = writer_hash(flags, frames, n, native,
				     nnative);
	size_t			 i, mask;
	struct writer_stack	*s;

	if ((w->used + 1) * 4 > w->nslots * 3 && writer_rehash(w) != 0)
		return NULL;
	mask = w->nslots - 1;
	for (i = h & mask; w->slots[i].id != 0; i = (i + 1) & mask) {
		s = &w->slots[i];
		if (s->hash == h && s->nframes == n && s->flags == flags &&
		    s->nnative == nnative &&
		    (n == 0 || memcmp(w->arena + s->frames, frames,
		    n * sizeof *frames) == 0) &&
		    (nnative == 0 || memcmp(w->arena + s->frames + n, native,
		    nnative * sizeof *native) == 0))
			return s;
	}
	if (array_grow(&w->arena, &w->arena_size, w->arena_len + n + nnative,
	    sizeof *w->arena) != 0 ||
	    array_grow(&w->id_hash, &w->id_hash_size, w->next_stack + 1,
	    sizeof *w->id_hash) != 0)
		return NULL;
	w->id_hash[w->next_stack] = h;
	s = &w->slots[i];
	s->hash = h;
	s->id = w->next_stack++;
	s->defined = WRITER_UNDEFINED;
	s->frames = w->arena_len;
	s->nframes = n;
	s->nnative = nnative;
	s->flags = flags;
	if (n != 0)
		memcpy(w->arena + w->arena_len, frames, n * sizeof *frames);
	/* A native address takes the room of one frame in the arena. */
	if (nnative != 0)
		memcpy(w->arena + w->arena_len + n, native,
		    nnative * sizeof *native);
	w->arena_len += n + nnative;
	w->used++;
	w->stacks++;
	return s;
}

/* How many outermost frames two stacks (innermost first) share. */
static uint32_t
writer_common_root(const struct writer_frame *a, uint32_t na,
    const struct writer_frame *b, uint32_t nb)
{
	uint32_t	k = 0;

	while (k < na && k < nb && a[na - 1 - k].ref == b[nb - 1 - k].ref &&
	    a[na - 1 - k].addr == b[nb - 1 - k].addr)
		k++;
	return k;
}

/* How many outermost addresses two native stacks share. */
static uint32_t
writer_common_native(const uint64_t *a, uint32_t na, const uint64_t *b,
    uint32_t nb)
{
	uint32_t	k = 0;

	while (k < na && k < nb && a[na - 1 - k] == b[nb - 1 - k])
		k++;
	return k;
}

/* The native addresses of a stack in the arena. */
static inline const uint64_t *
writer_native(const struct writer *w, size_t frames, uint32_t nframes)
{
	return (const uint64_t *)(const void *)(w->arena + frames + nframes);
}

/*
 * Append the STACK record defining s.  Stacks of a program differ mostly
 * near the leaf, so s is written as a delta: the outermost frames of one of
 * the last stacks defined, plus its own innermost frames.  A new leaf
 * position under a 50-frame stack then costs a few bytes, not 150.
 */
static int
writer_stack_record(struct writer *w, struct writer_stack *s)
{
	const struct writer_frame	*f = w->arena + s->frames;
	const uint64_t			*nat = writer_native(w, s->frames,
					     s->nframes), *rn;
	size_t				 start;
	uint64_t			 base = 0, prev;
	uint32_t			 i, k, kn, keep = 0, nkeep = 0;

	for (i = 0; i < w->nrecent; i++) {
		k = writer_common_root(f, s->nframes,
		    w->arena + w->recent[i].frames, w->recent[i].nframes);
		kn = 0;
		if ((s->flags & STACK_NATIVE) &&
		    (w->recent[i].flags & STACK_NATIVE)) {
			rn = writer_native(w, w->recent[i].frames,
			    w->recent[i].nframes);
			kn = writer_common_native(nat, s->nnative, rn,
			    w->recent[i].nnative);
		}
		if (k + kn > keep + nkeep) {
			keep = k;
			nkeep = kn;
			base = w->recent[i].id;
		}
	}
	if (keep + nkeep < 2)
		base = keep = nkeep = 0;
	if (writer_reserve(w, 1 + WRITER_LEN_BYTES + 50 +
	    (size_t)(s->nframes - keep) * 10 +
	    (size_t)(s->nnative - nkeep) * 10) != 0)
		return -1;
	start = w->len;
	w->buf[w->len] = REC_STACK;
	w->len += 1 + WRITER_LEN_BYTES;
	writer_put(w, s->id);
	writer_put(w, s->flags);
	writer_put(w, base);
	writer_put(w, keep);
	writer_put(w, s->nframes - keep);
	for (i = 0; i < s->nframes - keep; i++) {
		writer_put(w, f[i].ref);
		writer_put(w, format_zigzag(f[i].addr));
	}
	if (s->flags & STACK_NATIVE) {
		/* Addresses as differences: code of one library is close. */
		writer_put(w, nkeep);
		writer_put(w, s->nnative - nkeep);
		for (prev = 0, i = 0; i < s->nnative - nkeep; i++) {
			writer_put(w, format_zigzag((int64_t)(nat[i] - prev)));
			prev = nat[i];
		}
	}
	writer_close_record(w, start);
	s->defined = w->base + w->len;
	w->recent[w->recent_next].id = s->id;
	w->recent[w->recent_next].frames = s->frames;
	w->recent[w->recent_next].nframes = s->nframes;
	w->recent[w->recent_next].nnative = s->nnative;
	w->recent[w->recent_next].flags = s->flags;
	w->recent_next = (w->recent_next + 1) % WRITER_RECENT;
	if (w->nrecent < WRITER_RECENT)
		w->nrecent++;
	return 0;
}

/*
 * Append a SAMPLE (and a STACK record the first time this stack is seen).
 * frames are innermost first.
 */
void
writer_sample(struct writer *w, uint64_t time_ns, uint32_t tid,
    unsigned int stack_flags, const struct writer_frame *frames,
    unsigned int nframes)
{
	writer_sample_native(w, time_ns, tid, stack_flags, frames, nframes,
	    NULL, 0);
}

/*
 * The same with the native stack (addresses innermost first), recorded
 * when stack_flags has STACK_NATIVE.
 */
void
writer_sample_native(struct writer *w, uint64_t time_ns, uint32_t tid,
    unsigned int stack_flags, const struct writer_frame *frames,
    unsigned int nframes, const uint64_t *native, unsigned int nnative)
{
	writer_sample_state(w, time_ns, tid, stack_flags, frames, nframes,
	    native, nnative, 0, 0);
}

/* Append a SAMPLE record of stack id. */
static void
writer_put_sample(struct writer *w, uint64_t time_ns, uint32_t tid,
    uint64_t id, unsigned int sample_flags, uint64_t weight_ns)
{
	int64_t		now_us;
	uint8_t		rec[64];
	size_t		n;

	/* Microseconds from the start, so rounding errors do not add up. */
	now_us = (int64_t)(time_ns - w->start_mono_ns) / 1000;
	n = 2;
	n += format_put_varint(rec + n, format_zigzag(now_us - w->last_us));
	n += format_put_varint(rec + n, tid);
	n += format_put_varint(rec + n, id);
	n += format_put_varint(rec + n, sample_flags);
	n += format_put_varint(rec + n, weight_ns);
	rec[0] = REC_SAMPLE;
	rec[1] = (uint8_t)(n - 2);
	if (writer_reserve(w, n) != 0)
		return;
	memcpy(w->buf + w->len, rec, n);
	w->len += n;
	w->last_us = now_us;
	w->samples++;
}

/*
 * A sample with its native stack, its state (SAMPLE_* flags) and the time
 * it stands for (0: unknown); the stack's id or WRITER_NO_STACK.
 */
uint64_t
writer_sample_state(struct writer *w, uint64_t time_ns, uint32_t tid,
    unsigned int stack_flags, const struct writer_frame *frames,
    unsigned int nframes, const uint64_t *native, unsigned int nnative,
    unsigned int sample_flags, uint64_t weight_ns)
{
	struct writer_stack	*s;
	uint64_t		 id = 0;

	if (w->kv_open)
		writer_kv_end(w);
	if (nframes > WRITER_MAX_FRAMES) {
		nframes = WRITER_MAX_FRAMES;	/* keep the innermost */
		stack_flags |= STACK_TRUNCATED;
	}
	if (!(stack_flags & STACK_NATIVE))
		nnative = 0;
	if (nnative > WRITER_MAX_FRAMES - nframes) {
		nnative = WRITER_MAX_FRAMES - nframes;
		stack_flags |= STACK_NATIVE_TRUNCATED;
	}
	if (nframes != 0 || stack_flags != 0) {
		s = writer_find_stack(w, stack_flags, frames, nframes, native,
		    nnative);
		if (s == NULL) {
			w->lost += 16;
			return WRITER_NO_STACK;
		}
		if (s->defined == WRITER_UNDEFINED &&
		    writer_stack_record(w, s) != 0)
			return WRITER_NO_STACK;
		id = s->id;
	}
	writer_put_sample(w, time_ns, tid, id, sample_flags, weight_ns);
	return id;
}

/*
 * A sample of a stack written before, by its id: defined again first if a
 * failed flush lost its definition.
 */
void
writer_sample_again(struct writer *w, uint64_t time_ns, uint32_t tid,
    uint64_t id, unsigned int sample_flags, uint64_t weight_ns)
{
	struct writer_stack	*s = NULL;
	size_t			 i, mask;

	if (w->kv_open)
		writer_kv_end(w);
	if (id >= w->next_stack)
		return;
	if (id != 0) {
		mask = w->nslots - 1;
		for (i = w->id_hash[id] & mask; w->slots[i].id != 0;
		    i = (i + 1) & mask) {
			if (w->slots[i].id == id) {
				s = &w->slots[i];
				break;
			}
		}
		if (s == NULL || (s->defined == WRITER_UNDEFINED &&
		    writer_stack_record(w, s) != 0))
			return;
	}
	writer_put_sample(w, time_ns, tid, id, sample_flags, weight_ns);
}

/* Number of distinct stacks so far. */
uint64_t
writer_stacks(const struct writer *w)
{
	return w->stacks;
}

/* Number of sample records so far. */
uint64_t
writer_samples(const struct writer *w)
{
	return w->samples;
}

/* Bytes written to the descriptor so far (after flushes). */
uint64_t
writer_bytes(const struct writer *w)
{
	return w->written;
}

/*
 * Drop what is buffered, outside a key/value record: after a failed flush
 * it is the CODE records to write again, which a last record does not
 * need.  Later records that name those codes would be unreadable: call
 * this only before the last record.
 */
void
writer_discard(struct writer *w)
{
	if (!w->kv_open)
		w->len = 0;
}

/*
 * Cut the file back to size bytes, the end of an earlier flush, and drop
 * what is buffered: on a full disk, to make room for a last record.  The
 * bytes cut count as lost.  Like writer_discard(), only before the last
 * record.
 */
int
writer_cut(struct writer *w, uint64_t size)
{
	if (size > w->written || ftruncate(w->fd, (off_t)size) != 0 ||
	    lseek(w->fd, (off_t)size, SEEK_SET) < 0)
		return -errno;
	w->lost += w->written - size;
	w->written = size;
	writer_discard(w);
	return 0;
}

/* Bytes lost to failed writes. */
uint64_t
writer_lost_bytes(const struct writer *w)
{
	return w->lost;
}

/*
 * After a failed flush, everything from stream position from on is gone:
 * forget those STACK definitions and write those CODE records again, before
 * the key/value record being built if there is one.
 */
static void
writer_redefine(struct writer *w, uint64_t from)
{
	size_t			 i, first, total = 0, at;
	struct writer_code	*c;

	for (i = 0; i < w->nslots; i++) {
		if (w->slots[i].id != 0 && w->slots[i].defined > from)
			w->slots[i].defined = WRITER_UNDEFINED;
	}
	/*
	 * A delta base must be in the file: start again, from the first slot
	 * (the bases are looked for in slots 0 to nrecent - 1).
	 */
	w->nrecent = 0;
	w->recent_next = 0;
	for (first = w->ncodes; first > 0; first--) {
		if (w->codes[first - 1].defined <= from)
			break;
		total += w->codes[first - 1].len;
	}
	if (total == 0 || writer_reserve(w, total) != 0)
		return;
	at = w->kv_open ? w->kv_start : w->len;
	memmove(w->buf + at + total, w->buf + at, w->len - at);
	w->len += total;
	if (w->kv_open)
		w->kv_start += total;
	for (i = first; i < w->ncodes; i++) {
		c = &w->codes[i];
		memcpy(w->buf + at, w->code_bytes + c->off, c->len);
		at += c->len;
		c->defined = w->base + at;
	}
}

/*
 * Write everything buffered.  Return 0, or -errno if the write failed (the
 * buffered data is dropped and counted; the writer stays usable).
 */
int
writer_flush(struct writer *w)
{
	size_t	n = w->kv_open ? w->kv_start : w->len, done = 0;
	ssize_t	r;
	off_t	pos;
	int	error = 0;

	while (done < n) {
		r = write(w->fd, w->buf + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			error = r < 0 ? errno : EIO;
			break;
		}
		done += (size_t)r;
	}
	if (error != 0 && done != 0) {
		/* Cut the file back to whole records if it can be. */
		pos = lseek(w->fd, -(off_t)done, SEEK_CUR);
		if (pos >= 0 && ftruncate(w->fd, pos) == 0)
			done = 0;
		else if (pos >= 0)
			lseek(w->fd, (off_t)done, SEEK_CUR);
	}
	w->written += done;
	if (error != 0)
		w->lost += n - done;
	memmove(w->buf, w->buf + n, w->len - n);
	w->len -= n;
	if (w->kv_open)
		w->kv_start -= n;
	w->base += n;
	if (error != 0) {
		writer_redefine(w, w->base - n + done);
		return -error;
	}
	return 0;
}
