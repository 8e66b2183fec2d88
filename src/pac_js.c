/* PAC scripts in duktape. The helpers that need only strings and dates are written
 * in JavaScript below; those that need the network, and the two that real PAC files
 * call hundreds of times (shExpMatch, isInNet: ten times faster in C), are C
 * (pac_net.c), bound as native functions. Each evaluation gets a fresh heap: nothing a script leaves
 * behind reaches the next. */
#include "pac_js.h"

#include <duktape.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "err.h"
#include "log.h"
#include "pac_cache.h"
#include "pac_net.h"

static double fixed_clock;

void pac_js_set_clock(double ms)
{
	fixed_clock = ms;
}

/* The standard helpers, as browsers define them: the Netscape set (shExpMatch,
 * dnsDomainIs, weekdayRange, dateRange, timeRange...) and Microsoft's
 * isResolvableEx. A line a string (ISO C bounds a literal's length); strings only
 * in single quotes and no backslash, so that they read as JavaScript. */
static const char *const helpers_js[] = {
	"function egressNow(args) {\n",
	"    var gmt = args.length > 0 && args[args.length - 1] === 'GMT';\n",
	"    var n = Array.prototype.slice.call(args, 0, gmt ? args.length - 1 : args.length);\n",
	"    var d = new Date(egressClock());\n",
	"    return {\n",
	"        args: n,\n",
	"        day: gmt ? d.getUTCDate() : d.getDate(),\n",
	"        wday: gmt ? d.getUTCDay() : d.getDay(),\n",
	"        month: gmt ? d.getUTCMonth() : d.getMonth(),\n",
	"        year: gmt ? d.getUTCFullYear() : d.getFullYear(),\n",
	"        secs: gmt ? d.getUTCHours() * 3600 + d.getUTCMinutes() * 60 + d.getUTCSeconds()\n",
	"            : d.getHours() * 3600 + d.getMinutes() * 60 + d.getSeconds()\n",
	"    };\n",
	"}\n",
	"function egressInRange(lo, x, hi) {\n",
	"    return lo <= hi ? lo <= x && x <= hi : x >= lo || x <= hi;\n",
	"}\n",
	"function isPlainHostName(host) {\n",
	"    return String(host).indexOf('.') < 0;\n",
	"}\n",
	"function dnsDomainIs(host, domain) {\n",
	"    host = String(host).toLowerCase();\n",
	"    domain = String(domain).toLowerCase();\n",
	"    return host.length >= domain.length &&\n",
	"        host.substring(host.length - domain.length) === domain;\n",
	"}\n",
	"function localHostOrDomainIs(host, hostdom) {\n",
	"    host = String(host).toLowerCase();\n",
	"    hostdom = String(hostdom).toLowerCase();\n",
	"    return host === hostdom || hostdom.lastIndexOf(host + '.', 0) === 0;\n",
	"}\n",
	"function isResolvable(host) {\n",
	"    return dnsResolve(host) !== null;\n",
	"}\n",
	"function isResolvableEx(host) {\n",
	"    return dnsResolveEx(host) !== '';\n",
	"}\n",
	"function dnsDomainLevels(host) {\n",
	"    return String(host).split('.').length - 1;\n",
	"}\n",
	"function convert_addr(ip) {\n",
	"    var b = String(ip).split('.');\n",
	"    return ((b[0] & 255) << 24 | (b[1] & 255) << 16 |\n",
	"            (b[2] & 255) << 8 | (b[3] & 255)) >>> 0;\n",
	"}\n",
	"var egressDays = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];\n",
	"var egressMonths = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN',\n",
	"                    'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];\n",
	"function weekdayRange() {\n",
	"    var now = egressNow(arguments), a = now.args;\n",
	"    if (a.length < 1) return false;\n",
	"    var lo = egressDays.indexOf(String(a[0]).toUpperCase());\n",
	"    var hi = a.length > 1 ? egressDays.indexOf(String(a[1]).toUpperCase()) : lo;\n",
	"    if (lo < 0 || hi < 0) return false;\n",
	"    return egressInRange(lo, now.wday, hi);\n",
	"}\n",
	"function egressDatePart(v) {\n",
	"    var m = egressMonths.indexOf(String(v).toUpperCase());\n",
	"    if (m >= 0) return { kind: 'month', value: m };\n",
	"    var n = Number(v);\n",
	"    if (isNaN(n) || n < 1) return null;\n",
	"    return n <= 31 ? { kind: 'day', value: n } : { kind: 'year', value: n };\n",
	"}\n",
	"function dateRange() {\n",
	"    var now = egressNow(arguments), a = now.args, parts = [];\n",
	"    if (a.length < 1 || a.length > 6 || (a.length > 1 && a.length % 2)) return false;\n",
	"    for (var i = 0; i < a.length; i++) {\n",
	"        parts.push(egressDatePart(a[i]));\n",
	"        if (parts[i] === null) return false;\n",
	"    }\n",
	"    var cur = { year: now.year, month: now.month, day: now.day };\n",
	"    if (a.length === 1) return cur[parts[0].kind] === parts[0].value;\n",
	"    var half = a.length / 2, lo = {}, hi = {}, kinds = [];\n",
	"    for (i = 0; i < half; i++) {\n",
	"        if (parts[i].kind !== parts[half + i].kind) return false;\n",
	"        lo[parts[i].kind] = parts[i].value;\n",
	"        hi[parts[i].kind] = parts[half + i].value;\n",
	"        kinds.push(parts[i].kind);\n",
	"    }\n",
	"    var key = function (d) {\n",
	"        var k = 0;\n",
	"        if (kinds.indexOf('year') >= 0) k = d.year;\n",
	"        if (kinds.indexOf('month') >= 0) k = k * 12 + d.month;\n",
	"        if (kinds.indexOf('day') >= 0) k = k * 32 + d.day;\n",
	"        return k;\n",
	"    };\n",
	"    if (kinds.indexOf('year') >= 0) return key(lo) <= key(cur) && key(cur) <= key(hi);\n",
	"    return egressInRange(key(lo), key(cur), key(hi));\n",
	"}\n",
	"function timeRange() {\n",
	"    var now = egressNow(arguments), a = now.args;\n",
	"    for (var i = 0; i < a.length; i++)\n",
	"        if (isNaN(Number(a[i]))) return false;\n",
	"    var h = function (i) { return Number(a[i]) * 3600; };\n",
	"    switch (a.length) {\n",
	"    case 1: return Math.floor(now.secs / 3600) === Number(a[0]);\n",
	"    case 2: return egressInRange(h(0), now.secs, h(1) + 3599);\n",
	"    case 4: return egressInRange(h(0) + a[1] * 60, now.secs, h(2) + a[3] * 60 + 59);\n",
	"    case 6: return egressInRange(h(0) + a[1] * 60 + Number(a[2]), now.secs,\n",
	"                                 h(3) + a[4] * 60 + Number(a[5]));\n",
	"    }\n",
	"    return false;\n",
	"}\n",
	"function getClientVersion() {\n",
	"    return '1.0';\n",
	"}\n",
};

