/*
 * curl-ceiling: the cheapest closed-model load loop we know how to write on libcurl's multi interface.
 *
 * N easy handles, options set once, reused for every request on their own keep-alive connection; the body is
 * discarded; nothing is measured but the count of completed requests. Whatever Barrage achieves on top of
 * libcurl should be compared with this: it is "the C ceiling".
 *
 *   --mode poll   one multi handle for all N connections, curl_multi_perform + curl_multi_poll
 *   --mode epoll  connections spread over K multi handles of at most --shard (32) each, one epoll set,
 *                 curl_multi_socket_action driven by socket and timer callbacks (plain libcurl usage: the
 *                 socket callback adds, modifies and deletes epoll registrations as libcurl asks)
 *
 * Output, one line:  mode=… connections=… shards=… requests=… seconds=… rps=… errors=… libcurl=…
 * (libcurl= is the version loaded at run time, so a run with another libcurl on LD_LIBRARY_PATH shows which it had;
 * `curl-ceiling --version` prints only that.)
 * Requests count when they complete within the duration; the ones still in flight at the end are let finish
 * (bounded) but not counted, the way wrk counts.
 *
 * Build: cc -O2 -o curl-ceiling curl-ceiling.c -lcurl
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static size_t discard(char *data, size_t size, size_t count, void *user) {
    (void)data;
    (void)user;
    return size * count;
}

static void usage(void) {
    fprintf(stderr, "usage: curl-ceiling --url URL [-c N] [-d SECONDS] [--mode poll|epoll] [--shard N] [--buffer BYTES]\n"
                    "       curl-ceiling --version\n");
    exit(2);
}

/* ---- shared state ---- */
static const char *url;
static int conns = 50;
static double seconds = 10;
static int shard_size = 32;
static long buffer_size = 16384; /* libcurl's default */
static int64_t end_us;          /* stop starting requests */
static long long completed;     /* completed within the duration */
static long long errors;
static int64_t last_counted_us;

static CURL *make_easy(void) {
    CURL *e = curl_easy_init();
    if (!e) { fprintf(stderr, "curl_easy_init failed\n"); exit(1); }
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, buffer_size);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 0L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
    return e;
}

/* A transfer ended: count it; returns 1 when its handle should send again. */
static int finished(CURL *e, CURLcode result) {
    int64_t t = now_us();
    if (t <= end_us) {
        long status = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        completed++;
        if (result != CURLE_OK || status >= 400 || status < 100) errors++;
        last_counted_us = t;
        return 1;
    }
    return 0;
}

/* ---- mode poll: one multi, perform + poll ---- */
static void run_poll(void) {
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)conns + 8);
    for (int i = 0; i < conns; i++) curl_multi_add_handle(m, make_easy());
    int running = 1;
    int64_t hard_end = end_us + 5000000;
    while (running > 0) {
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        int readded = 0;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL *e = msg->easy_handle;
            CURLcode rc = msg->data.result;
            curl_multi_remove_handle(m, e);
            if (finished(e, rc)) { curl_multi_add_handle(m, e); readded = 1; }
        }
        if (readded) { running = 1; continue; } /* perform again at once: the new transfers start there */
        if (now_us() > hard_end) break;
        if (running > 0) curl_multi_poll(m, NULL, 0, 100, NULL);
    }
}

/* ---- mode epoll: K multis of <= shard_size, socket_action ---- */
static int epfd;
static CURLM **multis;
static int64_t *deadlines;     /* per shard, µs; -1 = none */
static unsigned char *dirty;
static unsigned char *reg;     /* per fd: registered in epoll */
static int reg_cap;

static int sock_cb(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp) {
    (void)e;
    (void)socketp;
    long shard = (long)(intptr_t)userp;
    if (fd >= reg_cap) { fprintf(stderr, "descriptor %d above table\n", fd); exit(1); }
    if (what == CURL_POLL_REMOVE) {
        if (reg[fd]) { epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL); reg[fd] = 0; }
        return 0;
    }
    struct epoll_event ev = {0};
    if (what & CURL_POLL_IN) ev.events |= EPOLLIN;
    if (what & CURL_POLL_OUT) ev.events |= EPOLLOUT;
    ev.data.u64 = (uint64_t)(uint32_t)fd | ((uint64_t)shard << 32);
    int op = reg[fd] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(epfd, op, fd, &ev) != 0) {
        /* stale record: the descriptor was closed and reused */
        op = op == EPOLL_CTL_MOD ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
        epoll_ctl(epfd, op, fd, &ev);
    }
    reg[fd] = 1;
    return 0;
}

static int timer_cb(CURLM *m, long timeout_ms, void *userp) {
    (void)m;
    long shard = (long)(intptr_t)userp;
    deadlines[shard] = timeout_ms < 0 ? -1 : now_us() + (int64_t)timeout_ms * 1000;
    return 0;
}

