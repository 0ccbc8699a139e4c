#ifndef PYSIG_LOADER_H
#define PYSIG_LOADER_H

/*
 * Find the dynamic loader's locks that dl_iterate_phdr() takes: up to max
 * addresses of glibc mutexes into found.  Returns how many (0 when none
 * was seen), or -1 when _rtld_global cannot be found or there are more.
 */
int	loader_locks(const int **found, unsigned int max);

#endif