/* Pushes a malloc'd string (NULL: null) and frees it. */
static duk_ret_t push_owned(duk_context *ctx, char *s)
{
	if (s)
		duk_push_string(ctx, s);
	else
		duk_push_null(ctx);
	free(s);
	return 1;
}

static duk_ret_t js_dns_resolve(duk_context *ctx)
{
	return push_owned(ctx, pac_dns_resolve(duk_safe_to_string(ctx, 0)));
}

static duk_ret_t js_dns_resolve_ex(duk_context *ctx)
{
	return push_owned(ctx, pac_dns_resolve_ex(duk_safe_to_string(ctx, 0)));
}

static duk_ret_t js_my_ip(duk_context *ctx)
{
	return push_owned(ctx, pac_my_ip());
}

static duk_ret_t js_my_ip_ex(duk_context *ctx)
{
	return push_owned(ctx, pac_my_ip_ex());
}

static duk_ret_t js_in_net_ex(duk_context *ctx)
{
	const char *ip = duk_safe_to_string(ctx, 0), *prefix = duk_safe_to_string(ctx, 1);
	bool in = pac_in_net_ex(ip, prefix);

	/* A name is resolved, as isInNet does: in when any of its addresses is, since
	 * the prefix's family decides which of them can be. */
	if (!pac_in_net_ex(ip, "0.0.0.0/0") && !pac_in_net_ex(ip, "::/0")) {
		char *all = pac_dns_resolve_ex(ip), *save = NULL;
		for (char *a = all ? strtok_r(all, ";", &save) : NULL; a && !in;
		     a = strtok_r(NULL, ";", &save))
			in = pac_in_net_ex(a, prefix);
		free(all);
	}
	duk_push_boolean(ctx, in);
	return 1;
}

