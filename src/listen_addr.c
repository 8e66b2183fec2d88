/* Listening addresses and sockets for listen mode. */
#include "listen_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"

/* What the kernel queues for us between two accept rounds; the system's cap
 * (somaxconn) applies. */
#define LISTEN_BACKLOG 4096

static bool parse_lport(const char *s, uint16_t *port, char *err, size_t errsz)
{
	if (!strcmp(s, "0")) {
		*port = 0;
		return true;
	}
	return parse_port(s, port, err, errsz);
}

bool listen_addr_parse(const char *s, struct listen_addr *a, char *err, size_t errsz)
{
	const char *colon = strrchr(s, ':');
	char why[ERR_MAX];

	*a = (struct listen_addr){ 0 };
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return err_printf(err, errsz,
					  "invalid listening address \"%s\": expected [IPV6]:LPORT",
					  s);
		colon = close + 1;
	}
	if (!colon) {
		memcpy(a->host, "127.0.0.1", sizeof("127.0.0.1"));
		if (!parse_lport(s, &a->port, why, sizeof(why)))
			return err_printf(err, errsz, "invalid listening port \"%s\": %s", s, why);
		return true;
	}
	size_t len = (size_t)(colon - s);
	const char *host = s;
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		host++;
		len -= 2;
		struct in6_addr v6;
		char lit[64];
		if (len >= sizeof(lit) ||
		    (memcpy(lit, host, len), lit[len] = '\0', inet_pton(AF_INET6, lit, &v6) != 1))
			return err_printf(err, errsz,
					  "invalid listening address \"%s\": "
					  "[...] holds an IPv6 address",
					  s);
	} else if (memchr(s, ':', len) || memchr(s, '[', len) || memchr(s, ']', len)) {
		return err_printf(err, errsz,
				  "invalid listening address \"%s\": an IPv6 address goes in "
				  "brackets, [::1]:LPORT",
				  s);
	}
	if (!parse_lport(colon + 1, &a->port, why, sizeof(why)))
		return err_printf(err, errsz, "invalid listening port in \"%s\": %s", s, why);
	if (len == 0 || (len == 1 && host[0] == '*')) {
		a->any = true;
		return true;
	}
	if (len > HOST_MAX)
		return err_printf(err, errsz, "invalid listening address \"%s\": name too long", s);
	memcpy(a->host, host, len);
	a->host[len] = '\0';
	if (!check_host(a->host, why, sizeof(why)))
		return err_printf(err, errsz, "invalid listening address \"%s\": %s", s, why);
	return true;
}

static int listen_on(const struct addrinfo *ai, char *err, size_t errsz)
{
	int one = 1;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	if (fd < 0) {
		err_printf(err, errsz, "socket: %s", strerror(errno));
		return -1;
	}
	/* "[::]" is IPv6 only: "*" asks for IPv4 too, and gets its own socket, whose bind a
	 * dual-stack "[::]" would take. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (ai->ai_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		err_printf(err, errsz, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

size_t listen_addr_open(const struct listen_addr *a, int fds[LISTEN_FDS_MAX], char *err,
			size_t errsz)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res = NULL;
	char port[8], why[ERR_MAX];
	size_t n = 0;

	(void)snprintf(port, sizeof(port), "%u", (unsigned)a->port); /* 5 digits at most */
	int rc = getaddrinfo(a->any ? NULL : a->host, port, &hints, &res);
	if (rc != 0) {
		err_printf(err, errsz, "cannot listen on %s: %s", a->any ? "*" : a->host,
			   rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return 0;
	}
	why[0] = '\0';
	for (const struct addrinfo *ai = res; ai && n < LISTEN_FDS_MAX; ai = ai->ai_next) {
		int fd = listen_on(ai, why, sizeof(why));
		if (fd >= 0)
			fds[n++] = fd;
	}
	freeaddrinfo(res);
	if (n == 0)
		err_printf(err, errsz, "cannot listen on %s%s%s:%u: %s",
			   strchr(a->host, ':') ? "[" : "", a->any ? "*" : a->host,
			   strchr(a->host, ':') ? "]" : "", (unsigned)a->port, why);
	return n;
}

/* sd_listen_fds(3)'s first descriptor. */
#define SD_LISTEN_FDS_START 3

int listen_inherited(int fds[LISTEN_FDS_MAX], char *err, size_t errsz)
{
	const char *pid = getenv("LISTEN_PID"), *count = getenv("LISTEN_FDS");
	char *end;
	int n = 0;

	if (!pid || !count || strtol(pid, &end, 10) != (long)getpid() || *end)
		return 0;
	long want = strtol(count, &end, 10);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (*end || want < 1 || want > LISTEN_FDS_MAX) {
		err_printf(err, errsz, "LISTEN_FDS=%s: expected 1 to %d sockets", count,
			   LISTEN_FDS_MAX);
		return -1;
	}
	for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + want; fd++) {
		int listening = 0;
		socklen_t len = sizeof(listening);
		struct stat st;
		if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
		    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening) {
			err_printf(err, errsz,
				   "LISTEN_FDS: descriptor %d is not a listening socket "
				   "(systemd: Accept=no, ListenStream=)",
				   fd);
			return -1;
		}
		/* The event loop's accept() must not block. */
		int fl = fcntl(fd, F_GETFL);
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || fl < 0 ||
		    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
			err_printf(err, errsz, "LISTEN_FDS: descriptor %d: %s", fd,
				   strerror(errno));
			return -1;
		}
		fds[n++] = fd;
	}
	return n;
}

bool socket_address(int fd, bool peer, char *text, size_t textsz, bool *loopback)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";

	*loopback = false;
	if ((peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
		  : getsockname(fd, (struct sockaddr *)&ss, &len)) < 0)
		return false;
	/* glibc's _GNU_SOURCE declares getsockname with a transparent union for the
	 * address, through which the analyzer does not see it written.
	 * NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		*loopback = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
		err_printf(text, textsz, "%s:%u", host, (unsigned)ntohs(s4->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		*loopback = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
		err_printf(text, textsz, "[%s]:%u", host, (unsigned)ntohs(s6->sin6_port));
	} else {
		/* A Unix socket (socat's socketpair under --inetd): no address to show. */
		*loopback = ss.ss_family == AF_UNIX;
		err_printf(text, textsz, "a local socket");
	}
	return true;
}

bool listen_is_loopback(int fd, char *text, size_t textsz)
{
	bool loop;
	if (!socket_address(fd, false, text, textsz, &loop))
		err_printf(text, textsz, "?");
	return loop;
}
