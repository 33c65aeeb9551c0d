"""
Case 4: faults of the real Kafka broker under load (scripts/dev-env.sh):
stopped with SIGTERM and started again, killed with SIGKILL and started
again, and frozen with SIGSTOP for a few seconds. The producer rides the
outages out (message.timeout.ms = 0). chute must survive each one (or, if
it exits, the check shows it; the case then restarts it and counts that) and
lose nothing. (Per-request errors and delays from librdkafka's mock cluster are
case 4b, test_mock_broker_faults.py.)
"""
import time


def test_broker_restart_kill_pause(world, prof):
    w = world
    w.setup(4)
    env = w.env
    prod = w.produce(10**9, prof.rate / 2)
    cfg = w.config()
    c = w.start(cfg)
    time.sleep(w.rng.uniform(2, 4))
    plan = ["restart", "kill", "pause"] * prof.kafka_cycles
    w.rng.shuffle(plan)
    exits = 0
    for step in plan:
        time.sleep(w.rng.uniform(2, 5))
        if step == "restart":
            env.stop_kafka()
            time.sleep(w.rng.uniform(0, 3))
            env.start_kafka()
            w.fig.fault("kafka stop+start")
        elif step == "kill":
            env.stop_kafka(kill=True)
            time.sleep(w.rng.uniform(0, 3))
            env.start_kafka()
            w.fig.fault("kafka kill -9+start")
        else:
            secs = w.rng.uniform(3, 8)
            env.pause("kafka")
            time.sleep(secs)
            env.resume("kafka")
            w.fig.fault("kafka SIGSTOP 3-8s")
        if not c.alive():
            # Not a loss in itself, but worth seeing: record it and go on.
            exits += 1
            w.say(f"chute exited {c.proc.returncode} after kafka {step}; restarting\n{c.tail(8)}")
            c = w.start(cfg)
    time.sleep(3)
    prod.stop()
    if exits:
        w.fig.note = f"chute exited {exits} time(s) during broker faults"
    w.finish(drain_timeout=240)
