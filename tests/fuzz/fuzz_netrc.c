/* A netrc file's text, looked up for a host, with and without a login. */
#include "fuzz.h"
#include "netrc.h"
#include "secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), *login = NULL, *pass = NULL;

	netrc_lookup(s, "proxy.example", NULL, &login, &pass);
	free(login);
	secret_free(pass);
	login = pass = NULL;
	netrc_lookup(s, "proxy.example", "alice", &login, &pass);
	if (login && strcmp(login, "alice") != 0)
		abort();
	free(login);
	secret_free(pass);
	free(s);
	return 0;
}
