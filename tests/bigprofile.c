/*
 * bigprofile: write a large synthetic profile for make bench (tools/bench),
 * to time pysig-report on it.  Not a test: the shapes are made up, but
 * like a real service's: hundreds of functions in tens of files, thousands
 * of call paths 20 to 50 deep with a few hot ones, leaves at several
 * lines, eight threads running side by side (each sampled 250 times a
 * second), and the samples of one thread with a native stack
 * (its addresses in this program, symbolized from it, one eval loop frame
 * per Python frame as up to 3.10).
 *
 * A thread stays on its call path for a few samples (one in BIG_SWITCH
 * moves to another) and its leaf's line changes on every sample.  Real
 * programs measured at 250 samples/s changed 0.1 (loops) to 3 (recursive
 * calls) frames per sample with Python stacks, 4 to 13 with native ones;
 * here it is about 6.  The chrome format's size follows that number.
 *
 * Usage: bigprofile FILE [SAMPLES]   (default 1000000)
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "writer.h"

#define BIG_FUNCS	400
#define BIG_FILES	40
#define BIG_PATHS	5000
#define BIG_MIN_DEPTH	20
#define BIG_MAX_DEPTH	50
#define BIG_THREADS	8
#define BIG_START_NS	1000000000ULL
#define BIG_PERIOD_NS	4000000ULL	/* 250 samples per second */
#define BIG_SWITCH	4

/* Lines 1 to 20 past the first line, one per 8 bytes of bytecode. */
static const uint8_t big_lnotab[] = {
	0, 1, 8, 1, 8, 1, 8, 1, 8, 1, 8, 1, 8, 1, 8, 1, 8, 1, 8, 1,
	8, 1, 8, 1, 8, 1, 8, 1, 8, 1, 8, 1, 8, 1, 8, 1, 8, 1, 8, 1
};

/* Native stand-ins, symbolized from this program. */
static volatile int	big_sink[4];

static void __attribute__((noinline, used))
_PyEval_EvalFrameDefault(void)
{
	big_sink[0]++;
}

static void __attribute__((noinline, used))
big_native_leaf(void)
{
	big_sink[1] += 2;
}

static void __attribute__((noinline, used))
big_native_main(void)
{
	big_sink[2] += 3;
}

/* A small deterministic generator (xorshift64*). */
static uint64_t
big_random(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

/* Where this program's code is: dl_iterate_phdr() callback. */
static int
big_find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
	uint64_t	*range = arg, lo = UINT64_MAX, hi = 0, a;
	int		 i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		a = info->dlpi_addr + ph->p_vaddr;
		if (a < lo)
			lo = a;
		if (a + ph->p_memsz > hi)
			hi = a + ph->p_memsz;
	}
	if (range[3] < lo || range[3] >= hi)
		return 0;
	range[0] = lo;
	range[1] = hi;
	range[2] = info->dlpi_addr;
	return 1;
}

