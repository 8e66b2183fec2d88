/* Unit tests for conffile.c (reading a config file, cutting it into lines) and
 * host_pattern.c (the patterns of its "host" lines). */
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conffile.h"
#include "host_pattern.h"
#include "tap.h"

static struct conffile f;
static char err[256];

/* Parses text (len bytes, NULs allowed) into f; conffile_free is the caller's. */
static bool parse_n(const char *text, size_t len)
{
	conffile_free(&f); /* what a failed parse before left (f owns its buffer) */
	char *buf = malloc(len + 1);
	memcpy(buf, text, len);
	err[0] = '\0';
	return conffile_parse(&f, buf, len, err, sizeof(err));
}

static bool parse(const char *text)
{
	return parse_n(text, strlen(text));
}

/* Whether line i of f is key with the values given (NULL-terminated). */
static bool line_is(size_t i, unsigned lineno, const char *key, ...)
{
	va_list ap;
	size_t n = 0;
	bool ok = i < f.nlines && f.lines[i].lineno == lineno && !strcmp(f.lines[i].key, key);

	va_start(ap, key);
	for (const char *v; ok && (v = va_arg(ap, const char *)) != NULL; n++)
		ok = n < f.lines[i].nvalues && !strcmp(f.lines[i].values[n], v);
	va_end(ap);
	return ok && n == f.lines[i].nvalues;
}

static void test_forms(void)
{
	CHECK(parse("proxy http://p:3128\n"
		    "proxy-user = alice\n"
		    "connect-timeout=10\n"
		    "half-close\n"
		    "--keepalive 30\n"
		    "host a b !c\n") &&
	      f.nlines == 6);
	CHECK(line_is(0, 1, "proxy", "http://p:3128", (const char *)NULL));
	CHECK(line_is(1, 2, "proxy-user", "alice", (const char *)NULL));
	CHECK(line_is(2, 3, "connect-timeout", "10", (const char *)NULL));
	CHECK(line_is(3, 4, "half-close", (const char *)NULL));
	CHECK(line_is(4, 5, "keepalive", "30", (const char *)NULL));
	CHECK(line_is(5, 6, "host", "a", "b", "!c", (const char *)NULL));
	conffile_free(&f);
	/* An empty file, and one of comments and blank lines only. */
	CHECK(parse("") && f.nlines == 0);
	conffile_free(&f);
	CHECK(parse("# a comment\n\n   \t\n  # indented comment = x\n") && f.nlines == 0);
	conffile_free(&f);
	/* Blanks around everything; the last line without its newline. */
	CHECK(parse("\t proxy \t = \t x \t\n  half-close  ") &&
	      line_is(0, 1, "proxy", "x", (const char *)NULL) &&
	      line_is(1, 2, "half-close", (const char *)NULL));
	conffile_free(&f);
	/* "#" inside a value is part of it: only a line can be a comment. */
	CHECK(parse("user-agent a#b\n") && line_is(0, 1, "user-agent", "a#b", (const char *)NULL));
	conffile_free(&f);
	/* "=" with nothing after it is no value; "==" is a value "=". */
	CHECK(parse("proxy =\nproxy ==\n") && line_is(0, 1, "proxy", (const char *)NULL) &&
	      line_is(1, 2, "proxy", "=", (const char *)NULL));
	conffile_free(&f);
}

static void test_quotes(void)
{
	CHECK(parse("proxy-header \"X-Team: blue sky\"\n") &&
	      line_is(0, 1, "proxy-header", "X-Team: blue sky", (const char *)NULL));
	conffile_free(&f);
	CHECK(parse("proxy \"\"\n") && line_is(0, 1, "proxy", "", (const char *)NULL));
	conffile_free(&f);
	CHECK(parse("user-agent \"say \\\"hi\\\" \\\\ back \\n\"\n") &&
	      line_is(0, 1, "user-agent", "say \"hi\" \\ back \\n", (const char *)NULL));
	conffile_free(&f);
	CHECK(parse("host \"a\" b \"!c\"\n") &&
	      line_is(0, 1, "host", "a", "b", "!c", (const char *)NULL));
	conffile_free(&f);
	CHECK(!parse("ok 1\nuser-agent \"no end\n") && !strcmp(err, "2: unbalanced quote"));
	CHECK(!parse("user-agent \"a\"b\n") && !strcmp(err, "1: text right after a closing quote"));
	CHECK(!parse("user-agent a\"b\"\n") &&
	      !strcmp(err, "1: a quote inside a value: quote the whole value"));
	CHECK(!parse("\"proxy\" x\n") && !strcmp(err, "1: expected an option name"));
	CHECK(!parse("= x\n") && !strcmp(err, "1: expected an option name"));
	/* A quote left open does not run on into the next line. */
	CHECK(!parse("user-agent \"a\nb\"\n") && !strcmp(err, "1: unbalanced quote"));
}