static duk_ret_t js_in_net(duk_context *ctx)
{
	duk_push_boolean(ctx, pac_in_net(duk_safe_to_string(ctx, 0), duk_safe_to_string(ctx, 1),
					 duk_safe_to_string(ctx, 2)));
	return 1;
}

static duk_ret_t js_sh_exp_match(duk_context *ctx)
{
	duk_push_boolean(ctx,
			 pac_sh_exp_match(duk_safe_to_string(ctx, 0), duk_safe_to_string(ctx, 1)));
	return 1;
}

static duk_ret_t js_sort_ip_list(duk_context *ctx)
{
	char *sorted = pac_sort_ip_list(duk_safe_to_string(ctx, 0));
	if (!sorted) {
		duk_push_false(ctx);
		return 1;
	}
	return push_owned(ctx, sorted);
}

static duk_ret_t js_alert(duk_context *ctx)
{
	char shown[512];
	msg_verbose("PAC alert: %s",
		    log_escape_str(shown, sizeof(shown), duk_safe_to_string(ctx, 0), 400));
	return 0;
}

static duk_ret_t js_clock(duk_context *ctx)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	/* Whole milliseconds, as Date's time values are. */
	long long ms = (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	duk_push_number(ctx, fixed_clock ? fixed_clock : (double)ms);
	return 1;
}

static const duk_function_list_entry natives[] = {
	{ "dnsResolve", js_dns_resolve, 1 },
	{ "dnsResolveEx", js_dns_resolve_ex, 1 },
	{ "myIpAddress", js_my_ip, 0 },
	{ "myIpAddressEx", js_my_ip_ex, 0 },
	{ "isInNet", js_in_net, 3 },
	{ "shExpMatch", js_sh_exp_match, 2 },
	{ "isInNetEx", js_in_net_ex, 2 },
	{ "sortIpAddressList", js_sort_ip_list, 1 },
	{ "alert", js_alert, 1 },
	{ "egressClock", js_clock, 0 },
	{ NULL, NULL, 0 },
};

/* The error on top of the stack as one line: its message and, for an error the
 * message does not place, the script's line. */
static void error_line(duk_context *ctx, const char *name, char *err, size_t errsz)
{
	char shown[ERR_MAX];
	long line = -1;

	/* The line first: the message is read by coercing the error to a string in place. */
	if (duk_is_error(ctx, -1)) {
		if (duk_get_prop_string(ctx, -1, "lineNumber"))
			line = (long)duk_to_number(ctx, -1);
		duk_pop(ctx);
	}
	const char *msg = duk_safe_to_string(ctx, -1);
	log_escape_str(shown, sizeof(shown), msg, 300);
	if (line > 0 && !strstr(msg, "(line "))
		err_printf(err, errsz, "%s: %s (line %ld)", name, shown, line);
	else
		err_printf(err, errsz, "%s: %s", name, shown);
}

/* What a compiled script's copy is valid for: this duktape and this egress. */
#define CODE_KEY "duktape-" DUK_GIT_DESCRIBE "-egress-" EGRESS_VERSION

/* Pushes the compiled global code of src: the cached copy with reuse, else compiled
 * (and then cached with reuse). False with err filled. */
