/* exec.c — run a WASI command module; see exec.h. */
#include "exec/exec.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bailey/wasm.h"
#include "common/buf.h"
#include "exec/wasmcfg.h"
#include "wasi/bind.h"
#include "wasi/wasi.h"

/* Everything exec_run allocates, freed in one place. */
struct run {
	struct exec_config cfg;
	struct wasi_fd_spec *fds;
	size_t nfds;
	int *sockets; /* host sockets we opened, closed after the context dups them */
	size_t nsockets;
	char **dirhost, **dirguest; /* strings for DIR records */
	const char **argv, **envp;
	size_t argc, envc;
	struct bl_buf fdnames, fdcount;
	char **envdup;
	size_t nenvdup;
};

static void run_free(struct run *r)
{
	exec_config_free(&r->cfg);
	for (size_t i = 0; i < r->nsockets; i++)
		close(r->sockets[i]);
	free(r->sockets);
	free(r->fds);
	for (size_t i = 0; r->dirhost && r->dirhost[i]; i++)
		free(r->dirhost[i]);
	for (size_t i = 0; r->dirguest && r->dirguest[i]; i++)
		free(r->dirguest[i]);
	free(r->dirhost);
	free(r->dirguest);
	free(r->argv);
	free(r->envp);
	for (size_t i = 0; i < r->nenvdup; i++)
		free(r->envdup[i]);
	free(r->envdup);
	bl_buf_free(&r->fdnames);
	bl_buf_free(&r->fdcount);
}

static char *slice_str(const struct exec_slice *s)
{
	char *p = malloc(s->len + 1);

	if (p) {
		memcpy(p, s->p, s->len);
		p[s->len] = '\0';
	}
	return p;
}

static int open_socket(const struct exec_file *f, int *out)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[8];
	int fd = -1, rc, one = 1, zero = 0;

	if (f->prot == EXEC_PROT_TLS)
		return bl_err(BL_EUNSUPP,
		              "file '%s': prot = \"tls\" needs the Keep's certificate, which "
		              "bailey deploy provides; use prot = \"tcp\" with bailey run",
		              f->name);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = f->kind == EXEC_FILE_LISTEN ? AI_PASSIVE : 0;
	snprintf(port, sizeof(port), "%u", f->port);
	rc = getaddrinfo(f->kind == EXEC_FILE_LISTEN ? f->addr : f->host, port, &hints, &res);
	if (rc)
		return bl_err(BL_EIO, "file '%s': %s: %s", f->name,
		              f->kind == EXEC_FILE_LISTEN ? f->addr : f->host, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (f->kind == EXEC_FILE_LISTEN) {
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (ai->ai_family == AF_INET6)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
				break;
		} else if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			break;
		}
		rc = errno;
		close(fd);
		fd = -1;
		errno = rc;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return bl_err(BL_EIO, "file '%s': %s %s port %u: %s", f->name,
		              f->kind == EXEC_FILE_LISTEN ? "listen on" : "connect to",
		              f->kind == EXEC_FILE_LISTEN ? f->addr : f->host, f->port,
		              strerror(errno));
	*out = fd;
	return 0;
}

