/*
 * Profile file writer: encodes records (doc/FORMAT.md) into a memory buffer,
 * deduplicating stacks, and appends them to a file descriptor on flush.
 * Normal context only (it allocates); the preload's writer thread drives it.
 */

#ifndef PYSIG_WRITER_H
#define PYSIG_WRITER_H

#include <stddef.h>
#include <stdint.h>

struct writer;

/* A frame as the sampler records it: (code id << 1) | entry, and offset. */
struct writer_frame {
	uint32_t	ref;
	int32_t		addr;
};

/* Create a writer on fd (written from its current position). */
struct writer	*writer_create(int fd, uint64_t start_mono_ns);
/* Free the writer; does not close the descriptor. */
void		 writer_free(struct writer *);
/* Append the 16-byte file header. */
void		 writer_file_header(struct writer *);
/* Begin a key/value record (REC_HEADER, REC_STATS or REC_TRAILER). */
void		 writer_kv_begin(struct writer *, int type);
/* Add one key/value pair to the open key/value record. */
void		 writer_kv(struct writer *, const char *key, const char *value);
/* Add a pair with a decimal unsigned value. */
void		 writer_kv_u64(struct writer *, const char *key, uint64_t value);
/* Close the open key/value record. */
void		 writer_kv_end(struct writer *);
/* Append a CODE record. */
void		 writer_code(struct writer *, uint32_t id, int32_t firstlineno,
		     int table_kind, unsigned int flags,
		     const char *name, size_t name_len,
		     const char *file, size_t file_len,
		     const uint8_t *table, size_t table_len);
/*
 * Append a SAMPLE (and a STACK record the first time this stack is seen).
 * frames are innermost first.
 */
void		 writer_sample(struct writer *, uint64_t time_ns, uint32_t tid,
		     unsigned int stack_flags, const struct writer_frame *,
		     unsigned int nframes);
/*
 * The same with the native stack (addresses innermost first), recorded
 * when stack_flags has STACK_NATIVE.
 */
void		 writer_sample_native(struct writer *, uint64_t time_ns,
		     uint32_t tid, unsigned int stack_flags,
		     const struct writer_frame *, unsigned int nframes,
		     const uint64_t *native, unsigned int nnative);
/*
 * The same with the sample's state (SAMPLE_* flags, format.h) and the time
 * it stands for in ns (0: unknown).  Return the stack's id, for
 * writer_sample_again(), or WRITER_NO_STACK if it could not be kept.
 */
#define WRITER_NO_STACK	UINT64_MAX
uint64_t	 writer_sample_state(struct writer *, uint64_t time_ns,
		     uint32_t tid, unsigned int stack_flags,
		     const struct writer_frame *, unsigned int nframes,
		     const uint64_t *native, unsigned int nnative,
		     unsigned int sample_flags, uint64_t weight_ns);
/* A sample of a stack written before, by the id that call returned. */
void		 writer_sample_again(struct writer *, uint64_t time_ns,
		     uint32_t tid, uint64_t id, unsigned int sample_flags,
		     uint64_t weight_ns);
/*
 * Append a THREAD record: flags THREAD_STARTED and THREAD_ENDED say which
 * of start_ns and end_ns (CLOCK_MONOTONIC) are known; names may be "".
 */
void		 writer_thread(struct writer *, uint32_t tid,
		     unsigned int flags, uint64_t start_ns, uint64_t end_ns,
		     const char *os_name, const char *py_name);
/* Append a MAPPING record: code of an object file in [start, end). */
void		 writer_mapping(struct writer *, uint64_t start, uint64_t end,
		     uint64_t bias, unsigned int flags,
		     const uint8_t *build_id, size_t build_id_len,
		     const char *path);
/* Number of distinct stacks and of sample records so far. */
uint64_t	 writer_stacks(const struct writer *);
uint64_t	 writer_samples(const struct writer *);
/* Bytes written to the descriptor so far (after flushes). */
uint64_t	 writer_bytes(const struct writer *);
/*
 * Write everything buffered.  Return 0, or -errno if the write failed (the
 * buffered data is dropped and counted; the writer stays usable).
 */
int		 writer_flush(struct writer *);
/* Drop what is buffered (after a failed flush: the definitions to write
 * again), so that a last small record can still go out on a full disk. */
void		 writer_discard(struct writer *);
/* Cut the file back to size bytes, an earlier flush's end.  0 or -errno. */
int		 writer_cut(struct writer *, uint64_t);
/* Bytes lost to failed writes. */
uint64_t	 writer_lost_bytes(const struct writer *);

#endif
