/* t_clock_random.c — clocks, sleeping through poll_oneoff, and random bytes. */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
	struct timespec a, b, res;
	unsigned char r1[32], r2[32];
	long long ns;

	CHECK(clock_gettime(CLOCK_REALTIME, &a) == 0 && a.tv_sec > 1600000000,
	      "realtime clock is after 2020");
	CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0,
	      "monotonic resolution is sub-second");
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK(usleep(20000) == 0, "usleep 20 ms");
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
	CHECK(ns >= 20000000LL, "at least 20 ms passed");
	CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a) == 0, "process CPU clock");
	CHECK(getentropy(r1, sizeof(r1)) == 0 && getentropy(r2, sizeof(r2)) == 0 &&
	          memcmp(r1, r2, sizeof(r1)) != 0,
	      "two random draws differ");
	return failures;
}
