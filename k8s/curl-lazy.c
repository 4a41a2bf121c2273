/*
 * libcurl, loaded on first use.
 *
 * Debian's libcurl brings some thirty shared libraries with it (GSSAPI, LDAP,
 * SSH, IDN, HTTP/2, RTMP, ...), and the dynamic loader maps and relocates every
 * one of them at each start, even for commands that never touch the network:
 * that was about two thirds of the start-up cost of `init-ca`, `ca-secret -o yaml`
 * or `--version`. So the normal build does not link libcurl: these definitions
 * of the few libcurl functions we call dlopen() it on the first call and forward.
 * The static release build (make dist) links libcurl.a instead and compiles this
 * file empty (KT_CURL_LAZY undefined).
 */
#ifdef KT_CURL_LAZY

/* the type-checking macros of <curl/typecheck-gcc.h> would rename our definitions */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>

#define KT_LIBCURL_SONAME "libcurl.so.4"

static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	char *(*easy_escape)(CURL *, const char *, int);
	void (*free)(void *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	curl_version_info_data *(*version_info)(CURLversion);
} fn;
static int loaded;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

#define RESOLVE(field, name) \
	((fn.field = (__typeof__(fn.field))dlsym(lib, name)) != NULL)

static void load(void)
{
	void *lib = dlopen(KT_LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!lib)
		return;
	/* the handle is kept for the life of the process, as a linked library would be */
	loaded = RESOLVE(global_init, "curl_global_init") && RESOLVE(easy_init, "curl_easy_init") &&
		 RESOLVE(easy_setopt, "curl_easy_setopt") && RESOLVE(easy_perform, "curl_easy_perform") &&
		 RESOLVE(easy_getinfo, "curl_easy_getinfo") && RESOLVE(easy_cleanup, "curl_easy_cleanup") &&
		 RESOLVE(easy_strerror, "curl_easy_strerror") && RESOLVE(easy_escape, "curl_easy_escape") &&
		 RESOLVE(free, "curl_free") && RESOLVE(slist_append, "curl_slist_append") &&
		 RESOLVE(slist_free_all, "curl_slist_free_all") &&
		 RESOLVE(version_info, "curl_version_info");
}

static int have_curl(void)
{
	pthread_once(&load_once, load);
	return loaded;
}

CURLcode curl_global_init(long flags)
{
	return have_curl() ? fn.global_init(flags) : CURLE_FAILED_INIT;
}

CURL *curl_easy_init(void)
{
	return have_curl() ? fn.easy_init() : NULL;
}

/* Forward the one variadic value with the type libcurl reads for this option's range. */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	CURLcode rc;
	va_list ap;

	if (!have_curl())
		return CURLE_FAILED_INIT;
	va_start(ap, option);
	if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = fn.easy_setopt(curl, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_OFF_T)
		rc = fn.easy_setopt(curl, option, va_arg(ap, void *));
	else if (option < CURLOPTTYPE_BLOB)
		rc = fn.easy_setopt(curl, option, va_arg(ap, curl_off_t));
	else
		rc = fn.easy_setopt(curl, option, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode curl_easy_perform(CURL *curl)
{
	return have_curl() ? fn.easy_perform(curl) : CURLE_FAILED_INIT;
}

/* Every CURLINFO takes one pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	CURLcode rc;
	va_list ap;

	if (!have_curl())
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	rc = fn.easy_getinfo(curl, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

void curl_easy_cleanup(CURL *curl)
{
	if (curl && have_curl())
		fn.easy_cleanup(curl);
}

const char *curl_easy_strerror(CURLcode code)
{
	return have_curl() ? fn.easy_strerror(code) : "libcurl (" KT_LIBCURL_SONAME ") could not be loaded";
}

char *curl_easy_escape(CURL *curl, const char *s, int len)
{
	return have_curl() ? fn.easy_escape(curl, s, len) : NULL;
}

void curl_free(void *p)
{
	if (p && have_curl())
		fn.free(p);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s)
{
	return have_curl() ? fn.slist_append(list, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *list)
{
	if (list && have_curl())
		fn.slist_free_all(list);
}

curl_version_info_data *curl_version_info(CURLversion age)
{
	return have_curl() ? fn.version_info(age) : NULL;
}

#endif /* KT_CURL_LAZY */
