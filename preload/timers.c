/*
 * Per-thread sampling timers (see timers.h).  A process-wide CPU-time timer
 * signals whichever thread happens to run when it fires, at scheduler
 * ticks, so busy threads share samples unevenly; one timer per thread,
 * signalled to that thread, samples each in proportion to its own time.
 *
 * In cpu mode that timer is, where the kernel allows it, the thread's task
 * clock: a software perf event (perf_event_open(2)) that counts the
 * thread's CPU time with a high-resolution timer while it runs and, through
 * O_ASYNC and F_SETSIG, sends SIGPROF to the thread itself each period.  A
 * POSIX timer on the thread's CPU clock is only checked at the scheduler's
 * tick: at most HZ signals a second (250 here), each at a tick, whatever
 * the rate asked for.  The task clock's descriptor is the program's too;
 * it is closed only while it is still the event opened (PERF_EVENT_IOC_ID),
 * never a file the program opened under the number after closing ours.
 *
 * The table of timers is only touched in normal context, under a mutex:
 * by the constructor, the pthread_create() wrapper's start routine in each
 * new thread, the end-of-thread destructor, and the exit handler.  The
 * SIGPROF handler never looks at it.
 */

#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "sample.h"
#include "sigchain.h"
#include "timers.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id	_sigev_un._tid
#endif

/*
 * One thread's timer, and its wake timer (sampler_thread_timers()); or its
 * task clock.
 */
struct timers_slot {
	pid_t		tid;
	timer_t		timer;
	timer_t		wake;
	int		has_wake;
	int		given;	/* to the thread's handler (wall mode) */
	int		own;	/* armed by the wrapper: the thread deletes it */
	int		fd;	/* the task clock, -1: the timer */
	uint64_t	perf_id;
	/* Stopped by timers_hold(): 1 the timer, 2 the wake timer. */
	int			held;
	struct itimerspec	held_its;
	struct itimerspec	held_wake_its;
};

/* What the wrapper passes to the new thread. */
struct timers_start {
	void	*(*fn)(void *);
	void	*arg;
	char	 name[TIMERS_NAME_MAX];	/* given by the creating thread */
};

typedef int (*timers_create_fn)(pthread_t *, const pthread_attr_t *,
    void *(*)(void *), void *);

static struct {
	pthread_mutex_t		 lock;
	int			 ready;		/* timers_init() done */
	_Atomic int		 running;	/* new threads get a timer */
	int			 wall;
	int			 wake;		/* threads get wake timers */
	int			 perf;		/* cpu mode: task clocks */
	uint64_t		 period_ns;
	pid_t			 pid;		/* that armed the timers */
	int			 held;		/* by timers_hold() */
	timers_event_fn		 event;
	timers_name_fn		 name;
	pthread_key_t		 key;
	struct timers_slot	*slots;
	size_t			 nslots;
	size_t			 size;
	unsigned int		 foreign;	/* slots not armed by the wrapper */
} timers = { .lock = PTHREAD_MUTEX_INITIALIZER };

static _Atomic(timers_create_fn) timers_next_create;

/* The calling thread's id. */
static pid_t
timers_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/*
 * The CPU-time clock of any thread of this process by its id: what
 * pthread_getcpuclockid() computes from a pthread_t (the kernel's
 * MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)).
 */
static clockid_t
timers_thread_clock(pid_t tid)
{
	return (clockid_t)((~(unsigned int)tid << 3) | 6);
}

/*
 * Open the task clock of thread tid, sending it SIGPROF every period of
 * its CPU time, and remember it in sigchain.  0 or -errno.
 */
static int
timers_perf_open(pid_t tid, uint64_t period_ns, int *fdp, uint64_t *idp)
{
	struct perf_event_attr	attr;
	struct f_owner_ex	owner;
	struct rlimit		rl;
	uint64_t		id;
	int			fd, moved, error;

	memset(&attr, 0, sizeof attr);
	attr.size = sizeof attr;
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_TASK_CLOCK;
	attr.sample_period = period_ns;
	attr.disabled = 1;
	/*
	 * Time in the kernel is the thread's CPU time too (exclude_kernel
	 * would drop the periods that end in a system call): where only
	 * user time may be counted, the POSIX timer is used.
	 */
	fd = (int)syscall(SYS_perf_event_open, &attr, tid, -1, -1,
	    PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	/*
	 * Never a standard stream that the program closed to reopen (a
	 * daemon's stdin on /dev/null), and never more than half the
	 * descriptors it may have.
	 */
	if (fd < 3) {
		moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		error = errno;
		close(fd);
		if (moved < 0)
			return -error;
		fd = moved;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && (rlim_t)fd >= rl.rlim_cur / 2) {
		close(fd);
		return -EMFILE;
	}
	owner.type = F_OWNER_TID;
	owner.pid = tid;
	if (ioctl(fd, PERF_EVENT_IOC_ID, &id) != 0 ||
	    fcntl(fd, F_SETSIG, SIGPROF) != 0 ||
	    fcntl(fd, F_SETOWN_EX, &owner) != 0 ||
	    fcntl(fd, F_SETFL, O_ASYNC) != 0)
		error = -errno;
	else if (sigchain_add_fd(fd) != 0)
		error = -EMFILE;
	else if (ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) != 0)
		error = -errno;
	else {
		*fdp = fd;
		*idp = id;
		return 0;
	}
	close(fd);
	return error;
}

