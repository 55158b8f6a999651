/*
 * libcurl, loaded on first use.
 *
 * The agent needs libcurl only for HTTP, gRPC and H2 ping checks and HTTP
 * watch handlers, but linking it loads it at start with the libraries it
 * pulls in (GnuTLS, Kerberos, LDAP, p11-kit, ...), whose mappings and
 * constructors cost an idle agent about 5 MB of resident memory. So cairn is
 * not linked against libcurl: this file defines the curl_* functions it calls,
 * each of which loads libcurl.so.4 with dlopen on first use (once, from any
 * thread) and calls the real one. curl.h is still the interface, so the rest
 * of the code is written against libcurl as usual.
 *
 * The variadic setters pass their one argument on by type, which libcurl
 * encodes in the option number: below 10000 a long, then an object pointer,
 * from 20000 a function pointer, from 30000 a curl_off_t, from 40000 a blob
 * pointer (CURLOPTTYPE_*); getinfo's argument is always a pointer.
 *
 * A missing libcurl is fatal at the first use, with the reason logged.
 */
#define CURL_DISABLE_TYPECHECK 1 /* these are definitions, not calls */
#include <curl/curl.h>

#include "base/log.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>

#define CURL_SONAME "libcurl.so.4"

/* The real functions, by name (X(name, return type, parameter list)). */
#define CURL_FUNCS                                                                                 \
	X(curl_global_init, CURLcode, (long))                                                      \
	X(curl_easy_init, CURL *, (void))                                                          \
	X(curl_easy_setopt, CURLcode, (CURL *, CURLoption, ...))                                   \
	X(curl_easy_getinfo, CURLcode, (CURL *, CURLINFO, ...))                                    \
	X(curl_easy_cleanup, void, (CURL *))                                                       \
	X(curl_easy_strerror, const char *, (CURLcode))                                            \
	X(curl_easy_escape, char *, (CURL *, const char *, int))                                   \
	X(curl_free, void, (void *))                                                               \
	X(curl_slist_append, struct curl_slist *, (struct curl_slist *, const char *))             \
	X(curl_slist_free_all, void, (struct curl_slist *))                                        \
	X(curl_url, CURLU *, (void))                                                               \
	X(curl_url_cleanup, void, (CURLU *))                                                       \
	X(curl_url_get, CURLUcode, (CURLU *, CURLUPart, char **, unsigned int))                    \
	X(curl_url_set, CURLUcode, (CURLU *, CURLUPart, const char *, unsigned int))               \
	X(curl_multi_init, CURLM *, (void))                                                        \
	X(curl_multi_setopt, CURLMcode, (CURLM *, CURLMoption, ...))                               \
	X(curl_multi_add_handle, CURLMcode, (CURLM *, CURL *))                                     \
	X(curl_multi_remove_handle, CURLMcode, (CURLM *, CURL *))                                  \
	X(curl_multi_socket_action, CURLMcode, (CURLM *, curl_socket_t, int, int *))               \
	X(curl_multi_info_read, CURLMsg *, (CURLM *, int *))                                       \
	X(curl_multi_assign, CURLMcode, (CURLM *, curl_socket_t, void *))                          \
	X(curl_multi_cleanup, CURLMcode, (CURLM *))

