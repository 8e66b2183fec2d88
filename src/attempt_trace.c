/* What libcurl's callbacks see of one attempt: the proxy's reply headers, one line at a
 * time, and the CONNECT request egress sends. They record what the failure explanation
 * needs and print the -v lines, never a Proxy-Authorization value. */
#include "attempt.h"

#include <string.h>
#include <strings.h>

#include "log.h"

/* Whether a status line of end bytes (its CR LF cut) can begin an HTTP reply; notes
 * its status in t. libcurl would read anything up to a blank line: an SSH server's
 * banner (-x naming an ssh server) would hold the attempt until --connect-timeout. */
static bool status_line_ok(struct attempt_trace *t, const char *data, size_t end)
{
	if (end < 5 || strncmp(data, "HTTP/", 5) != 0)
		return false;
	const char *sp = memchr(data, ' ', end);
	if (sp)
		log_escape(t->status, sizeof(t->status), sp + 1, end - (size_t)(sp + 1 - data));
	return true;
}

/* At the blank line after a reply's headers: whether it is a 407 that egress cannot
 * answer. libcurl reads a 407's body before it answers on the same connection, and
 * reads it even with nothing to answer: a body that claims 10 GB would hold the
 * attempt until --connect-timeout, for a reply that is final already. */
static bool final_407(const struct attempt_trace *t)
{
	long code = 0, offered = 0;
	curl_easy_getinfo(t->handle, CURLINFO_HTTP_CONNECTCODE, &code);
	curl_easy_getinfo(t->handle, CURLINFO_PROXYAUTH_AVAIL, &offered);
	return code == 407 && !((unsigned long)offered & t->answerable);
}

/* Records the status line of the proxy's reply; libcurl hands CONNECT reply headers to
 * the header callback one line at a time. Returns len, or 0 to make libcurl give up
 * the reply (CURLE_WRITE_ERROR) when it cannot be an HTTP proxy's or is final. */
static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
	struct attempt_trace *t = userp;
	size_t len = size * n, end = len;
	bool status_line = !t->in_head;

	while (end && (data[end - 1] == '\r' || data[end - 1] == '\n'))
		end--;
	if (t->reply_bytes == 0)
		log_escape(t->first_line, sizeof(t->first_line), data, end);
	t->reply_bytes += len;
	/* A blank line ends a reply's head; the line after it begins the next reply. */
	t->in_head = end > 0;
	if (t->nul_header[0])
		return 0; /* see note_nul_header */
	if (status_line)
		return status_line_ok(t, data, end) ? len : 0;
	return end == 0 && final_407(t) ? 0 : len;
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

/* Notes a header line (not a status line) of the proxy's reply with a NUL byte in it:
 * RFC 9110 5.5 has the message rejected (or the NUL replaced). libcurl 7.88 refuses
 * the line before the header callback sees it, saying only "bad argument"; what a
 * libcurl does with it depends on its version. Noted here, the line makes on_header
 * give the reply up whichever it is. */
static void note_nul_header(struct attempt_trace *t, const char *data, size_t len)
{
	if (!t->in_head || t->nul_header[0] || !memchr(data, '\0', len))
		return;
	while (len && (data[len - 1] == '\r' || data[len - 1] == '\n'))
		len--;
	log_escape(t->nul_header, sizeof(t->nul_header), data, len);
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
		/* Comes before the header callback, one line at a time. */
		note_nul_header(t, data, len);
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
	t->handle = h;
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
