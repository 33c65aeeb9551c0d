"""
Two chute instances in one consumer group on one topic: the second joins
while the first is consuming (rebalance), then the first leaves with SIGTERM
midway (another rebalance). Every message arrives; both exit 0.

Duplicates are allowed (at-least-once) and printed. With Debian's librdkafka
2.0.2 they come from librdkafka issue #4059 (fixed upstream by PR #4908):
an offset commit sent while the group re-joins fails with ILLEGAL_GENERATION
and librdkafka then treats the member's whole assignment as lost, so the
inserted-but-uncommitted batch of each lost partition is read again by its
next owner. The test prints how often that happened.
"""
import re
import time

import pytest

from conftest import wait_until
from it_helpers import EVENT_COLUMNS, BackgroundProducer, events


def test_two_instances_in_one_group_with_join_and_leave_deliver_every_row(ctx):
    n = 60_000
    ctx.create_topic(4)
    ctx.create_table(EVENT_COLUMNS)
    cfg = ctx.config({"batch": {"max_rows": 2000, "max_wait": "200ms"}, "shutdown_timeout": "15s",
                      "kafka": {"properties": {"session.timeout.ms": "10000",
                                               "heartbeat.interval.ms": "1000"}}})
    prod = BackgroundProducer(ctx, 0, n, rate=4000, chunk=500)  # ~15 s of traffic
    prod.start()

    a = ctx.start_chute(cfg, name="chute-A")
    a.wait_log(r"kafka: assigned 4 partition\(s\)", timeout=30)
    ctx.wait_count(5000, timeout=60)

    b = ctx.start_chute(cfg, name="chute-B")
    # Cooperative rebalance: B gets some partitions, A gives some up. With
    # librdkafka 2.0.2 A may instead *lose* its assignment (the known issue
    # tested below: a commit during the re-join fails with ILLEGAL_GENERATION);
    # either way A must give partitions up and no row may be lost.
    b.wait_log(r"kafka: assigned [1-9]\d* partition\(s\)", timeout=60, what="chute-B gets partitions")
    a.wait_log(r"kafka: (revoked|lost) [1-9]\d* partition\(s\)", timeout=30,
               what="chute-A gives partitions up")
    mid = ctx.count()
    time.sleep(2.0)
    ctx.check(prod.is_alive(), "the producer finished before chute-A left; the test proves less than intended")

    rc_a = ctx.sigterm(a, 30)
    ctx.check(rc_a in (0, None), f"chute-A exited {rc_a} on SIGTERM during the rebalance test")
    # B takes over A's partitions.
    b.wait_log(r"(?s)kafka: assigned [1-9]\d* partition\(s\).*kafka: assigned [1-9]\d* partition\(s\)", timeout=60,
               what="chute-B is assigned A's partitions after A left")

    prod.join_checked()
    ctx.wait_uniq(n, timeout=120)
    rc_b = ctx.sigterm(b, 30)
    ctx.check(rc_b in (0, None), f"chute-B exited {rc_b} on SIGTERM")
    com = ctx.committed()
    logs = a.log() + b.log()
    illegal = len(re.findall(r"offset commit failed: Broker: Specified group generation id is not valid", logs))
    lost = re.findall(r"kafka: lost \d+ partition\(s\)", logs)
    print(f"\nREBALANCE rows at B's join={mid} final count={ctx.count()} uniq={ctx.uniq_ids()} "
          f"duplicates={ctx.count() - ctx.uniq_ids()} committed={com} "
          f"illegal-generation commit failures={illegal} lost-assignment events={len(lost)}")
    ctx.check(ctx.uniq_ids() == n, f"uniqExact(id) = {ctx.uniq_ids()}, expected {n}")
    ctx.check(com == ctx.produced, f"committed {com} != produced {ctx.produced}")
    ctx.assert_no_hangs()


