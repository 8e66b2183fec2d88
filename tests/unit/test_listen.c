/* Unit tests for listen_addr.c: "[BIND:]LPORT" as -L and -D take it, and the
 * listening sockets made from it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listen_addr.h"
#include "tap.h"

static struct listen_addr a;
static char err[512];

static bool parse(const char *s)
{
	err[0] = '\0';
	return listen_addr_parse(s, &a, err, sizeof(err));
}

static void parsing(void)
{
	CHECK(parse("1080") && !strcmp(a.host, "127.0.0.1") && a.port == 1080 && !a.any);
	CHECK(parse("0") && a.port == 0);
	CHECK(parse("localhost:8443") && !strcmp(a.host, "localhost") && a.port == 8443);
	CHECK(parse("192.0.2.7:22") && !strcmp(a.host, "192.0.2.7"));
	CHECK(parse("[::1]:1080") && !strcmp(a.host, "::1") && a.port == 1080);
	CHECK(parse("*:1080") && a.any && a.port == 1080);
	CHECK(parse(":1080") && a.any);
	CHECK(!parse("") && strstr(err, "listening port"));
	CHECK(!parse("65536") && strstr(err, "65536"));
	CHECK(!parse("-1"));
	CHECK(!parse("http"));
	CHECK(!parse("::1:1080") && strstr(err, "in brackets"));
	CHECK(!parse("[example.com]:1080") && strstr(err, "IPv6 address"));
	CHECK(!parse("[::1]") && strstr(err, "[IPV6]:LPORT"));
	CHECK(!parse("[::1]1080") && strstr(err, "[IPV6]:LPORT"));
	CHECK(!parse("[::1]x:1080"));
	CHECK(!parse("bad host:1080"));
	CHECK(!parse("localhost:"));
	CHECK(!parse("localhost:0x50"));
}

/* The socket listens where it says, and says whether that is loopback. */
static void opening(void)
{
	int fds[LISTEN_FDS_MAX];
	char where[128];

	CHECK(parse("0"));
	size_t n = listen_addr_open(&a, fds, err, sizeof(err));
	CHECK(n == 1);
	if (n != 1)
		return;
	CHECK(listen_is_loopback(fds[0], where, sizeof(where)));
	long port = strtol(where + 10, NULL, 10);
	CHECK(!strncmp(where, "127.0.0.1:", 10) && port > 0 && port < 65536);
	/* A second socket on the same port is refused, with the address in the error. */
	struct listen_addr again = a;
	again.port = (uint16_t)port;
	int more[LISTEN_FDS_MAX];
	CHECK(listen_addr_open(&again, more, err, sizeof(err)) == 0);
	CHECK(strstr(err, "cannot listen on 127.0.0.1:") && strstr(err, "in use"));
	close(fds[0]);

	CHECK(parse("[::1]:0"));
	n = listen_addr_open(&a, fds, err, sizeof(err));
	if (n == 1) { /* a machine without IPv6 loopback has nothing to check here */
		CHECK(listen_is_loopback(fds[0], where, sizeof(where)));
		CHECK(!strncmp(where, "[::1]:", 6));
		close(fds[0]);
	}
}

/* systemd's variables: only for this process, removed once read. */
static void inherited(void)
{
	int fds[LISTEN_FDS_MAX];
	char pid[32];

	unsetenv("LISTEN_PID");
	CHECK(listen_inherited(fds, err, sizeof(err)) == 0);
	setenv("LISTEN_PID", "1", 1);
	setenv("LISTEN_FDS", "1", 1);
	CHECK(listen_inherited(fds, err, sizeof(err)) == 0); /* another process's */
	tap_fmt(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "x", 1);
	CHECK(listen_inherited(fds, err, sizeof(err)) == -1 && strstr(err, "LISTEN_FDS=x"));
	CHECK(!getenv("LISTEN_PID") && !getenv("LISTEN_FDS"));
	/* fd 3 is not a listening socket here. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0 && fd != 3) {
		CHECK(dup2(fd, 3) == 3);
		close(fd);
	}
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "1", 1);
	CHECK(listen_inherited(fds, err, sizeof(err)) == -1 && strstr(err, "not a listening"));
	CHECK(parse("0") && listen_addr_open(&a, fds, err, sizeof(err)) == 1);
	CHECK(dup2(fds[0], 3) == 3);
	close(fds[0]);
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "1", 1);
	CHECK(listen_inherited(fds, err, sizeof(err)) == 1 && fds[0] == 3);
	close(3);
}

int main(void)
{
	parsing();
	opening();
	inherited();
	return tap_done();
}