/* Write the header, the mapping of this program and the functions. */
static int
big_header(struct writer *w)
{
	uint64_t	range[4] = { 0, 0, 0, 0 };
	char		path[4096], name[64], file[64];
	ssize_t		len;
	uint32_t	i;

	writer_file_header(w);
	writer_kv_begin(w, REC_HEADER);
	writer_kv(w, "python", "3.10.0 (bigprofile)");
	writer_kv(w, "mode", "cpu");
	writer_kv_u64(w, "rate", 250);
	writer_kv_u64(w, "start_mono_ns", BIG_START_NS);
	writer_kv_end(w);

	range[3] = (uint64_t)(uintptr_t)big_native_leaf;
	if (dl_iterate_phdr(big_find_self, range) != 1 ||
	    (len = readlink("/proc/self/exe", path, sizeof path - 1)) <= 0)
		return -1;
	path[len] = '\0';
	writer_mapping(w, range[0], range[1], range[2], MAPPING_INTERPRETER,
	    NULL, 0, path);

	writer_code(w, 1, 1, LINETABLE_LNOTAB, 0, "<module>", 8,
	    "/srv/app/main.py", 16, big_lnotab, sizeof big_lnotab);
	for (i = 2; i < BIG_FUNCS; i++) {
		snprintf(name, sizeof name, "Handler%u.step_%u", i % 37, i);
		snprintf(file, sizeof file, "/srv/app/pkg%u/module%u.py",
		    i % BIG_FILES / 8, i % BIG_FILES);
		writer_code(w, i, (int32_t)(10 + (i / BIG_FILES) * 30),
		    LINETABLE_LNOTAB, 0, name, strlen(name), file,
		    strlen(file), big_lnotab, sizeof big_lnotab);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct writer		*w;
	struct writer_frame	*paths, *f;
	uint64_t		 native[BIG_MAX_DEPTH + 3], state = 42, r;
	uint64_t		 samples = 1000000, i, now = BIG_START_NS;
	uint8_t			 depth[BIG_PATHS];
	unsigned int		 p, d, k, n, cur[BIG_THREADS] = { 0 };
	uint32_t		 tid;
	int			 fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bigprofile FILE [SAMPLES]\n");
		return 2;
	}
	if (argc == 3)
		samples = strtoull(argv[2], NULL, 10);
	if ((fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1) {
		fprintf(stderr, "bigprofile: %s: %s\n", argv[1],
		    strerror(errno));
		return 1;
	}
	if ((w = writer_create(fd, BIG_START_NS)) == NULL ||
	    (paths = calloc((size_t)BIG_PATHS * BIG_MAX_DEPTH,
	    sizeof *paths)) == NULL || big_header(w) != 0) {
		fprintf(stderr, "bigprofile: cannot start\n");
		return 1;
	}

	/*
	 * Call paths, root first: <module>, then functions that mostly
	 * share their callers with a path made before (a tree, not noise).
	 */
	for (p = 0; p < BIG_PATHS; p++) {
		f = &paths[(size_t)p * BIG_MAX_DEPTH];
		depth[p] = (uint8_t)(BIG_MIN_DEPTH + big_random(&state) %
		    (BIG_MAX_DEPTH - BIG_MIN_DEPTH + 1));
		k = p == 0 ? 0 : (unsigned int)(big_random(&state) % p);
		n = p == 0 ? 0 : (unsigned int)(big_random(&state) % depth[p]);
		for (d = 0; d < depth[p]; d++) {
			if (d < n && d < depth[k])
				f[d] = paths[(size_t)k * BIG_MAX_DEPTH + d];
			else {
				f[d].ref = d == 0 ? 1 : (uint32_t)(2 +
				    big_random(&state) % (BIG_FUNCS - 2));
				f[d].addr = (int32_t)(big_random(&state) %
				    20) * 8;
			}
		}
	}
	for (p = 0; p < BIG_PATHS; p++) {
		f = &paths[(size_t)p * BIG_MAX_DEPTH];
		for (d = 0; d < depth[p]; d++)
			f[d].ref = (f[d].ref << 1) | 1;	/* entry, as <= 3.10 */
	}

	for (i = 0; i < samples; i++) {
		struct writer_frame	 leafy[BIG_MAX_DEPTH];

		/* A skewed choice: a few hot paths, a long tail. */
		r = big_random(&state);
		tid = (uint32_t)(i % BIG_THREADS);
		if (i < BIG_THREADS || (r >> 50) % BIG_SWITCH == 0)
			cur[tid] = (unsigned int)((r % BIG_PATHS) *
			    ((r >> 32) % 1000) / 1000);
		p = cur[tid];
		f = &paths[(size_t)p * BIG_MAX_DEPTH];
		/* The writer wants the leaf first; the leaf's line varies. */
		for (d = 0; d < depth[p]; d++)
			leafy[d] = f[depth[p] - 1 - d];
		leafy[0].addr = (int32_t)((r >> 20) % 4) * 8;
		/* The threads run side by side, each sampled every period. */
		if (tid == 0)
			now += BIG_PERIOD_NS;
		if (tid == 0) {
			native[0] = (uint64_t)(uintptr_t)big_native_leaf;
			for (d = 0; d < depth[p]; d++)
				native[1 + d] = (uint64_t)(uintptr_t)
				    _PyEval_EvalFrameDefault + 1;
			native[1 + d] = (uint64_t)(uintptr_t)big_native_main + 1;
			writer_sample_native(w, now, 1000 + tid, STACK_NATIVE,
			    leafy, depth[p], native, depth[p] + 2);
		} else
			writer_sample(w, now, 1000 + tid, 0, leafy, depth[p]);
		if (i % 10000 == 0 && writer_flush(w) != 0) {
			fprintf(stderr, "bigprofile: %s: write error\n",
			    argv[1]);
			return 1;
		}
	}
	writer_kv_begin(w, REC_TRAILER);
	writer_kv_u64(w, "samples", samples);
	writer_kv_u64(w, "duration_ns", now - BIG_START_NS);
	writer_kv_end(w);
	if (writer_flush(w) != 0 || close(fd) != 0) {
		fprintf(stderr, "bigprofile: %s: write error\n", argv[1]);
		return 1;
	}
	writer_free(w);
	free(paths);
	return 0;
}