/* Close a task clock, if the descriptor is still it. */
static void
timers_perf_close(int fd, uint64_t id)
{
	uint64_t	now;

	if (ioctl(fd, PERF_EVENT_IOC_ID, &now) == 0 && now == id)
		close(fd);
}

/*
 * Can this process sample its threads with task clocks?  0, or -errno from
 * opening one for the calling thread.
 */
int
timers_perf_probe(uint64_t period_ns)
{
	uint64_t	id;
	int		fd, error;

	if ((error = timers_perf_open(timers_gettid(), period_ns, &fd,
	    &id)) != 0)
		return error;
	timers_perf_close(fd, id);
	return 0;
}

/*
 * Create a timer on clock signalling tid with sigchain_cookie[cookie].
 * 0 or -errno.
 */
static int
timers_create(clockid_t clock, pid_t tid, int cookie, timer_t *timer)
{
	struct sigevent	sev;

	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGPROF;
	sev.sigev_notify_thread_id = tid;
	/* Tells our signals from the program's (src/sigchain.c). */
	sev.sigev_value.sival_ptr = &sigchain_cookie[cookie];
	if (timer_create(clock, &sev, timer) != 0)
		return -errno;
	return 0;
}

/*
 * Create and arm a timer signalling tid; caller holds the lock.  In wall
 * mode the calling thread's own timer comes with a wake timer on its CPU
 * clock, disarmed, and both are given to the handler.
 */
static int
timers_add(pid_t tid, int own)
{
	struct itimerspec	its;
	timer_t			timer, wake = 0;
	clockid_t		clock;
	int			error, has_wake = 0, given = 0;

	if (array_grow(&timers.slots, &timers.size, timers.nslots + 1,
	    sizeof *timers.slots) != 0)
		return -ENOMEM;
	timers.slots[timers.nslots].fd = -1;
	if (timers.perf) {
		if (timers_perf_open(tid, timers.period_ns,
		    &timers.slots[timers.nslots].fd,
		    &timers.slots[timers.nslots].perf_id) == 0) {
			memset(&timers.slots[timers.nslots].timer, 0,
			    sizeof timer);
			goto added;
		}
		/* Short of descriptors, say: that thread gets a timer. */
		sampler_count_clock_fallback();
	}
	clock = timers.wall ? CLOCK_MONOTONIC : timers_thread_clock(tid);
	if ((error = timers_create(clock, tid, SIGCHAIN_TICK, &timer)) != 0)
		return error;
	/*
	 * Wall mode, in the thread itself: the handler takes random steps
	 * with its timer.  Without a wake timer the thread is sampled at the
	 * full rate throughout.
	 */
	if (timers.wall && tid == timers_gettid()) {
		if (timers.wake && timers_create(timers_thread_clock(tid), tid,
		    SIGCHAIN_WAKE, &wake) == 0)
			has_wake = 1;
		sampler_thread_timers(timer, wake, has_wake);
		given = 1;
	}
	its.it_interval.tv_sec = (time_t)(timers.period_ns / 1000000000ULL);
	its.it_interval.tv_nsec = (long)(timers.period_ns % 1000000000ULL);
	its.it_value = its.it_interval;
	if (timer_settime(timer, 0, &its, NULL) != 0) {
		error = errno;
		if (given)
			sampler_thread_timers_clear();
		if (has_wake)
			timer_delete(wake);
		timer_delete(timer);
		return -error;
	}
	timers.slots[timers.nslots].timer = timer;
added:
	timers.slots[timers.nslots].tid = tid;
	timers.slots[timers.nslots].wake = wake;
	timers.slots[timers.nslots].has_wake = has_wake;
	timers.slots[timers.nslots].given = given;
	timers.slots[timers.nslots].own = own;
	timers.nslots++;
	if (!own)
		timers.foreign++;
	return 0;
}

/*
 * Delete slot i's timers and drop the slot; caller holds the lock.  The
 * thread its timers were given to is the caller (the end of a thread,
 * timers_stop() in the thread that started them), gone (timers_reap()),
 * or another thread at exit (its last signal may still reach its handler,
 * whose timer_settime() on the deleted timer fails).
 */
