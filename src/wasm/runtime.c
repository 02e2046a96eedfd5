/*
 * runtime.c — stores, instantiation (spec 4.5.4), memories with guard pages,
 * tables, globals, traps and the embedding API of bailey/wasm.h.
 *
 * Out-of-bounds memory accesses fault inside the 8 GiB reservation of a
 * memory; the SIGSEGV/SIGBUS handler, running on an alternate signal stack,
 * checks that the faulting address lies in the reservation of the memory of
 * the function running on this thread and then siglongjmps to the innermost
 * wasm_call on this thread, which reports a trap. Any other fault is not
 * ours: it goes to the handler installed before ours (or the default action,
 * which crashes the process as it would have without us).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wasm/module.h"

/* ---- canonical function types (process-wide, for call_indirect) ---- */

struct canon_entry {
	uint32_t np, nr;
	uint8_t *types;
};
static pthread_mutex_t canon_lock = PTHREAD_MUTEX_INITIALIZER;
static struct canon_entry *canon_tab;
static uint32_t canon_n, canon_cap;

int wasm_type_canon(const uint8_t *types, uint32_t np, uint32_t nr, uint32_t *id)
{
	int rc = 0;
	pthread_mutex_lock(&canon_lock);
	for (uint32_t i = 0; i < canon_n; i++) {
		if (canon_tab[i].np == np && canon_tab[i].nr == nr &&
		    memcmp(canon_tab[i].types, types, np + nr) == 0) {
			*id = i;
			goto out_unlock;
		}
	}
	if (canon_n == canon_cap) {
		uint32_t cap = canon_cap ? canon_cap * 2 : 64;
		struct canon_entry *p = realloc(canon_tab, cap * sizeof(*p));
		if (!p) {
			rc = bl_err(BL_ENOMEM, "out of memory");
			goto out_unlock;
		}
		canon_tab = p;
		canon_cap = cap;
	}
	uint8_t *copy = malloc(np + nr + 1);
	if (!copy) {
		rc = bl_err(BL_ENOMEM, "out of memory");
		goto out_unlock;
	}
	memcpy(copy, types, np + nr);
	canon_tab[canon_n].np = np;
	canon_tab[canon_n].nr = nr;
	canon_tab[canon_n].types = copy;
	*id = canon_n++;
out_unlock:
	pthread_mutex_unlock(&canon_lock);
	return rc;
}

/* ---- traps ---- */

const char *wasm_trap_kind_name(enum wasm_trap_kind kind)
{
	switch (kind) {
	case WASM_TRAP_NONE: return "no trap";
	case WASM_TRAP_UNREACHABLE: return "unreachable";
	case WASM_TRAP_MEMORY_OOB: return "out of bounds memory access";
	case WASM_TRAP_TABLE_OOB: return "out of bounds table access";
	case WASM_TRAP_DIV_ZERO: return "integer divide by zero";
	case WASM_TRAP_INT_OVERFLOW: return "integer overflow";
	case WASM_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
	case WASM_TRAP_INDIRECT_MISMATCH: return "indirect call type mismatch";
	case WASM_TRAP_NULL_REF: return "uninitialized element";
	case WASM_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
	case WASM_TRAP_INTERRUPTED: return "interrupted";
	case WASM_TRAP_HOST: return "host function failed";
	}
	return "unknown trap";
}

int wasm_trap_set(struct wasm_store *s, enum wasm_trap_kind kind, struct wasm_func *f)
{
	struct wasm_trap *t = &s->trap;
	t->kind = kind;
	t->func_index = f ? f->index : UINT32_MAX;
	t->func_name[0] = 0;
	if (f && f->inst && f->inst->mod->func_names && f->inst->mod->func_names[f->index])
		snprintf(t->func_name, sizeof(t->func_name), "%s",
		         f->inst->mod->func_names[f->index]);
	if (f)
		snprintf(t->message, sizeof(t->message), "%s in function %u%s%s%s",
		         wasm_trap_kind_name(kind), t->func_index, t->func_name[0] ? " (" : "",
		         t->func_name, t->func_name[0] ? ")" : "");
	else
		snprintf(t->message, sizeof(t->message), "%s", wasm_trap_kind_name(kind));
	bl_err(WASM_ETRAP, "trap: %s", t->message);
	return WASM_ETRAP;
}

const struct wasm_trap *wasm_store_last_trap(const wasm_store_t *s)
{
	return &s->trap;
}

/* ---- signals ---- */

struct call_ctx {
	sigjmp_buf jb;
	struct wasm_store *store;
	struct call_ctx *prev;
};

static __thread struct call_ctx *tls_ctx;
#ifndef WASM_BOUNDS_CHECKS
/*
 * Guard-page mode only. With explicit bounds checks no guest access can
 * fault, so no handler is installed: a fault is always a host or engine bug
 * and must not be reported as a guest trap (the calloc'ed memory's "8 GiB
 * range" would otherwise cover most of the heap).
 */
