"""
The closing check must be able to fail: a harness self-test. chute loads a
small topic cleanly; then the case doubles a few rows by hand and produces
records that no chute consumes, and checks that verify() reports exactly
those duplicates and losses. (Its figures are not counted in the results.)
"""
import pytest


def test_check_detects_loss_and_duplicates(world):
    w = world
    if w.mode != "at-least-once":
        pytest.skip("the harness self-test runs once")
    w.setup(2)
    w.produce(2000, 5000).join_checked(60)
    c = w.start(w.config())
    assert w.wait_drained(60), w.diagnostics()
    assert c.sigterm(30) == 0, c.tail()
    w.verify(allow_duplicates=False)  # clean so far
    w.ch(f"INSERT INTO default.{w.table} SELECT * FROM default.{w.table} WHERE _offset < 3")  # 6 duplicates
    w.produce(10, 1000).join_checked(60)  # 10 records nobody consumes: lost
    with pytest.raises(AssertionError) as e:
        w.verify(allow_duplicates=False)
    msg = str(e.value)
    w.say(f"verify() failed as it should: {msg.splitlines()[0]}")
    assert "duplicated=6 " in msg and "lost=10 " in msg and "10 good records lost" in msg, msg
    w.fig.records, w.fig.lost, w.fig.duplicated = 0, None, None
    w.fig.note = "harness self-test: verify() caught 6 planted duplicates and 10 unconsumed records"