static void
timers_remove(size_t i)
{
	if (timers.slots[i].given && timers.slots[i].tid == timers_gettid())
		sampler_thread_timers_clear();
	if (timers.slots[i].has_wake)
		timer_delete(timers.slots[i].wake);
	if (timers.slots[i].fd >= 0)
		timers_perf_close(timers.slots[i].fd, timers.slots[i].perf_id);
	else
		timer_delete(timers.slots[i].timer);
	if (!timers.slots[i].own)
		timers.foreign--;
	timers.slots[i] = timers.slots[--timers.nslots];
}

/*
 * Drop the timers of threads found at start that have ended since (their
 * timers would stay behind, never firing); caller holds the lock.
 */
static void
timers_reap(void)
{
	pid_t	pid = getpid();
	size_t	i = 0;

	while (timers.foreign != 0 && i < timers.nslots) {
		if (!timers.slots[i].own && syscall(SYS_tgkill, pid,
		    timers.slots[i].tid, 0) != 0 && errno == ESRCH)
			timers_remove(i);
		else
			i++;
	}
}

/* The end of a thread that the wrapper armed: delete its timer. */
static void
timers_thread_end(void *unused)
{
	pid_t	tid = timers_gettid();
	char	name[16];
	size_t	i;

	(void)unused;
	pthread_mutex_lock(&timers.lock);
	for (i = 0; i < timers.nslots; i++) {
		if (timers.slots[i].tid == tid) {
			timers_remove(i);
			break;
		}
	}
	pthread_mutex_unlock(&timers.lock);
	if (timers.event != NULL && atomic_load(&timers.running)) {
		memset(name, 0, sizeof name);
		if (prctl(PR_GET_NAME, name, 0, 0, 0) != 0)
			name[0] = '\0';
		name[sizeof name - 1] = '\0';
		timers.event(TIMERS_THREAD_END, tid, name);
	}
}

/* The start routine of every thread created through the wrapper. */
static void *
timers_thread_start(void *p)
{
	struct timers_start	start;
	pid_t			tid;
	int			armed = 0;

	memcpy(&start, p, sizeof start);
	free(p);
	if (atomic_load(&timers.running)) {
		tid = timers_gettid();
		pthread_mutex_lock(&timers.lock);
		if (atomic_load(&timers.running)) {
			timers_reap();
			armed = timers_add(tid, 1) == 0;
		}
		pthread_mutex_unlock(&timers.lock);
		if (armed) {
			pthread_setspecific(timers.key, (void *)1);
			if (timers.event != NULL)
				timers.event(TIMERS_THREAD_START, tid,
				    start.name);
		}
	}
	return start.fn(start.arg);
}

/* The next pthread_create() (glibc's), looked up once. */
static timers_create_fn
timers_real_create(void)
{
	timers_create_fn	fn = atomic_load(&timers_next_create);

	if (fn == NULL) {
		fn = (timers_create_fn)dlsym(RTLD_NEXT, "pthread_create");
		atomic_store(&timers_next_create, fn);
	}
	return fn;
}

/*
 * pthread_create(), interposed: while profiling, the new thread arms its
 * own timer before running its start routine.  Otherwise, and if memory
 * runs out, it is glibc's pthread_create() unchanged.
 */
__attribute__((visibility("default"))) int
pthread_create(pthread_t *thread, const pthread_attr_t *attr,
    void *(*fn)(void *), void *arg)
{
	timers_create_fn	 next = timers_real_create();
	struct timers_start	*start;
	int			 error;

	if (next == NULL)
		return EAGAIN;
	if (!atomic_load(&timers.running) ||
	    (start = malloc(sizeof *start)) == NULL)
		return next(thread, attr, fn, arg);
	start->fn = fn;
	start->arg = arg;
	start->name[0] = '\0';
	if (timers.name != NULL)
		timers.name(start->name, sizeof start->name);
	error = next(thread, attr, timers_thread_start, start);
	if (error != 0)
		free(start);
	return error;
}

/* fork(): hold the lock across it so the child's copy is consistent. */
static void
timers_prepare(void)
{
	pthread_mutex_lock(&timers.lock);
}

static void
timers_parent(void)
{
	pthread_mutex_unlock(&timers.lock);
}

static void
timers_child(void)
{
	pthread_mutex_unlock(&timers.lock);
}