static __thread int tls_altstack_done;
static __thread char tls_altstack[64 * 1024] __attribute__((aligned(16)));
static struct sigaction prev_segv, prev_bus;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	struct call_ctx *ctx = tls_ctx;
	/* si_code <= 0: sent by kill/sigqueue, si_addr is not a fault address. */
	if (ctx && si->si_code > 0 && ctx->store->cur && ctx->store->cur->inst &&
	    ctx->store->cur->inst->mem) {
		uint8_t *base = ctx->store->cur->inst->mem->base;
		uint8_t *a = si->si_addr;
		if (a >= base && a < base + WASM_RESERVE)
			siglongjmp(ctx->jb, 1);
	}
	/*
	 * Not a guest access: the previous handler's. Call it and stay installed
	 * (putting it back for good would leave later guest faults to it); for
	 * the default action, put that back and the fault repeats into it.
	 */
	const struct sigaction *prev = sig == SIGSEGV ? &prev_segv : &prev_bus;
	if ((prev->sa_flags & SA_SIGINFO) && prev->sa_sigaction) {
		prev->sa_sigaction(sig, si, uc);
		return;
	}
	if (!(prev->sa_flags & SA_SIGINFO) && prev->sa_handler != SIG_DFL &&
	    prev->sa_handler != SIG_IGN) {
		prev->sa_handler(sig);
		return;
	}
	sigaction(sig, prev, NULL);
}

/*
 * Installed whenever a store is created, so a handler someone installed since
 * (a test framework, a sanitizer) does not hide guest faults; theirs is kept
 * and gets every fault that is not a guest access.
 */
static void install_handler(int sig, struct sigaction *prev)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, &old) == 0 && old.sa_sigaction != fault_handler)
		*prev = old;
}

static void install_handlers(void)
{
	install_handler(SIGSEGV, &prev_segv);
	install_handler(SIGBUS, &prev_bus);
}
#endif

/*
 * Host stack. Wasm-to-Wasm calls never grow the host stack (the interpreter
 * keeps its own frames), but a host function that calls back into Wasm does:
 * each such level costs a wasm_call, an interpreter and the host function's
 * own frames. A module could recurse through such a host function until the
 * host stack overflows, so a nested call is refused (call stack exhausted)
 * when less than this margin of the thread's stack is left. The outermost
 * call is the embedder's: a thread with a small stack may still make it.
 */
#define HOST_STACK_MARGIN (128u * 1024)
static __thread uintptr_t tls_stack_lo, tls_stack_hi; /* this thread's stack; 0 unknown */
static __thread int tls_stack_done;
static __thread uint32_t tls_calls; /* wasm_calls in progress on this thread */

static bool host_stack_low(void)
{
	if (!tls_stack_done) {
		pthread_attr_t a;
		void *addr = NULL;
		size_t size = 0;
		tls_stack_done = 1;
		if (pthread_getattr_np(pthread_self(), &a) == 0) {
			if (pthread_attr_getstack(&a, &addr, &size) == 0) {
				tls_stack_lo = (uintptr_t)addr;
				tls_stack_hi = (uintptr_t)addr + size;
			}
			pthread_attr_destroy(&a);
		}
	}
	/* Running on another stack (a coroutine's): its size is unknown, rely on the depth. */
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	return sp >= tls_stack_lo && sp < tls_stack_hi && sp - tls_stack_lo < HOST_STACK_MARGIN;
}

#ifndef WASM_BOUNDS_CHECKS
static void thread_signal_setup(void)
{
	if (!tls_altstack_done) {
		stack_t ss, old;
		if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE)) {
			tls_altstack_done = 1; /* the thread already has one */
			return;
		}
		ss.ss_sp = tls_altstack;
		ss.ss_size = sizeof(tls_altstack);
		ss.ss_flags = 0;
		if (sigaltstack(&ss, NULL) == 0)
			tls_altstack_done = 1;
	}
}
#endif

/* ---- memories ---- */

