/*
 * metrics.h — Steward's Prometheus metrics (text exposition format 0.0.4).
 *
 *   steward_requests_total{outcome="...",kind="..."}  counter
 *   steward_certificates_issued_total{kind="..."}      counter
 *   steward_request_duration_seconds                   histogram
 *
 * outcome is one of ok, bad_request, forbidden, not_found, method_not_allowed,
 * too_large, unsupported_media_type, unavailable, internal; kind is none,
 * kvm, sgx, snp, tdx (none: the request never reached a CSR). Counters are
 * lock-free atomics, safe to update from every server thread.
 */
#ifndef BL_STEWARD_METRICS_H
#define BL_STEWARD_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "attest/attest.h"
#include "common/buf.h"
#include "common/err.h"

enum stw_outcome {
	STW_OK,
	STW_BAD_REQUEST,
	STW_FORBIDDEN,
	STW_NOT_FOUND,
	STW_METHOD_NOT_ALLOWED,
	STW_TOO_LARGE,
	STW_UNSUPPORTED_MEDIA,
	STW_UNAVAILABLE,
	STW_INTERNAL,
	STW_OUTCOME_COUNT
};

#define STW_KINDS (ATT_KIND_TDX + 1)
#define STW_LAT_BUCKETS 12

struct stw_metrics {
	atomic_uint_fast64_t requests[STW_OUTCOME_COUNT][STW_KINDS];
	atomic_uint_fast64_t issued[STW_KINDS];
	atomic_uint_fast64_t lat_bucket[STW_LAT_BUCKETS]; /* non-cumulative */
	atomic_uint_fast64_t lat_count;
	atomic_uint_fast64_t lat_sum_ns;
};

/* The outcome an HTTP status stands for. */
enum stw_outcome stw_outcome_of(unsigned status);

/* Record one request. */
void stw_metrics_observe(struct stw_metrics *m, unsigned status, enum att_kind kind,
                         uint64_t nanoseconds);

/* Append the exposition text. */
BL_MUST_CHECK int stw_metrics_render(struct stw_metrics *m, struct bl_buf *out);

#endif
