/* main.c — bailey-steward: the attestation server and CA (docs/steward.md). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "steward/config.h"
#include "steward/server.h"
#include "steward/service.h"

#define DEFAULT_LISTEN "127.0.0.1:3000"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: bailey-steward --config FILE [--listen ADDR:PORT] [--at TIME] [--dev]\n"
	    "                      [--threads N] [--log-format text|json]\n"
	    "                      [--tcb-signing-at TIME] [--port-file F]\n"
	    "       bailey-steward --dev [--listen ADDR:PORT] [--at TIME]\n"
	    "       bailey-steward init-ca --curve P-256|P-384 --out DIR [--cn NAME] "
	    "[--days N]\n\n"
	    "Steward verifies the hardware evidence in a PKCS#10 request (SEV-SNP, SGX,\n"
	    "TDX; KVM only with --dev), applies the policy of the configuration, and\n"
	    "issues a certificate whose extensions carry the evidence and the verified\n"
	    "claims (TCG DICE MultiTcbInfo). API: POST / (application/pkcs10 or\n"
	    "application/vnd.steward.pkcs10-bundle.v1), GET / (health), GET /metrics.\n\n"
	    "  --config FILE     TOML: [ca] [server] [snp] [sgx] [tdx] [kvm] (docs/steward.md)\n"
	    "  --listen A:P      address to serve (default %s; port 0 picks one)\n"
	    "  --at TIME         judge evidence and collateral as of this RFC 3339 time\n"
	    "                    (default: now; certificates are issued as of now)\n"
	    "  --tcb-signing-at TIME  judge Intel's TCB signing chain as of this time\n"
	    "                    (both freeze time: tests and audits only; a warning is\n"
	    "                    printed at start outside --dev)\n"
	    "  --dev             throwaway self-signed CA; accepts KVM and nil. NOT SECURE\n"
	    "  --threads N       server threads (default: one per CPU)\n"
	    "  --port-file F     write the bound port to F once listening\n"
	    "  --log-format F    text (default) or json, one line per request\n",
	    DEFAULT_LISTEN);
}

static int init_ca(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "curve", required_argument, NULL, 'c' }, { "out", required_argument, NULL, 'o' },
		{ "cn", required_argument, NULL, 'n' },    { "days", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
	};
	const char *curve = NULL, *out = NULL, *cn = "Bailey Steward CA";
	long days = 3650;
	struct stw_ca ca;
	int ch, bits;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': curve = optarg; break;
		case 'o': out = optarg; break;
		case 'n': cn = optarg; break;
		case 'd': days = strtol(optarg, NULL, 10); break;
		case 'h':
			printf("usage: bailey-steward init-ca --curve P-256|P-384 --out DIR "
			       "[--cn NAME] [--days N]\n\n"
			       "Creates DIR/ca.key (mode 0600) and DIR/ca.crt: a self-signed CA\n"
			       "(CA:TRUE, pathlen 0, keyCertSign) for the [ca] section. Never\n"
			       "overwrites existing files.\n");
			return 0;
		default: return 2;
		}
	}
	if (!curve || !out || optind != argc) {
		fprintf(stderr,
		        "bailey-steward: init-ca needs --curve P-256|P-384 and --out DIR\n");
		return 2;
	}
	if (!strcmp(curve, "P-256"))
		bits = 256;
	else if (!strcmp(curve, "P-384"))
		bits = 384;
	else {
		fprintf(stderr, "bailey-steward: --curve must be P-256 or P-384\n");
		return 2;
	}
	if (days < 1 || days > 36500) {
		fprintf(stderr, "bailey-steward: --days must be 1..36500\n");
		return 2;
	}
	if (stw_ca_generate(&ca, bits, cn, time(NULL), days) < 0 || stw_ca_write(&ca, out) < 0) {
		fprintf(stderr, "bailey-steward: init-ca: %s\n", bl_errmsg());
		stw_ca_free(&ca);
		return 1;
	}
	stw_ca_free(&ca);
	printf("%s/ca.key\n%s/ca.crt\n", out, out);
	return 0;
}

static void dev_banner(void)
{
	fprintf(stderr,
	        "\n"
	        "#####################################################################\n"
	        "##  WARNING: bailey-steward --dev                                  ##\n"
	        "##  Throwaway self-signed CA, and KVM evidence is ACCEPTED: a KVM  ##\n"
	        "##  Keep has no hardware protection, so its certificates prove    ##\n"
	        "##  NOTHING. Never use --dev where a relying party trusts the CA.  ##\n"
	        "#####################################################################\n\n");
}

/*
 * --at and --tcb-signing-at freeze time for verification: collateral that has
 * expired, CRLs that have been superseded (and so revocations published
 * since) are accepted as of then. Tests and audits need that; a production
 * Steward must not run so by accident.
 */