static struct wasm_memory *memory_alloc(struct wasm_store *s, uint32_t min, uint32_t max,
                                        bool has_max)
{
	uint32_t lim = s->cfg.max_memory_pages;
	if (min > lim) {
		bl_err(BL_ENOMEM, "memory of %u pages exceeds the limit of %u", min, lim);
		return NULL;
	}
	struct wasm_memory *m = calloc(1, sizeof(*m));
	if (!m) {
		bl_err(BL_ENOMEM, "out of memory");
		return NULL;
	}
	m->max_pages = has_max && max < lim ? max : lim;
	m->has_max = has_max;
	m->decl_max = max;
#ifdef WASM_BOUNDS_CHECKS
	m->base = calloc((size_t)min * WASM_PAGE + 1, 1);
	if (!m->base)
		goto out_free_mem;
#else
	void *p =
	    mmap(NULL, WASM_RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		goto out_free_mem;
	m->base = p;
	if (min && mprotect(p, (size_t)min * WASM_PAGE, PROT_READ | PROT_WRITE) != 0) {
		munmap(p, WASM_RESERVE);
		goto out_free_mem;
	}
#endif
	m->pages = min;
	m->size = (uint64_t)min * WASM_PAGE;
	m->next_owned = s->mems;
	s->mems = m;
	return m;

out_free_mem:
	free(m);
	bl_err(BL_ENOMEM, "cannot reserve memory for %u pages", min);
	return NULL;
}

int64_t wasm_mem_grow(struct wasm_memory *m, uint32_t delta)
{
	uint32_t old = m->pages;
	if (delta == 0)
		return old;
	if ((uint64_t)old + delta > m->max_pages)
		return -1;
	uint64_t nsize = ((uint64_t)old + delta) * WASM_PAGE;
#ifdef WASM_BOUNDS_CHECKS
	uint8_t *p = realloc(m->base, nsize + 1);
	if (!p)
		return -1;
	memset(p + m->size, 0, nsize - m->size);
	m->base = p;
#else
	if (mprotect(m->base + m->size, nsize - m->size, PROT_READ | PROT_WRITE) != 0)
		return -1;
#endif
	m->pages = old + delta;
	m->size = nsize;
	return old;
}

static void memory_free(struct wasm_memory *m)
{
#ifdef WASM_BOUNDS_CHECKS
	free(m->base);
#else
	munmap(m->base, WASM_RESERVE);
#endif
	free(m);
}

/* ---- tables ---- */

static struct wasm_table *table_alloc(struct wasm_store *s, uint8_t elem, uint32_t min,
                                      uint32_t max, bool has_max)
{
	uint32_t lim = s->cfg.max_table_elems;
	if (min > lim) {
		bl_err(BL_ENOMEM, "table of %u elements exceeds the limit of %u", min, lim);
		return NULL;
	}
	struct wasm_table *t = calloc(1, sizeof(*t));
	if (!t || !(t->elems = calloc(min ? min : 1, sizeof(void *)))) {
		free(t);
		bl_err(BL_ENOMEM, "out of memory");
		return NULL;
	}
	t->elem = elem;
	t->size = min;
	t->max = has_max && max < lim ? max : lim;
	t->has_max = has_max;
	t->decl_max = max;
	t->next_owned = s->tables;
	s->tables = t;
	return t;
}

int64_t wasm_table_grow_(struct wasm_table *t, uint32_t delta, void *init)
{
	uint32_t old = t->size;
	if ((uint64_t)old + delta > t->max)
		return -1;
	if (delta == 0)
		return old;
	void **p = realloc(t->elems, ((size_t)old + delta) * sizeof(void *));
	if (!p)
		return -1;
	for (uint32_t i = 0; i < delta; i++)
		p[old + i] = init;
	t->elems = p;
	t->size = old + delta;
	return old;
}

/* ---- stores ---- */

wasm_store_t *wasm_store_new(const struct wasm_config *cfg)
{
	struct wasm_store *s = calloc(1, sizeof(*s));
	if (!s) {
		bl_err(BL_ENOMEM, "out of memory");
		return NULL;
	}
	if (cfg)
		s->cfg = *cfg;
	if (!s->cfg.max_memory_pages || s->cfg.max_memory_pages > WASM_MAX_PAGES)
		s->cfg.max_memory_pages = WASM_MAX_PAGES;
	if (!s->cfg.max_table_elems)
		s->cfg.max_table_elems = 10000000;
	if (!s->cfg.max_call_depth)
		s->cfg.max_call_depth = 20000;
	if (!s->cfg.max_stack_slots)
		s->cfg.max_stack_slots = 4u << 20;
	if (s->cfg.max_stack_slots < WASM_MAX_FRAME_SLOTS)
		s->cfg.max_stack_slots = WASM_MAX_FRAME_SLOTS;
	if (s->cfg.budget) {
		s->budget = s->cfg.budget;
		s->budget_on = 1;
		s->stop = 1;
	}
	s->stack = calloc(s->cfg.max_stack_slots, sizeof(wasm_slot_t));
	s->frames = calloc(s->cfg.max_call_depth, sizeof(struct wasm_frame));
	if (!s->stack || !s->frames) {
		free(s->stack);
		free(s->frames);
		free(s);
		bl_err(BL_ENOMEM, "out of memory");
		return NULL;
	}
	s->sp_top = s->stack;
#ifndef WASM_BOUNDS_CHECKS
	install_handlers();
#endif
	return s;
}

static void timer_unlist(struct wasm_store *s);

static void instance_free(struct wasm_instance *inst)
{
	if (inst->elem_refs)
		for (uint32_t i = 0; i < inst->mod->nelems; i++)
			free(inst->elem_refs[i]);
	free(inst->elem_refs);
	free(inst->elem_len);
	free(inst->data_len);
	free(inst->funcs);
	free(inst->tables);
	free(inst->globals);
	free(inst->own_funcs);
	free(inst);
}

void wasm_store_delete(wasm_store_t *s)
{
	if (!s)
		return;
	for (struct wasm_instance *i = s->instances, *n; i; i = n) {
		n = i->next_owned;
		instance_free(i);
	}
	for (struct wasm_func *f = s->funcs, *n; f; f = n) {
		n = f->next_owned;
		free(f->host_type.types);
		free(f);
	}
	for (struct wasm_table *t = s->tables, *n; t; t = n) {
		n = t->next_owned;
		free(t->elems);
		free(t);
	}
	for (struct wasm_memory *m = s->mems, *n; m; m = n) {
		n = m->next_owned;
		memory_free(m);
	}
	for (struct wasm_global *g = s->globals, *n; g; g = n) {
		n = g->next_owned;
		free(g);
	}
	if (s->timer_armed) {
		/*
		 * The timer's callback runs on a thread of its own and may already be
		 * on its way when we disarm, so it never holds the store: it looks the
		 * store up by id under timer_lock. Once unlisted, no callback reaches it.
		 */
		timer_unlist(s);
		struct itimerspec off;
		memset(&off, 0, sizeof(off));
		timer_settime(s->timer, 0, &off, NULL);
		timer_delete(s->timer);
	}
	free(s->stack);
	free(s->frames);
	free(s);
}

void wasm_store_interrupt(wasm_store_t *s)
{
	__atomic_store_n(&s->interrupt, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
}

void wasm_store_set_budget(wasm_store_t *s, uint64_t budget)
{
	s->budget = budget;
	s->budget_on = budget != 0;
	__atomic_store_n(&s->stop, s->budget_on, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&s->expired, __ATOMIC_SEQ_CST) ||
	    __atomic_load_n(&s->interrupt, __ATOMIC_SEQ_CST))
		__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
}

/*
 * Deadlines. A SIGEV_THREAD timer calls deadline_fired on a new thread, which
 * can still be running (or about to run) after wasm_store_delete disarmed and
 * deleted the timer; so the callback gets an id, not the store, and finds the
 * store in a list under timer_lock. It also re-checks the clock against the
 * deadline armed now, so a late callback of an earlier or disarmed deadline
 * does nothing. The flags are written with sequentially consistent atomics
 * (see wasm_call) so a deadline firing while a call starts is not lost.
 */
static pthread_mutex_t timer_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wasm_store *timer_stores;
static uint64_t timer_next_id;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void timer_unlist(struct wasm_store *s)
{
	pthread_mutex_lock(&timer_lock);
	for (struct wasm_store **p = &timer_stores; *p; p = &(*p)->timer_next) {
		if (*p == s) {
			*p = s->timer_next;
			break;
		}
	}
	pthread_mutex_unlock(&timer_lock);
}

static void deadline_fired(union sigval v)
{
	uint64_t id = (uint64_t)(uintptr_t)v.sival_ptr;
	pthread_mutex_lock(&timer_lock);
	for (struct wasm_store *s = timer_stores; s; s = s->timer_next) {
		if (s->timer_id != id)
			continue;
		if (s->deadline_ns && now_ns() >= s->deadline_ns) {
			__atomic_store_n(&s->expired, 1, __ATOMIC_SEQ_CST);
			__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
		}
		break;
	}
	pthread_mutex_unlock(&timer_lock);
}

int wasm_store_set_deadline(wasm_store_t *s, uint64_t ms)
{
	if (!s->timer_armed) {
		struct sigevent ev;
		memset(&ev, 0, sizeof(ev));
		ev.sigev_notify = SIGEV_THREAD;
		ev.sigev_notify_function = deadline_fired;
		pthread_mutex_lock(&timer_lock);
		s->timer_id = ++timer_next_id;
		pthread_mutex_unlock(&timer_lock);
		ev.sigev_value.sival_ptr = (void *)(uintptr_t)s->timer_id;
		if (timer_create(CLOCK_MONOTONIC, &ev, &s->timer) != 0)
			return bl_err(BL_EIO, "timer_create failed");
		s->timer_armed = true;
		pthread_mutex_lock(&timer_lock);
		s->timer_next = timer_stores;
		timer_stores = s;
		pthread_mutex_unlock(&timer_lock);
	}
	/* Reset the flags before arming, so a short deadline cannot fire first and be erased. */
	pthread_mutex_lock(&timer_lock);
	s->deadline_ns = ms ? now_ns() + ms * 1000000u : 0;
	__atomic_store_n(&s->expired, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->stop, s->budget_on || s->interrupt, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&timer_lock);
	struct itimerspec its;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(ms / 1000);
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	if (timer_settime(s->timer, 0, &its, NULL) != 0)
		return bl_err(BL_EIO, "timer_settime failed");
	return 0;
}

/* ---- host objects ---- */

wasm_func_t *wasm_func_new_host(wasm_store_t *s, const enum wasm_valtype *params, uint32_t nparams,
                                const enum wasm_valtype *results, uint32_t nresults,
                                wasm_host_fn fn, void *env)
{
	if (nparams > WASM_MAX_PARAMS || nresults > WASM_MAX_PARAMS || !fn) {
		bl_err(BL_EINVAL, "host function: bad signature");
		return NULL;
	}
	struct wasm_func *f = calloc(1, sizeof(*f));
	uint8_t *types = malloc((size_t)nparams + nresults + 1);
	if (!f || !types) {
		free(f);
		free(types);
		bl_err(BL_ENOMEM, "out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i < nparams; i++)
		types[i] = (uint8_t)params[i];
	for (uint32_t i = 0; i < nresults; i++)
		types[nparams + i] = (uint8_t)results[i];
	f->host_type.nparams = nparams;
	f->host_type.nresults = nresults;
	f->host_type.types = types;
	if (wasm_type_canon(types, nparams, nresults, &f->host_type.canon) < 0) {
		free(types);
		free(f);
		return NULL;
	}
	f->type = &f->host_type;
	f->host = fn;
	f->env = env;
	f->index = UINT32_MAX;
	f->next_owned = s->funcs;
	s->funcs = f;
	return f;
}

wasm_memory_t *wasm_memory_new(wasm_store_t *s, uint32_t min_pages, uint32_t max_pages, int has_max)
{
	return memory_alloc(s, min_pages, max_pages, has_max);
}

wasm_table_t *wasm_table_new(wasm_store_t *s, enum wasm_valtype elem, uint32_t min, uint32_t max,
                             int has_max)
{
	return table_alloc(s, (uint8_t)elem, min, max, has_max);
}

static struct wasm_global *global_alloc(struct wasm_store *s, uint8_t type, bool mut)
{
	struct wasm_global *g = calloc(1, sizeof(*g));
	if (!g) {
		bl_err(BL_ENOMEM, "out of memory");
		return NULL;
	}
	g->type = type;
	g->mut = mut;
	g->next_owned = s->globals;
	s->globals = g;
	return g;
}

wasm_global_t *wasm_global_new(wasm_store_t *s, enum wasm_valtype type, int mutable_,
                               wasm_val_t init)
{
	struct wasm_global *g = global_alloc(s, (uint8_t)type, mutable_ != 0);
	if (g)
		g->val.i64 = init.i64;
	return g;
}

/* ---- host calls ---- */

int wasm_call_host(struct wasm_store *s, struct wasm_func *f, struct wasm_instance *caller,
                   wasm_slot_t *args)
{
	uint32_t np = f->type->nparams, nr = f->type->nresults;
	uint32_t n = np > nr ? np : nr;
	wasm_val_t local[16];
	wasm_val_t *v = n <= 16 ? local : calloc(n, sizeof(*v));
	if (!v)
		return wasm_trap_set(s, WASM_TRAP_HOST, f);
	memset(v, 0, (n <= 16 ? 16 : n) * sizeof(*v));
	for (uint32_t i = 0; i < np; i++)
		v[i].i64 = args[i].i64;
	struct wasm_caller c = { s, caller };
	/*
	 * Host code is not guest code: while it runs, a fault (even one inside a
	 * guest memory's reservation) is the host's and must not become a trap.
	 * A wasm_call it makes installs its own context.
	 */
	struct call_ctx *guest_ctx = tls_ctx;
	tls_ctx = NULL;
	int rc = f->host(&c, f->env, v);
	tls_ctx = guest_ctx;
	if (rc == 0)
		for (uint32_t i = 0; i < nr; i++)
			args[i].i64 = v[i].i64;
	if (v != local)
		free(v);
	if (rc == WASM_ETRAP)
		return rc; /* a nested call trapped: keep its report */
	if (rc < 0) {
		char why[128];
		snprintf(why, sizeof(why), "%s", bl_errmsg());
		wasm_trap_set(s, WASM_TRAP_HOST, f);
		snprintf(s->trap.message, sizeof(s->trap.message), "host function failed: %s", why);
		return bl_err(WASM_ETRAP, "trap: %s", s->trap.message);
	}
	return 0;
}

/* ---- calls ---- */

int wasm_call(wasm_store_t *s, wasm_func_t *f, const wasm_val_t *args, uint32_t nargs,
              wasm_val_t *results, uint32_t nresults)
{
	if (nargs != f->type->nparams || nresults != f->type->nresults)
		return bl_err(BL_EINVAL, "call: expected %u arguments and %u results",
		              f->type->nparams, f->type->nresults);
	/* Nested calls (host functions calling back) count against the call depth and host stack. */
	if (s->depth >= s->cfg.max_call_depth || (tls_calls && host_stack_low()))
		return wasm_trap_set(s, WASM_TRAP_STACK_EXHAUSTED, f);
	wasm_slot_t *base = s->sp_top;
	uint32_t need = nargs > nresults ? nargs : nresults;
	if (base + need + 1 > s->stack + s->cfg.max_stack_slots)
		return wasm_trap_set(s, WASM_TRAP_STACK_EXHAUSTED, f);
	for (uint32_t i = 0; i < nargs; i++)
		base[i].i64 = args[i].i64;
	if (s->sp_top == s->stack) { /* a new outermost call; nested calls keep a pending request */
		s->interrupt = 0;
		/*
		 * Store, then load expired (both seq_cst; deadline_fired does the
		 * reverse): a deadline firing in between cannot be overwritten.
		 */
		__atomic_store_n(&s->stop, s->budget_on, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&s->expired, __ATOMIC_SEQ_CST))
			__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
	}
#ifndef WASM_BOUNDS_CHECKS
	thread_signal_setup();
#endif
	struct call_ctx ctx;
	ctx.store = s;
	ctx.prev = tls_ctx;
	wasm_slot_t *saved_top = s->sp_top;
	uint32_t saved_depth = s->depth;
	struct wasm_func *saved_cur = s->cur;
	volatile int rc = 0;
	tls_calls++;
	if (sigsetjmp(ctx.jb, 1) == 0) {
		tls_ctx = &ctx;
		if (f->host)
			rc = wasm_call_host(s, f, NULL, base);
		else
			rc = wasm_interp_call(s, f, base);
	} else {
		rc = wasm_trap_set(s, WASM_TRAP_MEMORY_OOB, s->cur);
	}
	tls_ctx = ctx.prev;
	tls_calls--;
	s->sp_top = saved_top;
	s->depth = saved_depth;
	s->cur = saved_cur;
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < nresults; i++) {
		memset(&results[i], 0, sizeof(results[i]));
		results[i].i64 = base[i].i64;
	}
	return 0;
}

/* ---- instantiation ---- */

static int import_fail(const struct wasm_import *im, const char *why)
{
	return bl_err(BL_ENOENT, "import %s.%s: %s", im->module, im->name, why);
}

static bool limits_match(uint64_t amin, uint64_t amax, bool ahas, const struct wasm_limits *want)
{
	if (amin < want->min)
		return false;
	if (want->has_max) {
		if (!ahas)
			return false;
		if (amax > want->max)
			return false;
	}
	return true;
}

static int functype_eq(const struct wasm_functype *a, const struct wasm_functype *b)
{
	return a->canon == b->canon;
}

static int link_import(struct wasm_instance *inst, const struct wasm_import *im,
                       const struct wasm_extern *e)
{
	const struct wasm_module *m = inst->mod;
	if (e->kind != im->kind)
		return import_fail(im, "incompatible import type");
	switch (im->kind) {
	case WASM_EXTERN_FUNC:
		if (!e->u.func || !functype_eq(e->u.func->type, &m->types[im->d.type]))
			return import_fail(im, "incompatible import type");
		inst->funcs[im->index] = e->u.func;
		return 0;
	case WASM_EXTERN_TABLE: {
		struct wasm_table *t = e->u.table;
		if (!t || t->elem != im->d.table.elem ||
		    !limits_match(t->size, t->decl_max, t->has_max, &im->d.table.lim))
			return import_fail(im, "incompatible import type");
		inst->tables[im->index] = t;
		return 0;
	}
	case WASM_EXTERN_MEMORY: {
		struct wasm_memory *mm = e->u.memory;
		/* The declared type (spec 4.5.2), as for tables; the store's clamp only bounds growth. */
		if (!mm || !limits_match(mm->pages, mm->decl_max, mm->has_max, &im->d.mem))
			return import_fail(im, "incompatible import type");
		inst->mem = mm;
		return 0;
	}
	case WASM_EXTERN_GLOBAL: {
		struct wasm_global *g = e->u.global;
		if (!g || g->type != im->d.global.type || g->mut != im->d.global.mut)
			return import_fail(im, "incompatible import type");
		inst->globals[im->index] = g;
		return 0;
	}
	}
	return import_fail(im, "unknown import kind");
}

static uint64_t cexpr_eval(struct wasm_instance *inst, const struct wasm_cexpr *e)
{
	switch (e->kind) {
	case WASM_CEXPR_CONST: return e->v;
	case WASM_CEXPR_GLOBAL: return inst->globals[e->v]->val.i64;
	case WASM_CEXPR_FUNC: return (uint64_t)(uintptr_t)inst->funcs[e->v];
	default: return 0;
	}
}

static int instance_alloc(struct wasm_store *s, const struct wasm_module *m,
                          struct wasm_instance **out)
{
	struct wasm_instance *inst = calloc(1, sizeof(*inst));
	if (!inst)
		return bl_err(BL_ENOMEM, "out of memory");
	inst->mod = m;
	inst->store = s;
	uint32_t ndef = m->nfuncs - m->nfunc_imports;
	inst->funcs = calloc(m->nfuncs + 1, sizeof(*inst->funcs));
	inst->tables = calloc(m->ntables + 1, sizeof(*inst->tables));
	inst->globals = calloc(m->nglobals + 1, sizeof(*inst->globals));
	inst->own_funcs = calloc(ndef + 1, sizeof(*inst->own_funcs));
	inst->elem_refs = calloc(m->nelems + 1, sizeof(*inst->elem_refs));
	inst->elem_len = calloc(m->nelems + 1, sizeof(*inst->elem_len));
	inst->data_len = calloc(m->ndatas + 1, sizeof(*inst->data_len));
	if (!inst->funcs || !inst->tables || !inst->globals || !inst->own_funcs ||
	    !inst->elem_refs || !inst->elem_len || !inst->data_len) {
		instance_free(inst);
		return bl_err(BL_ENOMEM, "out of memory");
	}
	*out = inst;
	return 0;
}

int wasm_instantiate(wasm_store_t *s, const wasm_module_t *m, wasm_resolver_fn resolve, void *ud,
                     wasm_instance_t **out)
{
	struct wasm_instance *inst = NULL;
	int rc;
	BL_TRY(instance_alloc(s, m, &inst));
	/* Imports. */
	for (uint32_t i = 0; i < m->nimports; i++) {
		const struct wasm_import *im = &m->imports[i];
		struct wasm_extern e;
		memset(&e, 0, sizeof(e));
		if (!resolve || resolve(ud, im->module, im->name, im->kind, &e) < 0) {
			rc = import_fail(im, "unknown import");
			goto out_free_inst;
		}
		BL_TRY_GOTO(rc, link_import(inst, im, &e), out_free_inst);
	}
	/* Functions. */
	for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
		struct wasm_func *f = &inst->own_funcs[i - m->nfunc_imports];
		f->type = &m->types[m->func_types[i]];
		f->inst = inst;
		f->code = &m->codes[i - m->nfunc_imports];
		f->index = i;
		inst->funcs[i] = f;
	}
	/* Tables and memory. */
	for (uint32_t i = m->ntable_imports; i < m->ntables; i++) {
		const struct wasm_tabletype *tt = &m->tables[i];
		inst->tables[i] = table_alloc(s, tt->elem, (uint32_t)tt->lim.min,
		                              (uint32_t)tt->lim.max, tt->lim.has_max);
		if (!inst->tables[i]) {
			rc = BL_ENOMEM;
			goto out_free_inst;
		}
	}
	if (m->nmems > m->nmem_imports) {
		inst->mem = memory_alloc(s, (uint32_t)m->mems[0].min, (uint32_t)m->mems[0].max,
		                         m->mems[0].has_max);
		if (!inst->mem) {
			rc = BL_ENOMEM;
			goto out_free_inst;
		}
	}
	/* Globals. */
	for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
		struct wasm_global *g =
		    global_alloc(s, m->globals[i].type.type, m->globals[i].type.mut);
		if (!g) {
			rc = BL_ENOMEM;
			goto out_free_inst;
		}
		g->val.i64 = cexpr_eval(inst, &m->globals[i].init);
		inst->globals[i] = g;
	}
	/* Element segments: evaluate every item (spec 4.5.3.9). */
	for (uint32_t i = 0; i < m->nelems; i++) {
		const struct wasm_elem *e = &m->elems[i];
		inst->elem_refs[i] = calloc(e->count + 1, sizeof(void *));
		if (!inst->elem_refs[i]) {
			rc = bl_err(BL_ENOMEM, "out of memory");
			goto out_free_inst;
		}
		for (uint32_t k = 0; k < e->count; k++)
			inst->elem_refs[i][k] = (void *)(uintptr_t)cexpr_eval(inst, &e->items[k]);
		inst->elem_len[i] = e->mode == WASM_SEG_PASSIVE ? e->count : 0;
	}
	for (uint32_t i = 0; i < m->ndatas; i++)
		inst->data_len[i] = m->datas[i].mode == WASM_SEG_PASSIVE ? m->datas[i].len : 0;
	inst->next_owned = s->instances;
	s->instances = inst;
	/* Initialise (spec 4.5.4 steps 13-15): in order, trapping at the first failure. */
	for (uint32_t i = 0; i < m->nelems; i++) {
		const struct wasm_elem *e = &m->elems[i];
		if (e->mode != WASM_SEG_ACTIVE)
			continue;
		struct wasm_table *t = inst->tables[e->table];
		uint64_t off = (uint32_t)cexpr_eval(inst, &e->offset);
		if (off + e->count > t->size)
			return wasm_trap_set(s, WASM_TRAP_TABLE_OOB, NULL);
		memcpy(t->elems + off, inst->elem_refs[i], e->count * sizeof(void *));
	}
	for (uint32_t i = 0; i < m->ndatas; i++) {
		const struct wasm_data *d = &m->datas[i];
		if (d->mode != WASM_SEG_ACTIVE)
			continue;
		uint64_t off = (uint32_t)cexpr_eval(inst, &d->offset);
		if (off + d->len > inst->mem->size)
			return wasm_trap_set(s, WASM_TRAP_MEMORY_OOB, NULL);
		if (d->len)
			memcpy(inst->mem->base + off, d->bytes, d->len);
	}
	if (m->has_start) {
		rc = wasm_call(s, inst->funcs[m->start], NULL, 0, NULL, 0);
		if (rc < 0)
			return rc;
	}
	*out = inst;
	return 0;