/* Prepare the timers. */
int
timers_init(int wall, int wake, int perf, uint64_t period_ns,
    timers_event_fn event, timers_name_fn name)
{
	int	error;

	if (timers.ready)
		return 0;
	if (timers_real_create() == NULL)
		return -ENOSYS;
	if ((error = pthread_key_create(&timers.key, timers_thread_end)) != 0)
		return -error;
	if ((error = pthread_atfork(timers_prepare, timers_parent,
	    timers_child)) != 0) {
		pthread_key_delete(timers.key);
		return -error;
	}
	timers.wall = wall;
	timers.wake = wall && wake;
	timers.perf = !wall && perf;
	timers.period_ns = period_ns;
	timers.event = event;
	timers.name = name;
	timers.ready = 1;
	return 0;
}

/* Arm a timer for every thread alive now and every thread created later. */
int
timers_start(void)
{
	struct dirent	*de;
	DIR		*dir;
	pid_t		 self = timers_gettid(), tid;
	int		 error;

	if (!timers.ready)
		return -EINVAL;
	pthread_mutex_lock(&timers.lock);
	timers.pid = getpid();
	if ((error = timers_add(self, 0)) != 0) {
		pthread_mutex_unlock(&timers.lock);
		return error;
	}
	atomic_store(&timers.running, 1);
	/* Other threads alive now (started by other libraries' constructors). */
	if ((dir = opendir("/proc/self/task")) != NULL) {
		while ((de = readdir(dir)) != NULL) {
			tid = (pid_t)strtol(de->d_name, NULL, 10);
			if (tid > 0 && tid != self)
				(void)timers_add(tid, 0);
		}
		closedir(dir);
	}
	pthread_mutex_unlock(&timers.lock);
	return 0;
}

/* Delete every timer. */
void
timers_stop(void)
{
	pthread_mutex_lock(&timers.lock);
	atomic_store(&timers.running, 0);
	while (timers.nslots != 0)
		timers_remove(timers.nslots - 1);
	pthread_mutex_unlock(&timers.lock);
}

/*
 * In the child after fork(): POSIX timers are not inherited; the task
 * clocks' descriptors are, still counting the parent's threads.
 */
void
timers_forget(void)
{
	size_t	i;

	atomic_store(&timers.running, 0);
	for (i = 0; i < timers.nslots; i++) {
		if (timers.slots[i].fd >= 0)
			timers_perf_close(timers.slots[i].fd,
			    timers.slots[i].perf_id);
	}
	timers.nslots = 0;
	timers.foreign = 0;
}

/*
 * Before exec(): stop every timer, keeping its setting in its slot.  The
 * threads' timers, not only the caller's: when a thread other than the
 * first calls exec(), it takes over the first thread's id before the
 * kernel deletes the timers, and a timer aimed at that id would signal it.
 */
int
timers_hold(void)
{
	struct itimerspec	 zero;
	struct timers_slot	*slot;
	size_t			 i;

	/* A vfork() child shares our memory, not our timers. */
	if (!atomic_load(&timers.running) || getpid() != timers.pid)
		return 0;
	if (pthread_mutex_trylock(&timers.lock) != 0)
		return 0;
	memset(&zero, 0, sizeof zero);
	for (i = 0; i < timers.nslots; i++) {
		slot = &timers.slots[i];
		slot->held = 0;
		if (slot->fd >= 0) {
			if (ioctl(slot->fd, PERF_EVENT_IOC_DISABLE, 0) == 0)
				slot->held = 1;
		} else if (timer_settime(slot->timer, 0, &zero,
		    &slot->held_its) == 0)
			slot->held = 1;
		if (slot->has_wake && timer_settime(slot->wake, 0, &zero,
		    &slot->held_wake_its) == 0)
			slot->held |= 2;
	}
	timers.held = 1;
	pthread_mutex_unlock(&timers.lock);
	return 1;
}

/* exec() failed: restart the timers timers_hold() stopped. */
void
timers_resume(void)
{
	struct timers_slot	*slot;
	size_t			 i;

	pthread_mutex_lock(&timers.lock);
	for (i = 0; timers.held && i < timers.nslots; i++) {
		slot = &timers.slots[i];
		if ((slot->held & 1) && slot->fd >= 0)
			(void)ioctl(slot->fd, PERF_EVENT_IOC_ENABLE, 0);
		else if (slot->held & 1)
			(void)timer_settime(slot->timer, 0, &slot->held_its,
			    NULL);
		if (slot->held & 2)
			(void)timer_settime(slot->wake, 0,
			    &slot->held_wake_its, NULL);
		slot->held = 0;
	}
	timers.held = 0;
	pthread_mutex_unlock(&timers.lock);
}

/* Timers currently armed. */
unsigned int
timers_count(void)
{
	unsigned int	n;

	pthread_mutex_lock(&timers.lock);
	n = (unsigned int)timers.nslots;
	pthread_mutex_unlock(&timers.lock);
	return n;
}
