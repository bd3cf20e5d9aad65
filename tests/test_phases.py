"""Where a run's wall time goes: phases timed exclusively, adding up to the wall time."""

from __future__ import annotations

import pytest

from arastance.phases import PhaseClock, overhead_share, process_age, time_block, time_line


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_nested_phase_is_subtracted_from_the_one_around_it_and_the_rest_is_other() -> None:
    fake = FakeClock()
    clock = PhaseClock(clock=fake)
    clock.reset(already=2.0)  # start-up before the clock existed
    fake.now += 1.0  # unclaimed: other
    with clock.phase("train_steps"):
        fake.now += 3.0
        with clock.phase("checkpoint"):
            fake.now += 0.5
        fake.now += 4.0
    with clock.phase("checkpoint"):
        fake.now += 0.25
    times = clock.snapshot()
    assert times == {"checkpoint": 0.75, "startup": 2.0, "train_steps": 7.0, "other": 1.0, "wall": 10.75}
    assert sum(v for k, v in times.items() if k != "wall") == pytest.approx(times["wall"])


def test_a_phase_that_raises_is_still_booked() -> None:
    fake = FakeClock()
    clock = PhaseClock(clock=fake)
    clock.reset()
    with pytest.raises(RuntimeError), clock.phase("held_out_predict"):
        fake.now += 1.5
        raise RuntimeError("boom")
    assert clock.snapshot()["held_out_predict"] == 1.5


def test_the_overhead_is_what_lies_outside_training_and_evaluation_forwards() -> None:
    times = {
        "train_steps": 6.0,
        "dev_eval": 1.0,
        "held_out_predict": 1.0,
        "checkpoint": 1.5,
        "other": 0.5,
        "wall": 10.0,
    }
    assert overhead_share(times) == 0.2
    assert overhead_share({"wall": 0.0}) is None
    line = time_line(time_block(times))
    assert line.startswith("time: 10.0 s — train steps 6.0 s, checkpoint 1.5 s")
    assert line.endswith("outside training and evaluation forwards: 20%")


def test_the_process_age_counts_from_the_process_start() -> None:
    assert process_age() > 0.0
