// Typed, non-variadic wrappers around libcurl for Swift.
//
// Swift cannot call C variadic functions, so curl_easy_setopt / curl_easy_getinfo get
// one wrapper per argument type. Everything else in libcurl's API is called directly.
#ifndef PATCHLOOP_CCURL_SHIM_H
#define PATCHLOOP_CCURL_SHIM_H

// The wrappers below pass the argument through unchanged; curl's GCC type checker
// would only see the wrapper's parameter type, so it adds nothing here.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stddef.h>

/// CURLOPT_WRITEFUNCTION / CURLOPT_HEADERFUNCTION callback type.
typedef size_t (*ccurl_data_callback)(char *data, size_t size, size_t nmemb, void *userdata);
/// CURLOPT_XFERINFOFUNCTION callback type; a non-zero return aborts the transfer.
typedef int (*ccurl_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                       curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode ccurl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode ccurl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode ccurl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode ccurl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode ccurl_setopt_data_callback(CURL *handle, CURLoption option, ccurl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode ccurl_setopt_xferinfo_callback(CURL *handle, ccurl_xferinfo_callback value) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, value);
}

static inline CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode ccurl_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode ccurl_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode ccurl_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

/// curl_global_init(CURL_GLOBAL_DEFAULT), preceded by OPENSSL_init_crypto with
/// OPENSSL_INIT_NO_ATEXIT when the process has OpenSSL loaded (libcurl4-openssl does).
/// Without it, OpenSSL's atexit handler can free its state while a transfer thread is
/// still tearing down a TLS connection, and the process crashes on exit. Looked up with
/// dlsym so that this target needs neither OpenSSL's headers nor a link to libcrypto.
/// Returns the CURLcode of curl_global_init.
static inline CURLcode ccurl_global_init(int *openssl_no_atexit_applied) {
    typedef int (*openssl_init_crypto_fn)(uint64_t options, const void *settings);
    openssl_init_crypto_fn init_crypto = (openssl_init_crypto_fn)dlsym(RTLD_DEFAULT, "OPENSSL_init_crypto");
    if (openssl_no_atexit_applied) {
        *openssl_no_atexit_applied = 0;
    }
    if (init_crypto) {
        // OPENSSL_INIT_NO_ATEXIT (OpenSSL >= 1.1.1b)
        int ok = init_crypto(0x00080000ULL, NULL);
        if (openssl_no_atexit_applied) {
            *openssl_no_atexit_applied = ok;
        }
    }
    return curl_global_init(CURL_GLOBAL_DEFAULT);
}

#endif