static void run_epoll(void) {
    int k = (conns + shard_size - 1) / shard_size;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    reg_cap = (int)(rl.rlim_cur > 1048576 ? 1048576 : rl.rlim_cur);
    reg = calloc((size_t)reg_cap, 1);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    multis = calloc((size_t)k, sizeof *multis);
    deadlines = calloc((size_t)k, sizeof *deadlines);
    dirty = calloc((size_t)k, 1);
    int *active = calloc((size_t)k, sizeof *active);
    for (int s = 0; s < k; s++) {
        deadlines[s] = -1;
        multis[s] = curl_multi_init();
        curl_multi_setopt(multis[s], CURLMOPT_SOCKETFUNCTION, sock_cb);
        curl_multi_setopt(multis[s], CURLMOPT_SOCKETDATA, (void *)(intptr_t)s);
        curl_multi_setopt(multis[s], CURLMOPT_TIMERFUNCTION, timer_cb);
        curl_multi_setopt(multis[s], CURLMOPT_TIMERDATA, (void *)(intptr_t)s);
        curl_multi_setopt(multis[s], CURLMOPT_MAXCONNECTS, (long)shard_size + 4);
    }
    int total_active = 0;
    for (int i = 0; i < conns; i++) {
        curl_multi_add_handle(multis[i / shard_size], make_easy());
        active[i / shard_size]++;
        total_active++;
    }
    enum { CAP = 512 };
    struct epoll_event evs[CAP];
    int64_t hard_end = end_us + 5000000;
    while (total_active > 0) {
        int64_t t = now_us();
        if (t > hard_end) break;
        /* libcurl timers that are due */
        int64_t wake = t + 100000;
        for (int s = 0; s < k; s++) {
            if (deadlines[s] >= 0 && deadlines[s] <= t) {
                int running;
                deadlines[s] = -1;
                curl_multi_socket_action(multis[s], CURL_SOCKET_TIMEOUT, 0, &running);
                dirty[s] = 1;
            }
        }
        /* completions */
        for (int s = 0; s < k; s++) {
            if (!dirty[s]) continue;
            dirty[s] = 0;
            CURLMsg *msg;
            int left;
            while ((msg = curl_multi_info_read(multis[s], &left))) {
                if (msg->msg != CURLMSG_DONE) continue;
                CURL *e = msg->easy_handle;
                CURLcode rc = msg->data.result;
                curl_multi_remove_handle(multis[s], e);
                if (finished(e, rc)) {
                    curl_multi_add_handle(multis[s], e); /* sets a 0 ms timer: started on the next pass */
                } else {
                    active[s]--;
                    total_active--;
                }
            }
        }
        for (int s = 0; s < k; s++)
            if (deadlines[s] >= 0 && deadlines[s] < wake) wake = deadlines[s];
        t = now_us();
        int wait_ms = wake <= t ? 0 : (int)((wake - t + 999) / 1000);
        int n = epoll_wait(epfd, evs, CAP, wait_ms);
        for (int i = 0; i < n; i++) {
            int fd = (int)(uint32_t)(evs[i].data.u64 & 0xffffffffu);
            int s = (int)(evs[i].data.u64 >> 32);
            int flags = 0;
            if (evs[i].events & (EPOLLIN | EPOLLHUP)) flags |= CURL_CSELECT_IN;
            if (evs[i].events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
            if (evs[i].events & EPOLLERR) flags |= CURL_CSELECT_ERR;
            int running;
            curl_multi_socket_action(multis[s], fd, flags, &running);
            dirty[s] = 1;
        }
    }
}

int main(int argc, char **argv) {
    const char *mode = "poll";
    if (argc == 2 && !strcmp(argv[1], "--version")) {
        printf("%s\n", curl_version_info(CURLVERSION_NOW)->version);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) usage();
        if (!strcmp(a, "--url")) url = argv[++i];
        else if (!strcmp(a, "-c")) conns = atoi(argv[++i]);
        else if (!strcmp(a, "-d")) seconds = atof(argv[++i]);
        else if (!strcmp(a, "--mode")) mode = argv[++i];
        else if (!strcmp(a, "--shard")) shard_size = atoi(argv[++i]);
        else if (!strcmp(a, "--buffer")) buffer_size = atol(argv[++i]);
        else usage();
    }
    if (!url || conns < 1 || seconds <= 0 || shard_size < 1) usage();
    int epoll_mode = !strcmp(mode, "epoll");
    if (!epoll_mode && strcmp(mode, "poll")) usage();

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    curl_global_init(CURL_GLOBAL_ALL);
    int64_t start = now_us();
    end_us = start + (int64_t)(seconds * 1e6);
    last_counted_us = start;
    if (epoll_mode) run_epoll(); else run_poll();
    /* the rate over the whole duration, as wrk reports it (or up to the last completion if the run fell short) */
    int64_t span = end_us - start;
    double secs = span / 1e6;
    int shards = epoll_mode ? (conns + shard_size - 1) / shard_size : 1;
    printf("mode=%s connections=%d shards=%d requests=%lld seconds=%.3f rps=%.1f errors=%lld libcurl=%s\n",
           mode, conns, shards, completed, secs, completed / secs, errors, curl_version_info(CURLVERSION_NOW)->version);
    return 0;
}
