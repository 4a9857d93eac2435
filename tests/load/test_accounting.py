"""The master's ledger of worker requests: closed accounts, shortfalls, lost workers' estimates."""

from __future__ import annotations

from scalectl.load.accounting import Ledger


def test_a_worker_whose_final_batch_and_all_requests_arrived_is_done() -> None:
    led = Ledger()
    led.add("w1", 100, {"recorded": 100, "final": False}, 1.0)
    assert led.pending({"w1"}) == ["w1"], "no final batch yet"
    led.add("w1", 50, {"recorded": 150, "final": True}, 2.0)
    assert led.pending({"w1"}) == []
    (row,) = led.summary({"w1"})["workers"]
    assert row == {
        "worker": "w1",
        "recorded": 150,
        "received": 150,
        "final": True,
        "unaccounted": 0,
        "estimated_after_last_report": None,
    }


def test_a_final_batch_overtaking_an_earlier_one_waits_for_it() -> None:
    led = Ledger()
    led.add("w1", 30, {"recorded": 130, "final": True}, 2.0)  # the final arrived first
    assert led.pending({"w1"}) == ["w1"], "100 recorded requests have not arrived yet"
    led.add("w1", 100, {"recorded": 100, "final": False}, 2.1)
    assert led.pending({"w1"}) == []
    assert led.summary(set())["workers"][0]["recorded"] == 130


def test_missing_batches_are_counted_exactly() -> None:
    led = Ledger()
    led.add("w1", 40, {"recorded": 100, "final": True}, 2.0)  # 60 recorded, never received
    (row,) = led.summary(set())["workers"]
    assert row["unaccounted"] == 60 and row["final"]


def test_a_lost_worker_is_estimated_from_its_last_rate_over_one_interval() -> None:
    led = Ledger()
    led.t_start = 0.0
    for t in range(1, 6):
        led.add("dead", 200, {"recorded": 200 * t, "final": False}, float(t))
    led.add("ok", 10, {"recorded": 10, "final": True}, 5.0)
    known = {"dead", "ok", "never-sent"}
    assert led.pending(known) == ["dead", "never-sent"]
    rows = {r["worker"]: r for r in led.summary(known)["workers"]}
    assert rows["dead"]["estimated_after_last_report"] == 200  # 200/s over the last 1-s interval
    assert rows["dead"]["unaccounted"] == 0 and not rows["dead"]["final"]
    assert rows["never-sent"]["received"] == 0 and rows["never-sent"]["estimated_after_last_report"] == 0
    assert rows["ok"]["estimated_after_last_report"] is None


def test_a_first_batch_has_a_rate_from_the_start_of_the_test() -> None:
    led = Ledger()
    led.t_start = 10.0
    led.add("w", 300, {"recorded": 300, "final": False}, 11.0)
    assert led.summary(set())["workers"][0]["estimated_after_last_report"] == 300
