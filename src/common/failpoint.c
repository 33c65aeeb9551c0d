/*
 * failpoint.c — see failpoint.h. Hits come from the pipeline thread and the
 * insert workers, so the counters are atomic; the table is written once,
 * before any thread starts.
 */
#include "common/failpoint.h"

#ifdef CHUTE_FAILPOINTS

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define FAILPOINTS_MAX 16

struct failpoint {
	char name[64];
	unsigned long nth;   /* kill@N: 0 if unused */
	double percent;      /* kill%P */
	atomic_ulong hits;
};

static struct failpoint points[FAILPOINTS_MAX];
static size_t npoints;
static atomic_uint seed;

static int parse_entry(const char *entry, size_t len, struct ck_err *err)
{
	const char *eq = memchr(entry, '=', len);
	struct failpoint *fp;
	char action[64];
	char *end;

	if (!eq || eq == entry || (size_t)(eq - entry) >= sizeof(fp->name) ||
	    len - (size_t)(eq - entry) - 1 >= sizeof(action))
		return ck_err_set(err, CK_ERR_CONFIG,
				  "CHUTE_FAILPOINTS: expected name=kill@N or "
				  "name=kill%%P, got \"%.*s\"",
				  (int)len, entry);
	if (npoints == FAILPOINTS_MAX)
		return ck_err_set(err, CK_ERR_CONFIG,
				  "CHUTE_FAILPOINTS: more than %d points",
				  FAILPOINTS_MAX);
	fp = &points[npoints];
	snprintf(fp->name, sizeof(fp->name), "%.*s", (int)(eq - entry), entry);
	snprintf(action, sizeof(action), "%.*s",
		 (int)(len - (size_t)(eq - entry) - 1), eq + 1);
	if (strncmp(action, "kill@", 5) == 0) {
		fp->nth = strtoul(action + 5, &end, 10);
		if (*end || fp->nth == 0)
			goto bad;
	} else if (strncmp(action, "kill%", 5) == 0) {
		fp->percent = strtod(action + 5, &end);
		if (*end || !(fp->percent > 0 && fp->percent <= 100))
			goto bad;
	} else {
		goto bad;
	}
	atomic_init(&fp->hits, 0);
	npoints++;
	return CK_OK;
bad:
	return ck_err_set(err, CK_ERR_CONFIG,
			  "CHUTE_FAILPOINTS: %s: expected kill@N (N >= 1) or "
			  "kill%%P (0 < P <= 100), got \"%s\"",
			  fp->name, action);
}

int ck_failpoint_init(struct ck_err *err)
{
	const char *spec = getenv("CHUTE_FAILPOINTS");

	atomic_init(&seed, (unsigned)time(NULL) ^ (unsigned)getpid());
	while (spec && *spec) {
		size_t len = strcspn(spec, ",");
		int rc = len ? parse_entry(spec, len, err) : CK_OK;
		if (rc)
			return rc;
		spec += len + (spec[len] == ',');
	}
	for (size_t i = 0; i < npoints; i++)
		ck_log_info("failpoint %s armed", points[i].name);
	return CK_OK;
}

void ck_failpoint_hit(const char *name)
{
	for (size_t i = 0; i < npoints; i++) {
		struct failpoint *fp = &points[i];
		unsigned long n;
		bool fire;

		if (strcmp(fp->name, name) != 0)
			continue;
		n = atomic_fetch_add(&fp->hits, 1) + 1;
		if (fp->nth) {
			fire = n == fp->nth;
		} else {
			unsigned s = atomic_fetch_add(&seed, 0x9e3779b9u);
			fire = (double)(rand_r(&s) % 1000000) <
			       fp->percent * 10000.0;
		}
		if (!fire)
			return;
		ck_log_warn("failpoint %s: killing (hit %lu)", name, n);
		kill(getpid(), SIGKILL);
		_exit(137);
	}
}

#else
/* ISO C forbids an empty translation unit. */
typedef int ck_failpoint_unused;
#endif
