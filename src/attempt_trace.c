/* What libcurl's callbacks see of one attempt: the proxy's reply headers, one line at a
 * time, and the CONNECT request egress sends. They record what the failure explanation
 * needs and print the -v lines, never a Proxy-Authorization value. */
#include "attempt.h"

#include <string.h>
#include <strings.h>

#include "log.h"

/* Records the status line of the proxy's reply; libcurl hands CONNECT reply headers to
 * the header callback one line at a time. */
static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
	struct attempt_trace *t = userp;
	size_t len = size * n;

	if (t->reply_bytes == 0) {
		size_t end = len;
		while (end && (data[end - 1] == '\r' || data[end - 1] == '\n'))
			end--;
		log_escape(t->first_line, sizeof(t->first_line), data, end);
	}
	t->reply_bytes += len;
	if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
		const char *sp = memchr(data, ' ', len);
		if (sp) {
			size_t rest = len - (size_t)(sp + 1 - data);
			while (rest && (sp[rest] == '\r' || sp[rest] == '\n'))
				rest--;
			log_escape(t->status, sizeof(t->status), sp + 1, rest);
		}
	}
	return len;
}

/* Notes the scheme of a Proxy-Authorization line of len bytes (the first word of its
 * value, within the line: the block need not end with a NUL) and shows it hidden. */
static void auth_line(struct attempt_trace *t, char mark, const char *data, size_t line)
{
	static const char auth[] = "Proxy-Authorization:";
	const char *v = data + sizeof(auth) - 1, *end = data + line, *w;
	while (v < end && *v == ' ')
		v++;
	for (w = v; w < end && *w != ' '; w++)
		;
	log_escape(t->auth_sent, sizeof(t->auth_sent), v, (size_t)(w - v));
	msg_verbose("%c %s %s <hidden>", mark, auth, t->auth_sent);
}

/* Prints each line of a header block with a direction mark when -v is on, hiding
 * credentials; notes in t the scheme of a Proxy-Authorization line. */
static void print_lines(struct attempt_trace *t, char mark, const char *data, size_t len)
{
	static const char auth[] = "Proxy-Authorization:";
	while (len) {
		size_t n = 0;
		while (n < len && data[n] != '\n')
			n++;
		size_t line = n;
		while (line && (data[line - 1] == '\r'))
			line--;
		if (line >= sizeof(auth) - 1 && strncasecmp(data, auth, sizeof(auth) - 1) == 0) {
			auth_line(t, mark, data, line);
		} else if (line && log_verbose_enabled()) {
			char out[1024];
			log_escape(out, sizeof(out), data, line);
			msg_verbose("%c %s", mark, out);
		}
		n += n < len;
		data += n;
		len -= n;
	}
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t len, void *userp)
{
	struct attempt_trace *t = userp;
	(void)h;
	switch (type) {
	case CURLINFO_TEXT:
		if (log_verbose_enabled())
			print_lines(t, '*', data, len);
		break;
	case CURLINFO_HEADER_OUT:
		print_lines(t, '>', data, len);
		break;
	case CURLINFO_HEADER_IN:
		if (log_verbose_enabled())
			print_lines(t, '<', data, len);
		break;
	default:
		/* Tunnel bytes are the user's, never logged; TLS records are noise. */
		break;
	}
	return 0;
}

bool attempt_trace_attach(CURL *h, struct attempt_trace *t)
{
	return curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK &&
	       curl_easy_setopt(h, CURLOPT_HEADERDATA, t) == CURLE_OK &&
	       /* Always: the debug callback is also where the scheme of a
		* Proxy-Authorization egress sends shows, for the message when the proxy
		* rejects it. */
	       curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug) == CURLE_OK &&
	       curl_easy_setopt(h, CURLOPT_DEBUGDATA, t) == CURLE_OK &&
	       curl_easy_setopt(h, CURLOPT_VERBOSE, 1L) == CURLE_OK;
}

void attempt_trace_detach(CURL *h)
{
	/* Each NULL of the type libcurl reads: a variadic call does not convert it. */
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, (curl_write_callback)NULL);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, (void *)NULL);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, (curl_debug_callback)NULL);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, (void *)NULL);
	/* libcurl 7.88 logs a line for every curl_easy_recv and curl_easy_send. */
	curl_easy_setopt(h, CURLOPT_VERBOSE, 0L);
}