static void test_bytes(void)
{
	/* CRLF line ends: the CR is no part of the value. */
	CHECK(parse("proxy x\r\nhalf-close\r\nuser-agent \"a b\"\r\n") &&
	      line_is(0, 1, "proxy", "x", (const char *)NULL) &&
	      line_is(1, 2, "half-close", (const char *)NULL) &&
	      line_is(2, 3, "user-agent", "a b", (const char *)NULL));
	conffile_free(&f);
	/* A NUL byte anywhere, named by its line. */
	CHECK(!parse_n("a 1\nb 2\nc \0 3\n", 12) && !strcmp(err, "3: a NUL byte: not a text file"));
	CHECK(!parse_n("\0", 1) && !strcmp(err, "1: a NUL byte: not a text file"));
	/* A 1 MiB line is read whole. The text is put together in pieces; the last one
	 * brings the NUL. NOLINTBEGIN(bugprone-not-null-terminated-result) */
	size_t big = 1u << 20;
	char *text = malloc(big + 32);
	memcpy(text, "user-agent ", 11);
	memset(text + 11, 'a', big);
	memcpy(text + 11 + big, "\nhalf-close\n", 13);
	CHECK(parse(text) && f.nlines == 2 && f.lines[0].nvalues == 1 &&
	      strlen(f.lines[0].values[0]) == big &&
	      line_is(1, 2, "half-close", (const char *)NULL));
	conffile_free(&f);
	/* A line of a million one-letter values. */
	for (size_t i = 0; i < big; i += 2)
		memcpy(text + 11 + i, "b ", 2);
	/* NOLINTEND(bugprone-not-null-terminated-result) */
	CHECK(parse(text) && f.nlines == 2 && f.lines[0].nvalues == big / 2);
	conffile_free(&f);
	free(text);
}

static char dir[] = "/tmp/egress-conffile-XXXXXX";