/* Descriptors from [[files]] and the extra DIR records. */
static int build_fds(struct run *r, const struct exec_handoff *h)
{
	size_t n = r->cfg.nfiles + h->ndirs;

	r->fds = calloc(n ? n : 1, sizeof(*r->fds));
	r->sockets = calloc(n ? n : 1, sizeof(int));
	r->dirhost = calloc(h->ndirs + 1, sizeof(char *));
	r->dirguest = calloc(h->ndirs + 1, sizeof(char *));
	if (!r->fds || !r->sockets || !r->dirhost || !r->dirguest)
		return bl_err(BL_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->cfg.nfiles; i++) {
		const struct exec_file *f = &r->cfg.files[i];
		struct wasi_fd_spec *s = &r->fds[r->nfds++];

		switch (f->kind) {
		case EXEC_FILE_NULL: s->kind = WASI_FD_NULL; break;
		case EXEC_FILE_STDIN:
		case EXEC_FILE_STDOUT:
		case EXEC_FILE_STDERR:
			s->kind = WASI_FD_STDIO;
			s->host_fd = f->kind == EXEC_FILE_STDIN    ? 0
			             : f->kind == EXEC_FILE_STDOUT ? 1
			                                           : 2;
			break;
		case EXEC_FILE_LISTEN:
		case EXEC_FILE_CONNECT:
			BL_TRY(open_socket(f, &s->host_fd));
			r->sockets[r->nsockets++] = s->host_fd;
			s->kind = f->kind == EXEC_FILE_LISTEN ? WASI_FD_LISTEN : WASI_FD_STREAM;
			break;
		case EXEC_FILE_DIR:
			s->kind = WASI_FD_DIR;
			s->host_path = f->path;
			s->guest_path = f->guest;
			s->readonly = f->readonly;
			break;
		}
	}
	for (size_t i = 0; i < h->ndirs; i++) {
		struct wasi_fd_spec *s = &r->fds[r->nfds++];
		char *spec = slice_str(&h->dirs[i]), *sep;

		if (!spec)
			return bl_err(BL_ENOMEM, "out of memory");
		sep = strstr(spec, "::");
		r->dirhost[i] = spec;
		if (sep) {
			*sep = '\0';
			r->dirguest[i] = strdup(sep + 2);
		} else {
			r->dirguest[i] = strdup(spec);
		}
		if (!r->dirguest[i])
			return bl_err(BL_ENOMEM, "out of memory");
		s->kind = WASI_FD_DIR;
		s->host_path = r->dirhost[i];
		s->guest_path = r->dirguest[i];
	}
	return 0;
}

/* argv: main.wasm, config args, extra args. env: config, FD_*, extra (overriding). */
static int build_argv_env(struct run *r, const struct exec_handoff *h)
{
	size_t max_env = r->cfg.nenv + 2 + h->nenvs;

	r->argv = calloc(1 + r->cfg.nargs + h->nargs, sizeof(char *));
	r->envp = calloc(max_env, sizeof(char *));
	r->envdup = calloc(h->nargs + h->nenvs + 1, sizeof(char *));
	if (!r->argv || !r->envp || !r->envdup)
		return bl_err(BL_ENOMEM, "out of memory");
	r->argv[r->argc++] = "main.wasm";
	for (size_t i = 0; i < r->cfg.nargs; i++)
		r->argv[r->argc++] = r->cfg.args[i];
	for (size_t i = 0; i < h->nargs; i++) {
		char *s = slice_str(&h->args[i]);
		if (!s)
			return bl_err(BL_ENOMEM, "out of memory");
		r->envdup[r->nenvdup++] = s;
		r->argv[r->argc++] = s;
	}
	for (size_t i = 0; i < r->cfg.nenv; i++)
		r->envp[r->envc++] = r->cfg.env[i];
	BL_TRY(bl_buf_printf(&r->fdcount, "FD_COUNT=%zu", r->nfds));
	BL_TRY(bl_buf_puts(&r->fdnames, "FD_NAMES="));
	BL_TRY(exec_config_fd_names(&r->cfg, &r->fdnames));
	for (size_t i = 0; i < h->ndirs; i++) {
		BL_TRY(bl_buf_puts(&r->fdnames, r->cfg.nfiles || i ? ":" : ""));
		BL_TRY(bl_buf_puts(&r->fdnames, r->dirguest[i]));
	}
	r->envp[r->envc++] = (char *)r->fdcount.p;
	r->envp[r->envc++] = (char *)r->fdnames.p;
	for (size_t i = 0; i < h->nenvs; i++) {
		char *s = slice_str(&h->envs[i]);
		size_t klen;

		if (!s)
			return bl_err(BL_ENOMEM, "out of memory");
		r->envdup[r->nenvdup++] = s;
		klen = (size_t)(strchr(s, '=') - s) + 1;
		for (size_t j = 0; j < r->envc; j++) {
			if (!strncmp(r->envp[j], s, klen)) {
				r->envp[j] = r->envp[--r->envc];
				break;
			}
		}
		r->envp[r->envc++] = s;
	}
	return 0;
}