def test_a_member_stopped_before_its_first_assignment_exits_cleanly(ctx):
    """Regression: librdkafka 2.0.2's cooperative-sticky assignor aborts in
    rd_kafka_destroy() when the member never got an assignment
    (confluentinc/librdkafka#4312, fixed in 2.3.0): chute died of SIGABRT
    after "stopped cleanly" when SIGTERM came while it was joining a busy
    group (found by the chaos suite's churn case)."""
    ctx.create_topic(4)
    ctx.create_table(EVENT_COLUMNS)
    cfg = ctx.config({"kafka": {"properties": {"session.timeout.ms": "6000",
                                               "heartbeat.interval.ms": "500"}}})
    a = ctx.start_chute(cfg, name="chute-A")
    a.wait_log(r"kafka: assigned 4 partition\(s\)", timeout=30)
    codes = []
    for k, delay in enumerate((0.3, 0.8, 1.2, 2.0, 3.0)):
        # Two joiners at once, one stopped while the group rebalances.
        b = ctx.start_chute(cfg, name=f"chute-B{k}")
        c = ctx.start_chute(cfg, name=f"chute-C{k}")
        b.wait_log(r"chute started", timeout=30)
        time.sleep(delay)
        codes.append(ctx.sigterm(b, 30))
        codes.append(ctx.sigterm(c, 30))
        print(f"\nround {k}: exits {codes[-2:]}, B had an assignment: {'kafka: assigned' in b.log()}")
    ctx.check(all(rc == 0 for rc in codes), f"exit codes {codes} (-6: the librdkafka abort)")
    ctx.check(ctx.sigterm(a, 30) == 0, "chute-A did not stop cleanly")


def test_a_partition_paused_when_it_was_revoked_flows_again_when_it_comes_back(ctx, proxy_factory):
    """Regression: librdkafka keeps a partition's pause across a revoke and a
    new assignment (confluentinc/librdkafka#1849). chute paused partitions
    while its inserts failed, lost some to a second member, got them back
    when that member left, and took them for unpaused: they never fetched
    again (found by the chaos suite's mock-cluster case). Here chute-A writes
    through a proxy that answers 503 until told to stop; chute-B writes
    straight to the server."""
    n_per = 2000
    proxy = proxy_factory(ctx.env.ch_url, "503", faults=10**9)
    ctx.create_topic(4)
    ctx.create_table(EVENT_COLUMNS)
    over = {"batch": {"max_rows": 200, "max_wait": "100ms"}, "shutdown_timeout": "5s",
            "log_level": "debug", "retry": {"initial_backoff": "100ms", "max_backoff": "500ms"},
            "kafka": {"properties": {"session.timeout.ms": "6000", "heartbeat.interval.ms": "500"}}}
    a = ctx.start_chute(ctx.config({**over, "clickhouse": {"url": proxy.url}}), name="chute-A")
    a.wait_log(r"kafka: assigned 4 partition\(s\)", timeout=30)
    ctx.produce(events(0, 4 * n_per))
    # Every partition's batches fill up while the inserts fail: A pauses all four.
    wait_until(lambda: len(set(re.findall(r"DEBUG +paused (\S+\[\d\])", a.log()))) == 4, 60,
               "chute-A pauses its four partitions")
    b = ctx.start_chute(ctx.config(over), name="chute-B")
    b.wait_log(r"kafka: assigned [1-9]\d* partition\(s\)", timeout=60, what="chute-B gets partitions")
    a.wait_log(r"kafka: (revoked|lost) [1-9]\d* partition\(s\)", timeout=30, what="chute-A gives some up")
    ctx.check(ctx.sigterm(b, 30) in (0, None), "chute-B did not stop cleanly")
    a.wait_log(r"(?s)kafka: (revoked|lost) [1-9].*kafka: assigned [1-9]\d* partition\(s\)", timeout=60,
               what="chute-A gets the partitions back")
    ctx.produce(events(4 * n_per, 4 * n_per), start_index=4 * n_per)  # new rows on every partition
    proxy.faults = 0  # A's inserts succeed from now on
    ctx.wait_uniq(8 * n_per, timeout=90)
    ctx.check(ctx.sigterm(a, 30) == 0, "chute-A did not stop cleanly")


