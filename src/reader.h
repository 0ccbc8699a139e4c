/*
 * Profile file reader: loads one profile (doc/FORMAT.md) into memory with
 * every id resolved to an index.  Nothing in the file is trusted: lengths
 * are checked against the bytes left, ids against the definitions read.
 * Normal context; used by pysig-report and the tests.
 */

#ifndef PYSIG_READER_H
#define PYSIG_READER_H

#include <stddef.h>
#include <stdint.h>

/* Key/value pairs of a HEADER, STATS or TRAILER record, in file order. */
struct reader_kv {
	char	*key;
	char	*value;
};

struct reader_kvlist {
	struct reader_kv	*pairs;
	size_t			 n;
};

/* A CODE record.  Strings are NUL-terminated (a NUL inside reads '?'). */
struct reader_code {
	uint64_t	 id;
	int32_t		 firstlineno;
	int		 table_kind;	/* LINETABLE_* */
	unsigned int	 flags;		/* CODE_* */
	char		*name;
	char		*file;
	uint8_t		*table;
	size_t		 table_len;
};

/* A frame of a stack. */
struct reader_frame {
	uint32_t	code;	/* index in the profile's codes */
	int		entry;
	int64_t		addr;	/* bytecode byte offset, -1 unknown */
};

/* A STACK record; stacks[0] of a profile is the empty stack, id 0. */
struct reader_stack {
	uint64_t		 id;
	unsigned int		 flags;		/* STACK_* */
	uint32_t		 nframes;
	struct reader_frame	*frames;	/* innermost first */
	uint32_t		 nnative;	/* with STACK_NATIVE */
	uint64_t		*native;	/* addresses, innermost first */
};

/* A MAPPING record: where an object file's code was in the process. */
struct reader_mapping {
	uint64_t	 start;
	uint64_t	 end;		/* exclusive */
	uint64_t	 bias;		/* address - bias = address in the file */
	unsigned int	 flags;		/* MAPPING_* */
	uint8_t		*build_id;
	size_t		 build_id_len;
	char		*path;
};

/* A THREAD record (1.2), merged by thread id (later records complete it). */
struct reader_thread {
	uint32_t	 tid;
	unsigned int	 flags;		/* THREAD_STARTED, THREAD_ENDED */
	int64_t		 start_us;	/* since start_mono_ns */
	int64_t		 end_us;
	char		*os_name;	/* "" unknown */
	char		*py_name;	/* "" unknown */
};

struct reader_profile {
	char			*path;
	unsigned int		 major;
	unsigned int		 minor;
	uint64_t		 size;		/* bytes read */

	struct reader_kvlist	 header;
	/* The TRAILER if there is one, otherwise the last STATS record. */
	struct reader_kvlist	 stats;
	int			 trailer;

	/* The file ends inside a record (cut short): what came before. */
	int			 truncated;
	uint64_t		 truncated_at;
	/*
	 * Samples left out of a file that was cut short (truncated or
	 * without a trailer) because they refer to a stack or function
	 * whose definition was never written.  Always 0 in a complete file:
	 * there, an undefined id is an error.
	 */
	uint64_t		 unresolved;
	uint64_t		 unknown_records;	/* skipped */
	/* Bytes of SAMPLE and STACK records: the cost of samples as such,
	 * without the one-time cost of function definitions. */
	uint64_t		 sample_bytes;

	struct reader_code	*codes;
	size_t			 ncodes;
	struct reader_stack	*stacks;
	size_t			 nstacks;
	struct reader_frame	*frames;	/* storage of all stacks */
	size_t			 nframes;
	uint64_t		*natives;	/* native addresses of all */
	size_t			 nnatives;

	/* In file order; several may be found late for the same file. */
	struct reader_mapping	*mappings;
	size_t			 nmappings;

	/* Samples in file order. */
	size_t			 nsamples;
	int64_t			*sample_time;	/* µs since start_mono_ns */
	uint32_t		*sample_tid;
	uint32_t		*sample_stack;	/* index in stacks */
	uint16_t		*sample_flags;	/* SAMPLE_* (0 before 1.2) */
	uint64_t		*sample_weight;	/* ns it stands for, 0 unknown */

	struct reader_thread	*threads;	/* in order of first record */
	size_t			 nthreads;
};

/*
 * Read the profile at path.  Return it, or NULL with *cause set to an
 * allocated "PATH: what is wrong (at offset N)" message.
 */
struct reader_profile	*reader_load(const char *path, char **cause);
/* The same for a profile already in memory; name stands for its path. */
struct reader_profile	*reader_parse(const char *name, const uint8_t *data,
			     size_t len, char **cause);
/* Free a profile. */
void			 reader_free(struct reader_profile *);
/* The thread record of tid, or NULL. */
const struct reader_thread *reader_thread_find(const struct reader_profile *,
			     uint32_t tid);
/* The first value of key in a key/value list, or NULL. */
const char		*reader_kv_get(const struct reader_kvlist *,
			     const char *key);

#endif
