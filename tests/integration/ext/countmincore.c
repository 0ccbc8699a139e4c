/*
 * Preloaded after libpysig.so by unwind.sh.  Counts the process's calls of
 * mincore(), with which libunwind validates a page of memory before it
 * reads it (then read() and write() on a pipe), and of dl_iterate_phdr(),
 * which libunwind calls for each address it has not met before, and writes
 * "MINCORE DL_ITERATE_PHDR" to $COUNT_OUT at exit.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef int (*phdr_callback)(struct dl_phdr_info *, size_t, void *);

static atomic_ulong	mincore_calls, phdr_calls;
static int		(*real_dl_iterate_phdr)(phdr_callback, void *);

__attribute__((constructor)) static void
countmincore_init(void)
{
	real_dl_iterate_phdr = (int (*)(phdr_callback, void *))
	    dlsym(RTLD_NEXT, "dl_iterate_phdr");
}

int
mincore(void *addr, size_t len, unsigned char *vec)
{
	atomic_fetch_add_explicit(&mincore_calls, 1, memory_order_relaxed);
	return (int)syscall(SYS_mincore, addr, len, vec);
}

int
dl_iterate_phdr(phdr_callback callback, void *data)
{
	atomic_fetch_add_explicit(&phdr_calls, 1, memory_order_relaxed);
	return real_dl_iterate_phdr != NULL ?
	    real_dl_iterate_phdr(callback, data) : 0;
}

__attribute__((destructor)) static void
countmincore_report(void)
{
	const char	*path = getenv("COUNT_OUT");
	FILE		*f;

	if (path == NULL || (f = fopen(path, "w")) == NULL)
		return;
	fprintf(f, "%lu %lu\n", (unsigned long)atomic_load(&mincore_calls),
	    (unsigned long)atomic_load(&phdr_calls));
	fclose(f);
}
