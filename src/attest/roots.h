/*
 * roots.h — the vendor certificates built into the verifier (roots.c): AMD
 * ARK and ASK/ASVK per product, and the Intel SGX Root CA, each one PEM
 * certificate. Public data; whether a chain ends at one of them is decided
 * by att_chain_verify (util.c).
 */
#ifndef BL_ATTEST_ROOTS_H
#define BL_ATTEST_ROOTS_H

extern const char att_root_milan_ark[], att_root_milan_ask[], att_root_milan_asvk[];
extern const char att_root_genoa_ark[], att_root_genoa_ask[], att_root_genoa_asvk[];
extern const char att_root_turin_ark[], att_root_turin_ask[], att_root_turin_asvk[];
extern const char att_root_intel_sgx[];

#endif