static int report_trap(wasm_store_t *store)
{
	const struct wasm_trap *t = wasm_store_last_trap(store);
	const char *fn = t->func_name[0] ? t->func_name : NULL;

	if (fn)
		fprintf(stderr, "trap: %s in %s\n", wasm_trap_kind_name(t->kind), fn);
	else if (t->func_index != UINT32_MAX)
		fprintf(stderr, "trap: %s in function %u\n", wasm_trap_kind_name(t->kind),
		        t->func_index);
	else
		fprintf(stderr, "trap: %s\n", wasm_trap_kind_name(t->kind));
	if (t->kind == WASM_TRAP_HOST && bl_errmsg()[0])
		fprintf(stderr, "  (%s)\n", bl_errmsg());
	return EXEC_EXIT_TRAP;
}

static int usage_error(const char *what)
{
	fprintf(stderr, "bailey: %s: %s\n", what, bl_errmsg());
	return EXEC_EXIT_USAGE;
}

int exec_run(const struct exec_handoff *h)
{
	struct run r;
	wasm_module_t *mod = NULL;
	wasm_store_t *store = NULL;
	wasm_instance_t *inst = NULL;
	struct wasi_ctx *ctx = NULL;
	struct wasi_bind *bind = NULL;
	struct wasm_extern start;
	uint32_t code = 0;
	int status, rc;

	memset(&r, 0, sizeof(r));
	if (h->has_config)
		rc = exec_config_parse((const char *)h->config.p, h->config.len, "Enarx.toml",
		                       &r.cfg);
	else
		rc = exec_config_default(&r.cfg);
	if (rc < 0) {
		status = usage_error("config");
		goto out;
	}
	if (build_fds(&r, h) < 0 || build_argv_env(&r, h) < 0) {
		status = usage_error("setup");
		goto out;
	}
	mod = wasm_module_load(h->module.p, h->module.len);
	if (!mod) {
		status = usage_error("main.wasm");
		goto out;
	}
	ctx = wasi_new(r.argv, r.argc, r.envp, r.envc, r.fds, r.nfds);
	if (!ctx) {
		status = usage_error("setup");
		goto out;
	}
	store = wasm_store_new(NULL);
	bind = store ? wasi_bind_new(store, ctx) : NULL;
	if (!bind) {
		status = usage_error("engine");
		goto out;
	}
	rc = wasm_instantiate(store, mod, wasi_bind_resolve, bind, &inst);
	if (rc == WASM_ETRAP) {
		status = wasi_exited(ctx, &code) ? (int)(code & 0xff) : report_trap(store);
		goto out;
	}
	if (rc < 0) {
		status = usage_error("main.wasm");
		goto out;
	}
	if (wasi_bind_attach(bind, inst) < 0) {
		status = usage_error("main.wasm");
		goto out;
	}
	if (wasm_instance_export(inst, "_start", &start) < 0 || start.kind != WASM_EXTERN_FUNC) {
		bl_err(BL_ENOENT, "no exported function _start (not a WASI command module)");
		status = usage_error("main.wasm");
		goto out;
	}
	rc = wasm_call(store, start.u.func, NULL, 0, NULL, 0);
	if (rc == 0)
		status = 0;
	else if (rc == WASM_ETRAP && wasi_exited(ctx, &code))
		status = (int)(code & 0xff);
	else if (rc == WASM_ETRAP)
		status = report_trap(store);
	else
		status = usage_error("_start");
out:
	fflush(stdout);
	wasi_bind_free(bind);
	wasm_store_delete(store);
	wasm_module_free(mod);
	wasi_free(ctx);
	run_free(&r);
	return status;
}
