#ifndef BARRAGE_CLIBCURL_SHIM_H
#define BARRAGE_CLIBCURL_SHIM_H
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#endif
