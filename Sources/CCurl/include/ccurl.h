#ifndef VESTIBULE_CCURL_H
#define VESTIBULE_CCURL_H

#include <curl/curl.h>

/* curl_easy_setopt is variadic, which Swift cannot call: one typed setter per argument kind. */
CURLcode vestibule_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode vestibule_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode vestibule_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode vestibule_curl_setopt_write_function(CURL *handle, size_t (*function)(char *, size_t, size_t, void *));
CURLcode vestibule_curl_setopt_opensocket_function(
    CURL *handle, curl_socket_t (*function)(void *, curlsocktype, struct curl_sockaddr *));
CURLcode vestibule_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);

#endif
