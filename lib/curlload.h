/* curlload: libcurl, loaded the first time an HTTP call needs it.
 *
 * libcurl pulls in some 30 libraries (TLS twice, Kerberos, LDAP, SSH, IDN,
 * ...). Linked, every applet call paid for them — about 10 ms and 5.5 MiB
 * of a 10 ms, 8 MiB run of `envbox-docker log` — though most calls (config,
 * log, mounts, auth, xid, gpu-scan) never speak HTTP. So the binary is not
 * linked with libcurl: this header keeps curl's API as written, and each
 * call goes through a table filled by dlopen("libcurl.so.4") on first use.
 *
 * Include this instead of <curl/curl.h>. curl's compile-time type checks of
 * curl_easy_setopt's argument (a gcc extension) do not go through the
 * table; the unit and behaviour tests cover every option we set. */
#ifndef ENVBOX_CURLLOAD_H
#define ENVBOX_CURLLOAD_H
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#define EB_CURL_SONAME "libcurl.so.4"

/* The functions envbox calls: return type, name, parameters. */
#define EB_CURL_FUNCS(X)                                                      \
	X(CURL *, curl_easy_init, (void))                                     \
	X(void, curl_easy_cleanup, (CURL *))                                  \
	X(void, curl_easy_reset, (CURL *))                                    \
	X(CURLcode, curl_easy_setopt, (CURL *, CURLoption, ...))              \
	X(CURLcode, curl_easy_getinfo, (CURL *, CURLINFO, ...))               \
	X(CURLcode, curl_easy_perform, (CURL *))                              \
	X(CURLcode, curl_easy_recv, (CURL *, void *, size_t, size_t *))       \
	X(CURLcode, curl_easy_send, (CURL *, const void *, size_t, size_t *)) \
	X(const char *, curl_easy_strerror, (CURLcode))                       \
	X(CURLM *, curl_multi_init, (void))                                   \
	X(CURLMcode, curl_multi_cleanup, (CURLM *))                           \
	X(CURLMcode, curl_multi_add_handle, (CURLM *, CURL *))                \
	X(CURLMcode, curl_multi_remove_handle, (CURLM *, CURL *))             \
	X(CURLMcode, curl_multi_perform, (CURLM *, int *))                    \
	X(CURLMcode, curl_multi_poll,                                         \
	  (CURLM *, struct curl_waitfd *, unsigned int, int, int *))          \
	X(CURLMsg *, curl_multi_info_read, (CURLM *, int *))                  \
	X(const char *, curl_multi_strerror, (CURLMcode))                     \
	X(struct curl_slist *, curl_slist_append,                             \
	  (struct curl_slist *, const char *))                                \
	X(void, curl_slist_free_all, (struct curl_slist *))

struct eb_curl {
#define EB_CURL_MEMBER(ret, name, params) ret(*name) params;
	EB_CURL_FUNCS(EB_CURL_MEMBER)
#undef EB_CURL_MEMBER
};

/* The table, loading libcurl on the first call. When it cannot be loaded
 * the process cannot do what it was asked: it prints one line saying so
 * ("envbox: cannot load libcurl.so.4: ...") and exits 1. */
const struct eb_curl *eb_curl(void);

/* Each curl_* name below becomes a call through the table (a macro does not
 * expand inside its own expansion, so the member keeps its name).
 * curlload.c, which fills the table, names the real functions. */
#ifndef EB_CURL_LOADER
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_easy_init (eb_curl()->curl_easy_init)
#define curl_easy_cleanup (eb_curl()->curl_easy_cleanup)
#define curl_easy_reset (eb_curl()->curl_easy_reset)
#define curl_easy_setopt (eb_curl()->curl_easy_setopt)
#define curl_easy_getinfo (eb_curl()->curl_easy_getinfo)
#define curl_easy_perform (eb_curl()->curl_easy_perform)
#define curl_easy_recv (eb_curl()->curl_easy_recv)
#define curl_easy_send (eb_curl()->curl_easy_send)
#define curl_easy_strerror (eb_curl()->curl_easy_strerror)
#define curl_multi_init (eb_curl()->curl_multi_init)
#define curl_multi_cleanup (eb_curl()->curl_multi_cleanup)
#define curl_multi_add_handle (eb_curl()->curl_multi_add_handle)
#define curl_multi_remove_handle (eb_curl()->curl_multi_remove_handle)
#define curl_multi_perform (eb_curl()->curl_multi_perform)
#define curl_multi_poll (eb_curl()->curl_multi_poll)
#define curl_multi_info_read (eb_curl()->curl_multi_info_read)
#define curl_multi_strerror (eb_curl()->curl_multi_strerror)
#define curl_slist_append (eb_curl()->curl_slist_append)
#define curl_slist_free_all (eb_curl()->curl_slist_free_all)
#endif

#endif
