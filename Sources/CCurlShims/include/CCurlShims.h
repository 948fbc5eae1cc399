#ifndef BARRAGE_CCURLSHIMS_H
#define BARRAGE_CCURLSHIMS_H
/*
 * Typed, non-variadic wrappers over libcurl's variadic option and info calls, which Swift cannot
 * call directly. One wrapper per argument kind; each passes a real `long`, `curl_off_t`, pointer
 * or function pointer so the C calling convention is right. Nothing else belongs here.
 */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

/// curl_easy_setopt(handle, option, (long)value)
CURLcode barrage_easy_setopt_long(CURL *handle, CURLoption option, long value);
/// curl_easy_setopt(handle, option, (curl_off_t)value)
CURLcode barrage_easy_setopt_off(CURL *handle, CURLoption option, curl_off_t value);
/// curl_easy_setopt(handle, option, pointer) — strings, slists, user data.
CURLcode barrage_easy_setopt_ptr(CURL *handle, CURLoption option, const void *value);
/// curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION / CURLOPT_HEADERFUNCTION, callback)
CURLcode barrage_easy_setopt_write_callback(CURL *handle, CURLoption option, curl_write_callback callback);
/// curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, callback)
CURLcode barrage_easy_setopt_opensocket_callback(CURL *handle, curl_opensocket_callback callback);
/// curl_easy_setopt(handle, CURLOPT_CLOSESOCKETFUNCTION, callback)
CURLcode barrage_easy_setopt_closesocket_callback(CURL *handle, curl_closesocket_callback callback);

/// curl_easy_getinfo(handle, info, long *)
CURLcode barrage_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
/// curl_easy_getinfo(handle, info, curl_off_t *)
CURLcode barrage_easy_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value);
/// curl_easy_getinfo(handle, info, char **) — and CURLINFO_PRIVATE.
CURLcode barrage_easy_getinfo_ptr(CURL *handle, CURLINFO info, char **value);
/// curl_easy_getinfo(handle, info, curl_socket_t *) — CURLINFO_ACTIVESOCKET.
CURLcode barrage_easy_getinfo_socket(CURL *handle, CURLINFO info, curl_socket_t *value);

/// curl_multi_setopt(multi, option, (long)value)
CURLMcode barrage_multi_setopt_long(CURLM *multi, CURLMoption option, long value);
/// curl_multi_setopt(multi, option, pointer) — user data.
CURLMcode barrage_multi_setopt_ptr(CURLM *multi, CURLMoption option, void *value);
/// curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, callback)
CURLMcode barrage_multi_setopt_socket_callback(CURLM *multi, curl_socket_callback callback);
/// curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, callback)
CURLMcode barrage_multi_setopt_timer_callback(CURLM *multi, curl_multi_timer_callback callback);

/// curl_share_setopt(share, option, (long)value) — CURLSHOPT_SHARE / CURLSHOPT_UNSHARE with a CURL_LOCK_DATA_*.
CURLSHcode barrage_share_setopt_long(CURLSH *share, CURLSHoption option, long value);

#endif
