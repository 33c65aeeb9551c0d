/*
 * failpoint.h — crash points for the chaos suite, compiled only into test
 * builds (cmake -DCHUTE_FAILPOINTS=ON).
 *
 * CK_FAILPOINT("name") marks a step where a crash must lose and double
 * nothing (tests/chaos, docs/chaos.md). The environment variable
 * CHUTE_FAILPOINTS arms points at start-up:
 *
 *   CHUTE_FAILPOINTS="eo.recorded=kill@3,insert.acked=kill%2.5"
 *
 *   kill@N   SIGKILL the process on the Nth hit of the point
 *   kill%P   SIGKILL it on each hit with probability P percent
 *
 * The process logs "failpoint <name>: killing" first. In other builds the
 * macro is empty and the variable is ignored.
 */
#ifndef CK_FAILPOINT_H
#define CK_FAILPOINT_H

#include "common/err.h"

#ifdef CHUTE_FAILPOINTS
/* Reads CHUTE_FAILPOINTS; CK_ERR_CONFIG naming the bad entry. */
int ck_failpoint_init(struct ck_err *err);
void ck_failpoint_hit(const char *name);
#define CK_FAILPOINT(name) ck_failpoint_hit(name)
#define CK_FAILPOINTS_BUILT 1
#else
#define CK_FAILPOINT(name) ((void)0)
#define CK_FAILPOINTS_BUILT 0
#endif

#endif