static bool push_compiled(duk_context *ctx, const char *src, size_t len, const char *name,
			  bool reuse, char *err, size_t errsz)
{
	char *code;
	size_t codelen;

	if (reuse && pac_code_load(CODE_KEY, src, len, &code, &codelen)) {
		memcpy(duk_push_fixed_buffer(ctx, codelen), code, codelen);
		free(code);
		duk_load_function(ctx);
		return true;
	}
	duk_push_string(ctx, name);
	if (duk_pcompile_lstring_filename(ctx, 0, src, len) != 0) {
		error_line(ctx, name, err, errsz);
		return false;
	}
	if (reuse) {
		duk_dup_top(ctx);
		duk_dump_function(ctx);
		duk_size_t n;
		const void *p = duk_get_buffer(ctx, -1, &n);
		pac_code_store(CODE_KEY, src, len, p, n);
		duk_pop(ctx);
	}
	return true;
}

/* Runs the global code of src (named name) in ctx; false with err filled. */
static bool run_global(duk_context *ctx, const char *src, size_t len, const char *name, bool reuse,
		       char *err, size_t errsz)
{
	if (!push_compiled(ctx, src, len, name, reuse, err, errsz))
		return false;
	if (duk_pcall(ctx, 0) != 0) {
		error_line(ctx, name, err, errsz);
		return false;
	}
	duk_pop(ctx);
	return true;
}

/* Defines the helpers written in JavaScript in ctx (their compiled form cached with
 * reuse, as the script's is). */
static bool define_helpers(duk_context *ctx, bool reuse, char *err, size_t errsz)
{
	static char text[8192];
	static size_t len;

	if (!len) {
		for (size_t i = 0; i < sizeof(helpers_js) / sizeof(helpers_js[0]); i++) {
			size_t n = strlen(helpers_js[i]);
			if (len + n >= sizeof(text))
				return err_printf(err, errsz, "egress's PAC helpers do not fit");
			memcpy(text + len, helpers_js[i], n);
			len += n;
		}
	}
	return run_global(ctx, text, len, "egress's PAC helpers", reuse, err, errsz);
}

bool pac_js_find(const char *script, size_t len, const char *name, const char *url,
		 const char *host, bool reuse_code, char **result, char *err, size_t errsz)
{
	duk_context *ctx = duk_create_heap_default();
	bool ok = false;

	*result = NULL;
	if (!ctx)
		return err_printf(err, errsz, "%s: cannot create a JavaScript heap", name);
	duk_push_global_object(ctx);
	duk_put_function_list(ctx, -1, natives);
	duk_pop(ctx);
	if (!define_helpers(ctx, reuse_code, err, errsz) ||
	    !run_global(ctx, script, len, name, reuse_code, err, errsz))
		goto done;
	/* Microsoft's IPv6-aware entry point first, when the script has one. */
	bool ex = duk_get_global_string(ctx, "FindProxyForURLEx") && duk_is_function(ctx, -1);
	if (!ex) {
		duk_pop(ctx);
		if (!duk_get_global_string(ctx, "FindProxyForURL") || !duk_is_function(ctx, -1)) {
			err_printf(err, errsz, "%s: defines no function FindProxyForURL", name);
			goto done;
		}
	}
	duk_push_string(ctx, url);
	duk_push_string(ctx, host);
	if (duk_pcall(ctx, 2) != 0) {
		error_line(ctx, name, err, errsz);
		goto done;
	}
	if (!duk_is_string(ctx, -1)) {
		char shown[128];
		err_printf(err, errsz, "%s: %s returned %s, not a string", name,
			   ex ? "FindProxyForURLEx" : "FindProxyForURL",
			   log_escape_str(shown, sizeof(shown), duk_safe_to_string(ctx, -1), 60));
		goto done;
	}
	*result = strdup(duk_get_string(ctx, -1));
	ok = *result || err_printf(err, errsz, "out of memory");
done:
	duk_destroy_heap(ctx);
	return ok;
}
