/* metrics.c — Prometheus text metrics; see metrics.h for the contract. */
#include "steward/metrics.h"

static const char *const outcome_names[STW_OUTCOME_COUNT] = {
	"ok",
	"bad_request",
	"forbidden",
	"not_found",
	"method_not_allowed",
	"too_large",
	"unsupported_media_type",
	"unavailable",
	"internal",
};
static const char *const kind_names[STW_KINDS] = { "none", "kvm", "sgx", "snp", "tdx" };
/* Upper bounds in seconds; the last bucket is +Inf. */
static const double bounds[STW_LAT_BUCKETS - 1] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	                                            0.05,   0.1,   0.25,   0.5,   1.0 };

enum stw_outcome stw_outcome_of(unsigned status)
{
	switch (status) {
	case 200: return STW_OK;
	case 400: return STW_BAD_REQUEST;
	case 403: return STW_FORBIDDEN;
	case 404: return STW_NOT_FOUND;
	case 405: return STW_METHOD_NOT_ALLOWED;
	case 413: return STW_TOO_LARGE;
	case 415: return STW_UNSUPPORTED_MEDIA;
	case 503: return STW_UNAVAILABLE;
	default: return STW_INTERNAL;
	}
}

void stw_metrics_observe(struct stw_metrics *m, unsigned status, enum att_kind kind, uint64_t ns)
{
	unsigned k = (unsigned)kind < STW_KINDS ? (unsigned)kind : 0;
	double s = (double)ns / 1e9;
	unsigned b = 0;

	atomic_fetch_add(&m->requests[stw_outcome_of(status)][k], 1);
	if (status == 200 && k != ATT_KIND_NONE)
		atomic_fetch_add(&m->issued[k], 1);
	while (b < STW_LAT_BUCKETS - 1 && s > bounds[b])
		b++;
	atomic_fetch_add(&m->lat_bucket[b], 1);
	atomic_fetch_add(&m->lat_count, 1);
	atomic_fetch_add(&m->lat_sum_ns, ns);
}

int stw_metrics_render(struct stw_metrics *m, struct bl_buf *out)
{
	uint64_t cum = 0;

	BL_TRY(bl_buf_puts(out, "# HELP steward_requests_total Requests answered, by outcome and "
	                        "evidence kind.\n# TYPE steward_requests_total counter\n"));
	for (int o = 0; o < STW_OUTCOME_COUNT; o++)
		for (int k = 0; k < STW_KINDS; k++)
			BL_TRY(bl_buf_printf(out,
			                     "steward_requests_total{outcome=\"%s\",kind=\"%s\"} "
			                     "%llu\n",
			                     outcome_names[o], kind_names[k],
			                     (unsigned long long)atomic_load(&m->requests[o][k])));
	BL_TRY(bl_buf_puts(out, "# HELP steward_certificates_issued_total Successful issuance "
	                        "requests, by evidence kind.\n"
	                        "# TYPE steward_certificates_issued_total counter\n"));
	for (int k = 0; k < STW_KINDS; k++)
		BL_TRY(bl_buf_printf(out, "steward_certificates_issued_total{kind=\"%s\"} %llu\n",
		                     kind_names[k],
		                     (unsigned long long)atomic_load(&m->issued[k])));
	BL_TRY(bl_buf_puts(out, "# HELP steward_request_duration_seconds Time to answer a "
	                        "request.\n# TYPE steward_request_duration_seconds histogram\n"));
	for (int b = 0; b < STW_LAT_BUCKETS; b++) {
		cum += atomic_load(&m->lat_bucket[b]);
		if (b < STW_LAT_BUCKETS - 1)
			BL_TRY(bl_buf_printf(out,
			                     "steward_request_duration_seconds_bucket{le=\"%g\"} "
			                     "%llu\n",
			                     bounds[b], (unsigned long long)cum));
		else
			BL_TRY(bl_buf_printf(out,
			                     "steward_request_duration_seconds_bucket{le=\"+Inf\"} "
			                     "%llu\n",
			                     (unsigned long long)cum));
	}
	BL_TRY(bl_buf_printf(out, "steward_request_duration_seconds_sum %.9f\n",
	                     (double)atomic_load(&m->lat_sum_ns) / 1e9));
	return bl_buf_printf(out, "steward_request_duration_seconds_count %llu\n",
	                     (unsigned long long)atomic_load(&m->lat_count));
}
