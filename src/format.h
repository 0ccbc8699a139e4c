/*
 * The pysig profile file format, version 1.  doc/FORMAT.md is the reference;
 * this header holds the constants and the byte-level helpers shared by the
 * writer (preload) and the reader (pysig-report).
 */

#ifndef PYSIG_FORMAT_H
#define PYSIG_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define FORMAT_MAGIC		"PYSIGPRF"
#define FORMAT_MAGIC_LEN	8
#define FORMAT_MAJOR		1
#define FORMAT_MINOR		3
#define FORMAT_HEADER_LEN	16	/* magic, u16 major, u16 minor, u32 0 */

/* Largest payload a reader accepts; larger lengths mean corruption. */
#define FORMAT_MAX_PAYLOAD	(16u * 1024 * 1024)

enum format_record {
	REC_HEADER = 0x01,	/* key/value strings, first record */
	REC_CODE = 0x02,	/* a function's identity and line table */
	REC_STACK = 0x03,	/* a deduplicated stack */
	REC_SAMPLE = 0x04,	/* one sample */
	REC_MAPPING = 0x05,	/* an object file's code in the process (1.1) */
	REC_STATS = 0x06,	/* key/value counters, written periodically */
	REC_TRAILER = 0x07,	/* key/value counters at a clean exit, last */
	REC_THREAD = 0x08,	/* a thread's id, names, start and end (1.2) */
};

/* How a REC_CODE line table is encoded (which CPython produced it). */
enum format_linetable {
	LINETABLE_NONE = 0,
	LINETABLE_LNOTAB = 1,	/* 3.8, 3.9: co_lnotab */
	LINETABLE_310 = 2,	/* 3.10: co_linetable */
	LINETABLE_LOCATIONS = 3, /* 3.11+: co_linetable location table */
};

/* REC_CODE flags. */
#define CODE_TABLE_TRUNCATED	0x1	/* line table cut to the size limit */
#define CODE_NAME_TRUNCATED	0x2	/* name or file name cut */

/* REC_STACK flags. */
#define STACK_NOPY		0x1	/* thread had no Python thread state */
#define STACK_TRUNCATED		0x2	/* deeper than the maximum depth */
#define STACK_INVALID		0x4	/* a frame failed validation: cut there */
#define STACK_FAULT		0x8	/* a memory fault was caught while reading */
#define STACK_NATIVE		0x10	/* a native stack follows (1.1) */
#define STACK_NATIVE_TRUNCATED	0x20	/* native stack cut: leaf side kept */
#define STACK_NATIVE_FAILED	0x40	/* the unwinder stopped on an error */
#define STACK_ENTERING		0x80	/* entering Python from C: no frames
					   known (1.3) */

/* REC_SAMPLE flags (1.2). */
#define SAMPLE_IDLE		0x1	/* wall mode: the thread was not running */
#define SAMPLE_GIL		0x2	/* the thread held the GIL */
#define SAMPLE_STATE		0x4	/* SAMPLE_IDLE was determined (wall mode) */
#define SAMPLE_GIL_KNOWN	0x8	/* SAMPLE_GIL was determined */

/* REC_THREAD flags. */
#define THREAD_STARTED		0x1	/* start time known: created while profiled */
#define THREAD_ENDED		0x2	/* end time known */

/* REC_MAPPING flags. */
#define MAPPING_ANON		0x1	/* no file: anonymous or special memory */
#define MAPPING_LATE		0x2	/* found after start-up (/proc/PID/maps) */
#define MAPPING_INTERPRETER	0x4	/* holds the eval loop (libpython) */

/*
 * A frame in a REC_STACK is varint((code_id << 1) | entry) then
 * zigzag(byte offset of the instruction in the code object, -1 if unknown).
 * "entry" marks the first Python frame run by one C-level call of the eval
 * loop (3.11 is_entry, 3.12+ frame above a C-stack shim, every frame before
 * 3.11); mixed native stacks use it.
 */

/* Encode v as LEB128 into p (at least 10 bytes); return the bytes used. */
size_t	format_put_varint(uint8_t *p, uint64_t v);
/* Map a signed value to an unsigned one for varint encoding. */
static inline uint64_t
format_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static inline int64_t
format_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}
/*
 * Decode a varint from [*p, end).  Return 0 and advance *p, or -1 if the
 * data ends first or the value does not fit 64 bits.
 */
int	format_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);
/* Fill the 16-byte file header. */
void	format_file_header(uint8_t *out);

#endif
