#ifndef BARRAGE_CLINUXEVENTS_H
#define BARRAGE_CLINUXEVENTS_H
/* Linux event APIs the Glibc module does not bring: epoll, timerfd, eventfd. Imported directly, no wrappers. */
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/eventfd.h>
#endif