# KNOWN ISSUE (librdkafka, not chute's code, but it hits every chute scale-out
# here): with partition.assignment.strategy cooperative-sticky (which chute
# sets) and Debian's librdkafka 2.0.2, an async offset commit that is in
# flight while the group re-joins for the second phase of an incremental
# rebalance fails with ILLEGAL_GENERATION, and librdkafka then declares the
# member's whole remaining assignment lost (debug: "current assignment of 2
# partition(s) lost: ... OffsetCommit error: Illegal generation" / "SyncGroup
# error"). chute correctly commits nothing for lost partitions, so their
# inserted-but-uncommitted batch is read again by the next owner: duplicates
# (at-least-once still holds), and chute's "a later commit covers them" warning
# is wrong in that case. Upstream: confluentinc/librdkafka#4059, fixed by PR
# #4908. Non-strict xfail: it documents the issue and turns into XPASS once a
# newer librdkafka or a chute-side mitigation (e.g. no commits between a
# cooperative revoke and the next assignment, or an eager assignor) is in use.
@pytest.mark.xfail(strict=False, reason="KNOWN ISSUE librdkafka#4059 (2.0.2): commit during cooperative re-join -> "
                                        "ILLEGAL_GENERATION -> assignment lost -> duplicates on scale-out")
def test_known_issue_scale_out_keeps_the_first_members_assignment_and_adds_no_duplicates(ctx):
    n = 40_000
    ctx.create_topic(4)
    ctx.create_table(EVENT_COLUMNS)
    cfg = ctx.config({"batch": {"max_rows": 2000, "max_wait": "200ms"}, "shutdown_timeout": "15s"})
    prod = BackgroundProducer(ctx, 0, n, rate=4000, chunk=500)
    prod.start()
    a = ctx.start_chute(cfg, name="chute-A")
    ctx.wait_count(5000, timeout=60)
    b = ctx.start_chute(cfg, name="chute-B")
    b.wait_log(r"kafka: assigned [1-9]\d* partition\(s\)", timeout=60, what="chute-B gets partitions")
    prod.join_checked()
    ctx.wait_uniq(n, timeout=120)
    ctx.sigterm(b, 30)
    ctx.sigterm(a, 30)
    logs = a.log() + b.log()
    lost = re.findall(r"kafka: lost \d+ partition\(s\)", logs)
    dup = ctx.count() - ctx.uniq_ids()
    assert not lost and dup == 0, (f"a clean scale-out lost an assignment {len(lost)} time(s) and left {dup} "
                                   f"duplicate rows")


def test_a_topic_created_after_start_up_is_consumed_within_seconds(ctx):
    """A CDC source creates a table's topic at its first change. With
    librdkafka's default topic.metadata.refresh.interval.ms (5 min) chute
    read such a topic only minutes later; chute's default is 10 s."""
    ctx.create_table(EVENT_COLUMNS)
    chute = ctx.start_chute(ctx.config({"batch": {"max_wait": "200ms"}}))
    chute.wait_log(r"topic \S+ does not exist yet", 30, "the missing-topic warning")
    chute.wait_log(r"chute started", 30, "start-up")
    time.sleep(1)
    ctx.create_topic(2)
    t0 = time.monotonic()
    ctx.produce(events(0, 200))
    ctx.wait_count(200, timeout=40)
    print(f"\nNEW-TOPIC rows arrived {time.monotonic() - t0:.1f} s after the topic was created")
    ctx.check(ctx.sigterm(chute, 30) == 0, "chute did not stop cleanly")


def test_a_killed_member_gets_its_partitions_back_within_seconds_on_restart(ctx):
    """kill -9 leaves the old member in the group until its session times
    out: librdkafka's default 45 s. chute's default session.timeout.ms is
    10 s, so a restarted sink is back well within that."""
    ctx.create_topic(2)
    ctx.create_table(EVENT_COLUMNS)
    cfg = ctx.config({"batch": {"max_wait": "200ms"}})
    first = ctx.start_chute(cfg)
    ctx.produce(events(0, 100))
    ctx.wait_count(100, timeout=60)
    first.kill9()
    t0 = time.monotonic()
    second = ctx.start_chute(cfg)
    ctx.produce(events(100, 100), start_index=100)
    ctx.wait_uniq(200, timeout=35)
    print(f"\nRESTART rows flowed again {time.monotonic() - t0:.1f} s after kill -9")
    ctx.check(ctx.sigterm(second, 30) == 0, "chute did not stop cleanly")
