/* The command line: the input cut at NUL bytes into arguments after "egress". Runs
 * with stdin on /dev/null (--config /dev/stdin must not wait; scripts/fuzz closes
 * stdout and stderr with -close_fd_mask, as --help prints) and with --no-config
 * added, so that no file of the machine's is read. */
#include <fcntl.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const char *version(void)
{
	return "libcurl/fuzz";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Nothing the parser does may wait for a person on stdin. */
	int nul = open("/dev/null", O_RDONLY);
	if (nul < 0 || dup2(nul, 0) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *args[66];
	struct egress_config cfg;
	int argc = 0;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	args[argc++] = (char *)"egress";
	args[argc++] = (char *)"--no-config";
	for (size_t i = 0; i < size && argc < 64; i += strlen(buf + i) + 1)
		args[argc++] = buf + i;
	args[argc] = NULL;
	cli_parse(argc, args, version, &cfg);
	config_free(&cfg);
	free(buf);
	return 0;
}
