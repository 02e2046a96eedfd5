/*
 * cmd_digest.c — `bailey digest`: the RFC 9530 Content-Digest of files, the
 * same value Drawbridge puts on every node, or a check of a file against one.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/digest.h"

static void digest_usage(FILE *f)
{
	fprintf(f,
	        "usage: bailey digest [--alg LIST] FILE...\n"
	        "       bailey digest --check 'sha-256=:BASE64:' FILE\n\n"
	        "Prints each file's Content-Digest (RFC 9530), as Drawbridge sends it, or checks\n"
	        "a file against a Content-Digest value and exits 1 when it does not match.\n"
	        "A FILE of '-' reads standard input.\n\n"
	        "  -a, --alg LIST   algorithms, comma-separated: sha-224, sha-256, sha-384,\n"
	        "                   sha-512 (default: sha-256,sha-384)\n"
	        "  -c, --check CD   verify against this Content-Digest value\n"
	        "  -h, --help       this text\n");
}

static int parse_algs(const char *list, unsigned *mask)
{
	const char *p = list;

	*mask = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		int a = bl_dig_parse_name(p, n);

		if (a < 0)
			return bl_err(BL_EINVAL, "unknown algorithm '%.*s'", (int)n, p);
		*mask |= 1u << a;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!*mask)
		return bl_err(BL_EINVAL, "no algorithm given");
	return 0;
}

/* Digest a whole file (streamed in 64 KiB reads) with every algorithm in mask. */
static int digest_file(const char *path, unsigned mask, struct bl_digest_set *out)
{
	int fd, rc;

	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	if (fd < 0)
		return bl_err(BL_EIO, "%s", strerror(errno));
	rc = bl_digest_fd(fd, mask, out, NULL);
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

int cmd_digest(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "alg", required_argument, NULL, 'a' },
		{ "check", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned mask = (1u << BL_SHA256) | (1u << BL_SHA384);
	const char *check = NULL;
	struct bl_digest_set claimed;
	int c, status = CLI_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "a:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (parse_algs(optarg, &mask) < 0) {
				cli_errorf("digest: --alg");
				return CLI_USAGE;
			}
			break;
		case 'c': check = optarg; break;
		case 'h': digest_usage(stdout); return CLI_OK;
		default: digest_usage(stderr); return CLI_USAGE;
		}
	}
	if (optind >= argc || (check && argc - optind != 1)) {
		digest_usage(stderr);
		return CLI_USAGE;
	}
	if (check) {
		struct bl_digest_set actual;

		if (bl_content_digest_parse(check, strlen(check), &claimed) < 0) {
			cli_errorf("digest: --check");
			return CLI_USAGE;
		}
		if (digest_file(argv[optind], claimed.mask, &actual) < 0) {
			cli_errorf("digest: %s", argv[optind]);
			return CLI_USAGE;
		}
		if (bl_dset_verify(&claimed, &actual) < 0) {
			cli_errorf("digest: %s", argv[optind]);
			return CLI_FAIL;
		}
		printf("%s: OK\n", argv[optind]);
		return CLI_OK;
	}
	for (int i = optind; i < argc; i++) {
		struct bl_digest_set set;
		struct bl_buf out = BL_BUF_INIT;

		if (digest_file(argv[i], mask, &set) < 0 ||
		    bl_content_digest_format(&set, &out) < 0) {
			cli_errorf("digest: %s", argv[i]);
			status = CLI_USAGE;
			bl_buf_free(&out);
			continue;
		}
		printf("%s  %s\n", (char *)out.p, argv[i]);
		bl_buf_free(&out);
	}
	return status;
}
