/*
 * examples/hello — a small WASI workload: greets, shows what Enarx.toml gave
 * it (arguments, environment, descriptors), and keeps a visit counter in the
 * preopened directory /data. Build: clang --target=wasm32-wasi -O2 main.c -o main.wasm
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	const char *who = getenv("GREETING_NAME");
	FILE *f;
	int visits = 0;

	printf("Hello, %s, from %s inside a Bailey Keep.\n", who ? who : "world", argv[0]);
	for (int i = 1; i < argc; i++)
		printf("  argument %d: %s\n", i, argv[i]);
	printf("  descriptors (FD_NAMES): %s\n", getenv("FD_NAMES") ? getenv("FD_NAMES") : "-");
	f = fopen("/data/visits", "r");
	if (f) {
		if (fscanf(f, "%d", &visits) != 1)
			visits = 0;
		fclose(f);
	}
	f = fopen("/data/visits", "w");
	if (!f) {
		perror("  /data/visits");
		return 1;
	}
	fprintf(f, "%d\n", ++visits);
	fclose(f);
	printf("  visit number %d (kept in /data/visits on the host)\n", visits);
	return 0;
}
