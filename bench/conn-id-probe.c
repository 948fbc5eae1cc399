/*
 * conn-id-probe: what CURLINFO_CONN_ID (libcurl 8.2) says about each finished transfer, next to CURLINFO_NUM_CONNECTS,
 * on one multi handle the way Barrage drives one (N easy handles, each sent again as soon as it finishes,
 * CURLMOPT_MAXCONNECTS N + 4). Written to decide whether Barrage could count new connections from connection ids with
 * a watermark ("an id greater than any seen is a new connection"); bench/README.md, "CURLINFO_CONN_ID", has the answer.
 *
 *   conn-id-probe URL CONNECTIONS TRANSFERS keep|nokeep|h2c|h2c-pipewait
 *
 * nokeep sets CURLOPT_FORBID_REUSE (Barrage's --no-keepalive); h2c is HTTP/2 with prior knowledge, h2c-pipewait also
 * CURLOPT_PIPEWAIT (what Barrage sets for --http 2, so streams share a connection). Output, one line:
 *   libcurl=… mode=… transfers=… num_connects=… distinct_ids=… watermark=… late_first_sightings=… negative_ids=…
 * num_connects: the sum over transfers; distinct_ids: ids >= 0 seen at least once; watermark: transfers whose id was
 * greater than every id seen before; late_first_sightings: ids seen for the first time after a greater id (what a
 * watermark misses); negative_ids: transfers for which CURLINFO_CONN_ID answered -1.
 *
 * Build against any libcurl headers (the info is asked for by number) and run with libcurl >= 8.2 loaded:
 *   cc -O2 -o conn-id-probe bench/conn-id-probe.c -lcurl
 *   LD_LIBRARY_PATH=.build-tools/libcurl8/usr/lib/x86_64-linux-gnu ./conn-id-probe http://127.0.0.1:8080/ 50 5000 nokeep
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CURLINFO_CONN_ID (8.2.0) by its numeric value: older headers lack the name. */
#define PROBE_CURLINFO_CONN_ID ((CURLINFO)(CURLINFO_OFF_T + 64))
#define MAX_IDS (1 << 22)

static size_t discard(char *data, size_t size, size_t count, void *user) {
    (void)data;
    (void)user;
    return size * count;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: conn-id-probe URL CONNECTIONS TRANSFERS keep|nokeep|h2c|h2c-pipewait\n");
        return 2;
    }
    const char *url = argv[1], *mode = argv[4];
    long conns = atol(argv[2]), total = atol(argv[3]);
    int nokeep = !strcmp(mode, "nokeep"), h2c = !strncmp(mode, "h2c", 3), pipewait = !strcmp(mode, "h2c-pipewait");
    if (conns < 1 || total < 1 || total >= MAX_IDS || (!nokeep && !h2c && strcmp(mode, "keep"))) {
        fprintf(stderr, "conn-id-probe: bad arguments\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_ALL);
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    if (v->version_num < 0x080200) {
        fprintf(stderr, "conn-id-probe: libcurl %s has no CURLINFO_CONN_ID (8.2.0 or later)\n", v->version);
        return 2;
    }
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, conns + 4);
    char *seen = calloc(MAX_IDS, 1);
    long started = 0, done = 0;
    long long num_connects = 0, distinct = 0, watermark_count = 0, late = 0, negative = 0;
    curl_off_t highest = -1;
    for (long i = 0; i < conns && started < total; i++, started++) {
        CURL *e = curl_easy_init();
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
        if (nokeep) curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
        if (h2c) curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
        if (pipewait) curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
        curl_multi_add_handle(multi, e);
    }
    while (done < total) {
        int running, queued;
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(multi, &queued))) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL *e = msg->easy_handle;
            long connects = 0;
            curl_off_t id = -2;
            curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
            if (curl_easy_getinfo(e, PROBE_CURLINFO_CONN_ID, &id) != CURLE_OK) {
                fprintf(stderr, "conn-id-probe: CURLINFO_CONN_ID refused\n");
                return 1;
            }
            num_connects += connects;
            if (id < 0) {
                negative++;
            } else if (id < MAX_IDS) {
                if (id > highest) watermark_count++;
                if (!seen[id]) {
                    seen[id] = 1;
                    distinct++;
                    if (id < highest) late++;
                }
                if (id > highest) highest = id;
            }
            done++;
            curl_multi_remove_handle(multi, e);
            if (started < total) {
                started++;
                curl_multi_add_handle(multi, e);
            } else {
                curl_easy_cleanup(e);
            }
        }
        if (done < total) curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    printf("libcurl=%s mode=%s transfers=%ld num_connects=%lld distinct_ids=%lld watermark=%lld late_first_sightings=%lld "
           "negative_ids=%lld\n", v->version, mode, total, num_connects, distinct, watermark_count, late, negative);
    free(seen);
    curl_multi_cleanup(multi);
    return 0;
}