static void frozen_time_banner(const char *at, const char *signing_at)
{
	fprintf(stderr, "\n"
	                "#####################################################################\n"
	                "##  WARNING: bailey-steward verifies evidence as of a FIXED TIME   ##\n"
	                "##  Expired collateral, superseded CRLs and certificates revoked   ##\n"
	                "##  since then are ACCEPTED as they were at that time. Use this    ##\n"
	                "##  only for tests and audits, never for a CA relying parties use. ##\n"
	                "#####################################################################\n");
	if (at)
		fprintf(stderr, "##  --at %s\n", at);
	if (signing_at)
		fprintf(stderr, "##  --tcb-signing-at %s\n", signing_at);
	fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "at", required_argument, NULL, 'a' },
		{ "dev", no_argument, NULL, 'D' },
		{ "threads", required_argument, NULL, 't' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "tcb-signing-at", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *listen = NULL, *at = NULL, *port_file = NULL;
	const char *signing_at = NULL;
	enum bl_log_format fmt = BL_LOG_TEXT;
	static struct stw_service svc;
	struct stw_crl_set crls = { 0 };
	struct stw_config cfg;
	struct stw_server *srv = NULL;
	struct stw_server_opts so;
	long threads = -1;
	int ch, dev = 0, rc = 1;

	if (argc > 1 && !strcmp(argv[1], "init-ca"))
		return init_ca(argc - 1, argv + 1);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'l': listen = optarg; break;
		case 'a': at = optarg; break;
		case 'D': dev = 1; break;
		case 't': threads = strtol(optarg, NULL, 10); break;
		case 'p': port_file = optarg; break;
		case 's': signing_at = optarg; break;
		case 'f':
			if (bl_log_format_parse(optarg) < 0) {
				fprintf(stderr, "bailey-steward: --log-format text|json\n");
				return 2;
			}
			fmt = (enum bl_log_format)bl_log_format_parse(optarg);
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || (!config && !dev)) {
		usage(stderr);
		return 2;
	}
	bl_log_setup(BL_LOG_INFO, fmt, "bailey-steward");
	if (stw_config_init(&cfg) < 0) {
		fprintf(stderr, "bailey-steward: out of memory\n");
		return 1;
	}
	if (at && stw_parse_rfc3339(at, &svc.at) < 0) {
		fprintf(stderr, "bailey-steward: --at: %s\n", bl_errmsg());
		rc = 2;
		goto out_free_cfg;
	}
	if (signing_at && stw_parse_rfc3339(signing_at, &svc.tcb_signing_at) < 0) {
		fprintf(stderr, "bailey-steward: --tcb-signing-at: %s\n", bl_errmsg());
		rc = 2;
		goto out_free_cfg;
	}
	if ((at || signing_at) && !dev)
		frozen_time_banner(at, signing_at);
	if (config && stw_config_load(&cfg, config) < 0) {
		fprintf(stderr, "bailey-steward: %s\n", bl_errmsg());
		rc = 2;
		goto out_free_cfg;
	}
	if (!dev && att_policy_allows(cfg.policy, ATT_KIND_KVM)) {
		fprintf(stderr,
		        "bailey-steward: %s: [kvm] allow = true needs --dev: KVM evidence "
		        "proves nothing\n",
		        config);
		rc = 2;
		goto out_free_cfg;
	}
	if (dev) {
		dev_banner();
		if (cfg.ca_key || cfg.ca_cert)
			bl_warn("--dev: the [ca] of %s is ignored; a throwaway CA signs instead",
			        config);
		if (stw_ca_generate(&svc.ca, 384, "Bailey Steward DEV CA (insecure)", time(NULL),
		                    365) < 0) {
			fprintf(stderr, "bailey-steward: --dev CA: %s\n", bl_errmsg());
			goto out_free_cfg;
		}
		svc.dev = 1;
		svc.dev_allow_all_kvm = config == NULL;
	} else {
		if (!cfg.ca_key || !cfg.ca_cert) {
			fprintf(stderr,
			        "bailey-steward: %s: [ca] key and cert are required (or "
			        "use --dev)\n",
			        config);
			rc = 2;
			goto out_free_cfg;
		}
		if (stw_ca_load(&svc.ca, cfg.ca_key, cfg.ca_cert) < 0) {
			fprintf(stderr, "bailey-steward: %s\n", bl_errmsg());
			goto out_free_cfg;
		}
	}
	if (stw_crls_load(&crls, cfg.crl_paths, cfg.n_crl_paths) < 0) {
		fprintf(stderr, "bailey-steward: [ca] crls: %s\n", bl_errmsg());
		rc = 2;
		goto out_free_ca;
	}
	svc.crls = crls.v;
	svc.n_crls = crls.n;
	/* From here on the process that parses requests does not hold the CA key. */
	if (stw_ca_privsep(&svc.ca) < 0) {
		fprintf(stderr, "bailey-steward: %s\n", bl_errmsg());
		goto out_free_ca;
	}
	svc.policy = cfg.policy;
	svc.lifetime = cfg.lifetime;
	so.listen = listen ? listen : cfg.listen ? cfg.listen : DEFAULT_LISTEN;
	so.max_connections = cfg.max_connections;
	so.threads = threads > 0 ? (unsigned)threads : cfg.threads;
	so.max_body = cfg.max_body;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (stw_server_start(&svc, &so, &srv) < 0) {
		fprintf(stderr, "bailey-steward: %s\n", bl_errmsg());
		goto out_free_ca;
	}
	bl_info("listening on %s (port %u)%s%s", so.listen, stw_server_port(srv),
	        dev ? ", DEV MODE: KVM accepted, throwaway CA" : "",
	        svc.at ? ", evidence verified as of --at" : "");
	if (port_file) {
		FILE *f = fopen(port_file, "w");
		if (!f || fprintf(f, "%u\n", stw_server_port(srv)) < 0 || fclose(f) != 0) {
			fprintf(stderr, "bailey-steward: %s: %s\n", port_file, strerror(errno));
			goto out_stop;
		}
	}
	while (!stop)
		pause();
	bl_info("stopping");
	rc = 0;
out_stop:
	stw_server_stop(srv);
out_free_ca:
	stw_crls_free(&crls);
	stw_ca_free(&svc.ca);
out_free_cfg:
	stw_config_free(&cfg);
	return rc;
}