out_free_inst:
	instance_free(inst);
	return rc;
}

int wasm_instance_export(wasm_instance_t *inst, const char *name, struct wasm_extern *out)
{
	return wasm_instance_export_n(inst, name, strlen(name), out);
}

int wasm_instance_export_n(wasm_instance_t *inst, const char *name, size_t len,
                           struct wasm_extern *out)
{
	const struct wasm_module *m = inst->mod;
	for (uint32_t i = 0; i < m->nexports; i++) {
		const struct wasm_export *e = &m->exports[i];
		if (e->name_len != len || memcmp(e->name, name, len) != 0)
			continue;
		out->kind = e->kind;
		switch (e->kind) {
		case WASM_EXTERN_FUNC: out->u.func = inst->funcs[e->index]; break;
		case WASM_EXTERN_TABLE: out->u.table = inst->tables[e->index]; break;
		case WASM_EXTERN_MEMORY: out->u.memory = inst->mem; break;
		case WASM_EXTERN_GLOBAL: out->u.global = inst->globals[e->index]; break;
		}
		return 0;
	}
	return bl_err(BL_ENOENT, "no export named \"%.*s\"", (int)len, name);
}

/* ---- modules ---- */

wasm_module_t *wasm_module_load(const uint8_t *bytes, size_t len)
{
	const char *noopt = getenv("BAILEY_WASM_NOOPT");
	return wasm_module_load_ex(bytes, len, !(noopt && *noopt));
}

