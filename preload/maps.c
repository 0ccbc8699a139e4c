/*
 * The object files mapped into the profiled process.  Only the executable
 * parts matter (native addresses are code addresses): an entry covers an
 * object's executable segments and carries its load bias, so that an
 * address minus the bias is the address the symbol tables use, and its
 * GNU build-id, so that pysig-report can tell when the file it opens is not
 * the one that ran.  The build-id note is a few words in a PT_NOTE segment:
 * it is read from memory at start-up and from the file's program headers
 * for mappings found later.
 */

#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "format.h"
#include "maps.h"

#define MAPS_MAX_PHDRS	256
#define MAPS_MAX_NOTES	8192
#define MAPS_RESCAN_NS	100000000ULL	/* at most ten rescans a second */

/* State of one dl_iterate_phdr() walk. */
struct maps_load_state {
	struct maps	*m;
	uintptr_t	 interp;
	int		 error;
};

/* Nanoseconds on the monotonic clock. */
static uint64_t
maps_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Find the GNU build-id in a block of ELF notes; its length, or 0. */
static size_t
maps_note_build_id(const uint8_t *p, size_t len, size_t align, uint8_t *out)
{
	const ElfW(Nhdr)	*nh;
	size_t			 off = 0, name, desc;

	if (align != 8)
		align = 4;
	while (len - off >= sizeof *nh) {
		nh = (const ElfW(Nhdr) *)(const void *)(p + off);
		name = (nh->n_namesz + align - 1) & ~(align - 1);
		desc = (nh->n_descsz + align - 1) & ~(align - 1);
		off += sizeof *nh;
		if (name > len - off || desc > len - off - name)
			break;
		if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
		    memcmp(p + off, "GNU", 4) == 0 && nh->n_descsz > 0 &&
		    nh->n_descsz <= MAPS_BUILD_ID_MAX) {
			memcpy(out, p + off + name, nh->n_descsz);
			return nh->n_descsz;
		}
		off += name + desc;
	}
	return 0;
}

/* Add an entry (path copied), keeping the array sorted; 0 or -ENOMEM. */
static int
maps_add(struct maps *m, const struct maps_entry *e, const char *path)
{
	size_t	i;

	if (array_grow(&m->v, &m->size, m->n + 1, sizeof *m->v) != 0)
		return -ENOMEM;
	for (i = m->n; i > 0 && m->v[i - 1].start > e->start; i--)
		;
	memmove(m->v + i + 1, m->v + i, (m->n - i) * sizeof *m->v);
	m->v[i] = *e;
	if ((m->v[i].path = strdup(path)) == NULL) {
		memmove(m->v + i, m->v + i + 1, (m->n - i) * sizeof *m->v);
		return -ENOMEM;
	}
	m->n++;
	return 0;
}

/* dl_iterate_phdr() callback: add one loaded object. */
static int
maps_load_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct maps_load_state	*ls = arg;
	struct maps_entry	 e;
	const ElfW(Phdr)	*ph;
	char			 exe[4096];
	const char		*path = info->dlpi_name;
	uintptr_t		 vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
	ssize_t			 n;
	int			 i;

	memset(&e, 0, sizeof e);
	e.start = UINT64_MAX;
	e.bias = info->dlpi_addr;
	for (i = 0; i < info->dlpi_phnum; i++) {
		ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			if (info->dlpi_addr + ph->p_vaddr < e.start)
				e.start = info->dlpi_addr + ph->p_vaddr;
			if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > e.end)
				e.end = info->dlpi_addr + ph->p_vaddr +
				    ph->p_memsz;
		} else if (ph->p_type == PT_NOTE && e.build_id_len == 0 &&
		    ph->p_memsz <= MAPS_MAX_NOTES)
			e.build_id_len = maps_note_build_id((const uint8_t *)
			    (info->dlpi_addr + ph->p_vaddr), ph->p_memsz,
			    ph->p_align, e.build_id);
	}
	if (e.start >= e.end)
		return 0;
	if (vdso != 0 && (uintptr_t)info->dlpi_phdr >= vdso &&
	    (uintptr_t)info->dlpi_phdr < vdso + 4096) {
		/* The kernel's vDSO has no file to read symbols from. */
		path = "[vdso]";
		e.flags |= MAPPING_ANON;
	} else if (path == NULL || path[0] == '\0') {
		/* The main program. */
		n = readlink("/proc/self/exe", exe, sizeof exe - 1);
		if (n <= 0)
			return 0;
		exe[n] = '\0';
		path = exe;
	}
	if (ls->interp >= e.start && ls->interp < e.end)
		e.flags |= MAPPING_INTERPRETER;
	if (maps_add(ls->m, &e, path) != 0) {
		ls->error = -ENOMEM;
		return 1;
	}
	return 0;
}

/* List the objects loaded in this process. */
int
maps_load(struct maps *m, uintptr_t interp)
{
	struct maps_load_state	ls = { m, interp, 0 };

	dl_iterate_phdr(maps_load_one, &ls);
	return ls.error;
}

