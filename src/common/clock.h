/*
 * clock.h — monotonic and wall-clock milliseconds, and a sleep.
 */
#ifndef CK_CLOCK_H
#define CK_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Milliseconds on a monotonic clock: for timeouts and batch ages. */
static inline int64_t ck_clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds since the Unix epoch: to compare with Kafka timestamps. */
static inline int64_t ck_clock_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms milliseconds (a signal may cut it short). */
static inline void ck_clock_sleep_ms(int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

#endif