wasm_module_t *wasm_module_load_ex(const uint8_t *bytes, size_t len, bool optimize)
{
	struct wasm_module *m = wasm_decode(bytes, len, optimize);
	if (!m)
		return NULL;
	const char *dump = getenv("BAILEY_WASM_DUMP");
	for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++) {
		if (dump && *dump)
			wasm_ir_dump(&m->codes[i], m->nfunc_imports + i, stderr);
		wasm_ir_thread(&m->codes[i]);
	}
	return m;
}

void wasm_module_free(wasm_module_t *m)
{
	wasm_module_destroy(m);
}

uint32_t wasm_module_import_count(const wasm_module_t *m)
{
	return m->nimports;
}

uint32_t wasm_module_export_count(const wasm_module_t *m)
{
	return m->nexports;
}

int wasm_module_import(const wasm_module_t *m, uint32_t i, const char **module, const char **name,
                       enum wasm_extern_kind *kind)
{
	if (i >= m->nimports)
		return bl_err(BL_ERANGE, "import %u out of range", i);
	*module = m->imports[i].module;
	*name = m->imports[i].name;
	*kind = m->imports[i].kind;
	return 0;
}

int wasm_module_export(const wasm_module_t *m, uint32_t i, const char **name,
                       enum wasm_extern_kind *kind)
{
	if (i >= m->nexports)
		return bl_err(BL_ERANGE, "export %u out of range", i);
	*name = m->exports[i].name;
	*kind = m->exports[i].kind;
	return 0;
}

