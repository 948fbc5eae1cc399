#ifndef BARRAGE_CLINUXEVENTS_H
#define BARRAGE_CLINUXEVENTS_H
/*
 * Linux APIs the Glibc module does not bring: epoll, timerfd and eventfd (imported directly, wrapped in Swift by
 * `Epoll` and `TimerFD`), and two GNU extensions the Glibc module hides without _GNU_SOURCE, declared here with
 * glibc's own signatures and called through the static inline functions below.
 */
#include <stddef.h>
#include <sched.h>
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/eventfd.h>

/* GNU extensions (string.h and sched.h declare them only with _GNU_SOURCE). */
extern void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);
extern int sched_getaffinity(pid_t pid, size_t cpusetsize, cpu_set_t *mask);

/// memmem(haystack, haystackCount, needle, needleCount): the first occurrence of needle, or NULL.
static inline void *barrage_memmem(const void *haystack, size_t haystackCount, const void *needle, size_t needleCount) {
    return memmem(haystack, haystackCount, needle, needleCount);
}

/// sched_getaffinity(0, sizeof(cpu_set_t), mask): the CPUs this process may run on (0 on success, -1 and errno).
static inline int barrage_sched_getaffinity(cpu_set_t *mask) {
    return sched_getaffinity(0, sizeof(cpu_set_t), mask);
}

#endif