static char *in_dir(const char *name)
{
	static char path[128];
	tap_fmt(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	int fd = open(in_dir(name), O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			perror("write");
		fchmod(fd, mode);
		close(fd);
	}
}

/* Reads name from the test directory as the user nobody, for root reads all. */
static enum conffile_status read_as_nobody(const char *name)
{
	int pipefd[2], status;
	enum conffile_status st = CONFFILE_OK;

	if (pipe(pipefd) < 0)
		return CONFFILE_OK;
	pid_t pid = fork();
	if (pid == 0) {
		struct conffile g;
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(1);
		enum conffile_status s = conffile_read(in_dir(name), &g, err, sizeof(err));
		if (write(pipefd[1], &s, sizeof(s)) < 0 || write(pipefd[1], err, sizeof(err)) < 0)
			_exit(1);
		_exit(0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &st, sizeof(st)) != sizeof(st) ||
	    read(pipefd[0], err, sizeof(err)) != sizeof(err))
		st = CONFFILE_OK;
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	return st;
}

static void test_read(void)
{
	char want[256];

	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	chmod(dir, 0755);
	write_file("ok", "proxy http://p\nhost a\n  half-close\n", 0600);
	CHECK(conffile_read(in_dir("ok"), &f, err, sizeof(err)) == CONFFILE_OK && f.len == 35 &&
	      (f.st.st_mode & 0777) == 0600);
	CHECK(conffile_parse(&f, f.buf, f.len, err, sizeof(err)) && f.nlines == 3 &&
	      line_is(2, 3, "half-close", (const char *)NULL));
	conffile_free(&f);
	/* Missing: its own status, for a default file is no error. */
	CHECK(conffile_read(in_dir("none"), &f, err, sizeof(err)) == CONFFILE_MISSING);
	tap_fmt(want, sizeof(want), "%s: cannot read: No such file or directory", in_dir("none"));
	CHECK(!strcmp(err, want));
	CHECK(conffile_read(in_dir("ok/below"), &f, err, sizeof(err)) == CONFFILE_MISSING);
	/* A directory, a FIFO (the open must not wait for a writer), unreadable. */
	CHECK(conffile_read(dir, &f, err, sizeof(err)) == CONFFILE_ERROR);
	tap_fmt(want, sizeof(want), "%s: is a directory, not a config file", dir);
	CHECK(!strcmp(err, want));
	CHECK(mkfifo(in_dir("fifo"), 0600) == 0);
	CHECK(conffile_read(in_dir("fifo"), &f, err, sizeof(err)) == CONFFILE_ERROR);
	tap_fmt(want, sizeof(want), "%s: is not a regular file", in_dir("fifo"));
	CHECK(!strcmp(err, want));
	write_file("secret", "proxy-user a:b\n", 0600);
	CHECK(read_as_nobody("secret") == CONFFILE_ERROR);
	tap_fmt(want, sizeof(want), "%s: cannot read: Permission denied", in_dir("secret"));
	CHECK(!strcmp(err, want));
	CHECK(read_as_nobody("ok") == CONFFILE_ERROR); /* 0600 too */
	chmod(in_dir("ok"), 0644);
	CHECK(read_as_nobody("ok") == CONFFILE_OK);
	unlink(in_dir("ok"));
	unlink(in_dir("fifo"));
	unlink(in_dir("secret"));
	rmdir(dir);
}

static bool matches(const char *host, const char *const *patterns)
{
	size_t n = 0;
	while (patterns[n])
		n++;
	return host_pattern_match_list(patterns, n, host);
}

#define PATS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_patterns(void)
{
	CHECK(matches("db.lab", PATS("*.lab")));
	CHECK(matches("DB.Lab", PATS("*.LAB")));
	CHECK(!matches("lab", PATS("*.lab")));
	CHECK(matches("a.b.lab", PATS("*.lab")));
	CHECK(matches("db1", PATS("db?")));
	CHECK(!matches("db12", PATS("db?")));
	CHECK(matches("anything", PATS("*")));
	CHECK(matches("x", PATS("a", "b", "x")));
	CHECK(matches("10.1.2.3", PATS("10.*")));
	CHECK(matches("::1", PATS("::1")));
	CHECK(matches("fd00::5", PATS("fd00:*")));
	/* "!" excludes, whatever order; "!" alone matches nothing. */
	CHECK(!matches("gw.lab", PATS("*.lab", "!gw.lab")));
	CHECK(!matches("gw.lab", PATS("!gw.lab", "*.lab")));
	CHECK(matches("db.lab", PATS("!gw.lab", "*.lab")));
	CHECK(!matches("db.lab", PATS("!gw.lab")));
	CHECK(!matches("x.lab", PATS("*.lab", "!x*")));
	/* Stars that need backtracking. */
	CHECK(matches("aaab", PATS("*a*b")));
	CHECK(matches("a.b.c.d", PATS("a*.*d")));
	CHECK(!matches("abcabd", PATS("*abc")));
	CHECK(matches("abcabc", PATS("*abc")));
	CHECK(matches("x", PATS("**x**")));
}

static void test_pattern_strings(void)
{
	CHECK(host_pattern_match_string("a.example, *.corp  10.*", "x.corp"));
	CHECK(host_pattern_match_string("a.example,*.corp,10.*", "10.1.2.3"));
	CHECK(!host_pattern_match_string("a.example, *.corp", "corp"));
	CHECK(!host_pattern_match_string("*.corp !gw.corp", "gw.corp"));
	CHECK(host_pattern_match_string("*.corp !gw.corp", "db.corp"));
	CHECK(!host_pattern_match_string("", "x"));
	CHECK(host_pattern_check_string("a, *.b\t!c", err, sizeof(err)));
	CHECK(!host_pattern_check_string(" , ", err, sizeof(err)) &&
	      !strcmp(err, "no host pattern in \" , \""));
	CHECK(!host_pattern_check_string("a, b/c", err, sizeof(err)) &&
	      !strncmp(err, "bad host pattern \"b/c\"", 22));
	/* A pattern longer than any host name is refused, not cut: 300 stars of 310 would
	 * be "*", which matches every host. */
	char stars[320];
	memset(stars, '*', 310);
	memcpy(stars + 310, ".corp", sizeof(".corp"));
	CHECK(!host_pattern_check_string(stars, err, sizeof(err)) &&
	      !strncmp(err, "host pattern \"****", 18) && strstr(err, "longer than"));
	CHECK(!host_pattern_match_string(stars, "evil.example"));
	CHECK(host_pattern_match_string("*.corp", "db.corp"));
}

static void test_pattern_check(void)
{
	CHECK(host_pattern_check("*.lab", err, sizeof(err)));
	CHECK(host_pattern_check("!gw-1_x.lab", err, sizeof(err)));
	CHECK(host_pattern_check("fe80::1%eth0", err, sizeof(err)));
	CHECK(!host_pattern_check("", err, sizeof(err)) && !strcmp(err, "empty host pattern \"\""));
	CHECK(!host_pattern_check("!", err, sizeof(err)) &&
	      !strcmp(err, "empty host pattern \"!\""));
	CHECK(!host_pattern_check("a/b", err, sizeof(err)) &&
	      !strncmp(err, "bad host pattern \"a/b\": ", 24));
	CHECK(!host_pattern_check("!!a", err, sizeof(err)));
	CHECK(!host_pattern_check("a,b", err, sizeof(err)));
	CHECK(!host_pattern_check("[::1]", err, sizeof(err)));
}

int main(void)
{
	test_forms();
	test_quotes();
	test_bytes();
	test_read();
	test_patterns();
	test_pattern_check();
	test_pattern_strings();
	return tap_done();
}