/* Append a MAPPING record for every entry. */
void
maps_write(const struct maps *m, struct writer *w)
{
	size_t	i;

	for (i = 0; i < m->n; i++)
		writer_mapping(w, m->v[i].start, m->v[i].end, m->v[i].bias,
		    m->v[i].flags, m->v[i].build_id, m->v[i].build_id_len,
		    m->v[i].path);
}

/* The entry holding addr, or NULL. */
const struct maps_entry *
maps_find(const struct maps *m, uint64_t addr)
{
	size_t	lo = 0, hi = m->n, mid, k;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (m->v[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Entries may nest (a late mapping inside an object): look back. */
	for (k = 0; lo > 0 && k < 4; k++) {
		lo--;
		if (addr < m->v[lo].end)
			return &m->v[lo];
	}
	return NULL;
}

/*
 * Fill e's bias and build-id from the file behind a mapping of file offset
 * off at address start, by reading its ELF and program headers.
 */
static void
maps_read_file(const char *path, uint64_t start, uint64_t off,
    struct maps_entry *e)
{
	ElfW(Ehdr)	 eh;
	ElfW(Phdr)	 ph[MAPS_MAX_PHDRS];
	uint8_t		 notes[MAPS_MAX_NOTES];
	long		 page = sysconf(_SC_PAGESIZE);
	size_t		 i, n;
	int		 fd, found = 0;

	e->bias = start - off;	/* right for most; corrected below */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof ph[0] || eh.e_phnum > MAPS_MAX_PHDRS)
		goto out;
	n = eh.e_phnum;
	if (pread(fd, ph, n * sizeof ph[0], (off_t)eh.e_phoff) !=
	    (ssize_t)(n * sizeof ph[0]))
		goto out;
	if (page <= 0)
		page = 4096;
	for (i = 0; i < n; i++) {
		if (ph[i].p_type == PT_LOAD && !found &&
		    (ph[i].p_offset & ~(uint64_t)(page - 1)) == off) {
			e->bias = start + (ph[i].p_offset - off) - ph[i].p_vaddr;
			found = 1;
		}
		if (ph[i].p_type == PT_NOTE && e->build_id_len == 0 &&
		    ph[i].p_filesz <= sizeof notes &&
		    pread(fd, notes, ph[i].p_filesz, (off_t)ph[i].p_offset) ==
		    (ssize_t)ph[i].p_filesz)
			e->build_id_len = maps_note_build_id(notes,
			    ph[i].p_filesz, ph[i].p_align, e->build_id);
	}
	if (eh.e_type == ET_EXEC)
		e->bias = 0;
out:
	close(fd);
}

/* Parse one line of /proc/PID/maps into e and its path; 0 if executable. */
static int
maps_parse_line(char *line, struct maps_entry *e, uint64_t *off,
    char **path)
{
	unsigned long long	start, end, offset;
	char			perms[8];
	int			n = 0;
	char			*p;

	if (sscanf(line, "%llx-%llx %7s %llx %*s %*s%n", &start, &end, perms,
	    &offset, &n) != 4 || n == 0 || strchr(perms, 'x') == NULL ||
	    end <= start)
		return -1;
	memset(e, 0, sizeof *e);
	e->start = start;
	e->end = end;
	*off = offset;
	p = line + n;
	while (*p == ' ')
		p++;
	p[strcspn(p, "\n")] = '\0';
	*path = p;
	return 0;
}

/* Read /proc/PID/maps for executable mappings not known yet. */
int
maps_rescan(struct maps *m, pid_t pid, struct writer *w)
{
	struct maps_entry	 e;
	char			 file[64], line[4096 + 128], *path;
	uint64_t		 now = maps_now(), off;
	FILE			*f;
	int			 added = 0, r;

	if (m->last_scan_ns != 0 && now - m->last_scan_ns < MAPS_RESCAN_NS)
		return 0;
	m->last_scan_ns = now;
	snprintf(file, sizeof file, "/proc/%ld/maps", (long)pid);
	if ((f = fopen(file, "re")) == NULL)
		return -errno;
	while (fgets(line, sizeof line, f) != NULL) {
		if (maps_parse_line(line, &e, &off, &path) != 0)
			continue;
		if (maps_find(m, e.start) != NULL)
			continue;
		if (path[0] == '/')
			maps_read_file(path, e.start, off, &e);
		else
			e.flags |= MAPPING_ANON;
		e.flags |= MAPPING_LATE;
		if ((r = maps_add(m, &e, path)) != 0) {
			fclose(f);
			return r;
		}
		writer_mapping(w, e.start, e.end, e.bias, e.flags, e.build_id,
		    e.build_id_len, path);
		added++;
	}
	fclose(f);
	return added;
}

/* Free the entries. */
void
maps_free(struct maps *m)
{
	size_t	i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	memset(m, 0, sizeof *m);
}