/* ---- accessors ---- */

uint32_t wasm_func_param_count(const wasm_func_t *f)
{
	return f->type->nparams;
}
uint32_t wasm_func_result_count(const wasm_func_t *f)
{
	return f->type->nresults;
}
enum wasm_valtype wasm_func_param_type(const wasm_func_t *f, uint32_t i)
{
	return (enum wasm_valtype)f->type->types[i];
}
enum wasm_valtype wasm_func_result_type(const wasm_func_t *f, uint32_t i)
{
	return (enum wasm_valtype)f->type->types[f->type->nparams + i];
}

uint64_t wasm_memory_size(const wasm_memory_t *m)
{
	return m->size;
}
uint8_t *wasm_memory_data(wasm_memory_t *m)
{
	return m->base;
}
int wasm_memory_read(const wasm_memory_t *m, uint64_t off, void *dst, size_t n)
{
	if (off > m->size || n > m->size - off)
		return bl_err(BL_ERANGE, "memory read [%llu, +%zu) out of bounds",
		              (unsigned long long)off, n);
	memcpy(dst, m->base + off, n);
	return 0;
}
int wasm_memory_write(wasm_memory_t *m, uint64_t off, const void *src, size_t n)
{
	if (off > m->size || n > m->size - off)
		return bl_err(BL_ERANGE, "memory write [%llu, +%zu) out of bounds",
		              (unsigned long long)off, n);
	memcpy(m->base + off, src, n);
	return 0;
}
int64_t wasm_memory_grow(wasm_memory_t *m, uint32_t delta)
{
	int64_t r = wasm_mem_grow(m, delta);
	if (r < 0)
		return bl_err(BL_ENOMEM, "memory.grow by %u pages refused", delta);
	return r;
}

uint32_t wasm_table_size(const wasm_table_t *t)
{
	return t->size;
}
int wasm_table_get(const wasm_table_t *t, uint32_t i, void **ref)
{
	if (i >= t->size)
		return bl_err(BL_ERANGE, "table index %u out of bounds", i);
	*ref = t->elems[i];
	return 0;
}

enum wasm_valtype wasm_global_type(const wasm_global_t *g)
{
	return (enum wasm_valtype)g->type;
}
wasm_val_t wasm_global_get(const wasm_global_t *g)
{
	wasm_val_t v;
	memset(&v, 0, sizeof(v));
	v.i64 = g->val.i64;
	return v;
}
int wasm_global_set(wasm_global_t *g, wasm_val_t v)
{
	if (!g->mut)
		return bl_err(BL_EPERM, "global is immutable");
	g->val.i64 = v.i64;
	return 0;
}