static struct {
#define X(name, ret, params) ret(*name) params;
	CURL_FUNCS
#undef X
} real;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;
	if (h) {
#define X(name, ret, params)                                                                       \
	if (!missing && !(*(void **)&real.name = dlsym(h, #name)))                                 \
		missing = #name;
		CURL_FUNCS
#undef X
	}
	if (!h || missing) {
		log_error("agent", "cannot load %s, which HTTP, gRPC and H2 ping checks need: %s",
			  CURL_SONAME, h ? missing : dlerror());
		exit(1);
	}
}

#define LOAD() pthread_once(&once, load)

/* One setopt argument, read by the option's type and passed on. */
#define PASS_ON(fn, handle, option)                                                                \
	do {                                                                                       \
		va_list ap;                                                                        \
		va_start(ap, option);                                                              \
		long o_ = (long)(option);                                                          \
		if (o_ < CURLOPTTYPE_OBJECTPOINT) {                                                \
			long v = va_arg(ap, long);                                                 \
			va_end(ap);                                                                \
			return real.fn(handle, option, v);                                         \
		}                                                                                  \
		if (o_ >= CURLOPTTYPE_FUNCTIONPOINT && o_ < CURLOPTTYPE_OFF_T) {                   \
			void (*v)(void) = va_arg(ap, void (*)(void));                              \
			va_end(ap);                                                                \
			return real.fn(handle, option, v);                                         \
		}                                                                                  \
		if (o_ >= CURLOPTTYPE_OFF_T && o_ < CURLOPTTYPE_BLOB) {                            \
			curl_off_t v = va_arg(ap, curl_off_t);                                     \
			va_end(ap);                                                                \
			return real.fn(handle, option, v);                                         \
		}                                                                                  \
		void *v = va_arg(ap, void *);                                                      \
		va_end(ap);                                                                        \
		return real.fn(handle, option, v);                                                 \
	} while (0)

CURLcode(curl_easy_setopt)(CURL *curl, CURLoption option, ...)
{
	LOAD();
	PASS_ON(curl_easy_setopt, curl, option);
}

CURLMcode(curl_multi_setopt)(CURLM *multi, CURLMoption option, ...)
{
	LOAD();
	PASS_ON(curl_multi_setopt, multi, option);
}

CURLcode(curl_easy_getinfo)(CURL *curl, CURLINFO info, ...)
{
	LOAD();
	va_list ap;
	va_start(ap, info);
	void *p = va_arg(ap, void *);
	va_end(ap);
	return real.curl_easy_getinfo(curl, info, p);
}

/* The fixed-argument ones: load, then call. */
#define FORWARD(ret, name, params, args)                                                           \
	ret(name) params                                                                           \
	{                                                                                          \
		LOAD();                                                                            \
		return real.name args;                                                             \
	}

FORWARD(CURLcode, curl_global_init, (long flags), (flags))
FORWARD(CURL *, curl_easy_init, (void), ())
FORWARD(void, curl_easy_cleanup, (CURL * curl), (curl))
FORWARD(const char *, curl_easy_strerror, (CURLcode code), (code))
FORWARD(char *, curl_easy_escape, (CURL * curl, const char *s, int len), (curl, s, len))
FORWARD(void, curl_free, (void *p), (p))
FORWARD(struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s), (l, s))
FORWARD(void, curl_slist_free_all, (struct curl_slist * l), (l))
FORWARD(CURLU *, curl_url, (void), ())
FORWARD(void, curl_url_cleanup, (CURLU * u), (u))
FORWARD(CURLUcode, curl_url_get, (CURLU * u, CURLUPart what, char **part, unsigned int flags),
	(u, what, part, flags))
FORWARD(CURLUcode, curl_url_set, (CURLU * u, CURLUPart what, const char *part, unsigned int flags),
	(u, what, part, flags))
FORWARD(CURLM *, curl_multi_init, (void), ())
FORWARD(CURLMcode, curl_multi_add_handle, (CURLM * m, CURL *e), (m, e))
FORWARD(CURLMcode, curl_multi_remove_handle, (CURLM * m, CURL *e), (m, e))
FORWARD(CURLMcode, curl_multi_socket_action, (CURLM * m, curl_socket_t s, int ev, int *running),
	(m, s, ev, running))
FORWARD(CURLMsg *, curl_multi_info_read, (CURLM * m, int *left), (m, left))
FORWARD(CURLMcode, curl_multi_assign, (CURLM * m, curl_socket_t s, void *p), (m, s, p))
FORWARD(CURLMcode, curl_multi_cleanup, (CURLM * m), (m))
