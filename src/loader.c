/*
 * Finding the dynamic loader's locks that dl_iterate_phdr() takes, so that
 * the signal handler can tell when unwinding would wait for them (see
 * sampler_loader_busy()).  glibc keeps them, recursive pthread mutexes, in
 * ld.so's _rtld_global, at offsets that change between versions: rather
 * than know them, look at _rtld_global from inside a dl_iterate_phdr()
 * callback.  A mutex is its lock word, a count and the owner's thread id
 * (the first three ints of struct __pthread_mutex_s, kind the fifth); the
 * ones locked by this thread inside the callback, once, and not outside
 * it are those dl_iterate_phdr() took.
 */
#include "config.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "loader.h"

/* The ints of a mutex: lock, count, owner, users, kind. */
#define LOADER_MUTEX_INTS	5

struct loader_scan {
	const int	 *base;
	size_t		  n;		/* ints in _rtld_global */
	int		  tid;
	unsigned char	 *before;	/* owned by us outside the callback */
	const int	**found;
	unsigned int	  max, nfound;
};

/* dl_iterate_phdr() callback: note the mutexes this thread holds now. */
static int
loader_inside(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct loader_scan	*sc = arg;
	const volatile int	*m;
	size_t			 i;

	(void)info;
	(void)size;
	for (i = 0; i + LOADER_MUTEX_INTS <= sc->n; i++) {
		m = sc->base + i;
		if (sc->before[i] || m[0] == 0 || m[1] != 1 ||
		    m[2] != sc->tid ||
		    (m[4] & 0x7f) != PTHREAD_MUTEX_RECURSIVE_NP)
			continue;
		if (sc->nfound < sc->max)
			sc->found[sc->nfound] = sc->base + i;
		sc->nfound++;
	}
	return 1;		/* one object is enough */
}

int
loader_locks(const int **found, unsigned int max)
{
	struct loader_scan	 sc;
	const ElfW(Sym)		*sym = NULL;
	Dl_info			 di;
	void			*base;
	size_t			 i;

	if ((base = dlsym(RTLD_DEFAULT, "_rtld_global")) == NULL &&
	    (base = dlvsym(RTLD_DEFAULT, "_rtld_global", "GLIBC_PRIVATE")) ==
	    NULL)
		return -1;
	if (dladdr1(base, &di, (void **)&sym, RTLD_DL_SYMENT) == 0 ||
	    sym == NULL || sym->st_size < LOADER_MUTEX_INTS * sizeof(int))
		return -1;
	memset(&sc, 0, sizeof sc);
	sc.base = base;
	sc.n = sym->st_size / sizeof(int);
	sc.tid = (int)syscall(SYS_gettid);
	sc.found = found;
	sc.max = max;
	if ((sc.before = calloc(sc.n, 1)) == NULL)
		return -1;
	for (i = 0; i + LOADER_MUTEX_INTS <= sc.n; i++)
		sc.before[i] = sc.base[i + 2] == sc.tid;
	dl_iterate_phdr(loader_inside, &sc);
	free(sc.before);
	return sc.nfound <= max ? (int)sc.nfound : -1;
}
