import pytest

from appliance.media.pacer import Pacer


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_deadlines_are_absolute_so_work_does_not_drift() -> None:
    clock = FakeClock()
    pacer = Pacer(0.02, clock=clock, sleep=clock.sleep)
    start = pacer.start()
    for _ in range(50):
        clock.now += 0.005  # time spent sending
        await pacer.wait_next()
    assert clock.sleeps == pytest.approx([0.015] * 50)
    assert clock.now == pytest.approx(start + 50 * 0.02)
    assert pacer.resets == 0


async def test_small_lateness_is_absorbed() -> None:
    clock = FakeClock()
    pacer = Pacer(0.02, clock=clock, sleep=clock.sleep)
    start = pacer.start()
    clock.now += 0.05  # 2.5 frames late: catch up by not sleeping
    await pacer.wait_next()
    await pacer.wait_next()
    await pacer.wait_next()
    assert clock.sleeps == pytest.approx([0.0, 0.0, 0.01])
    assert clock.now == pytest.approx(start + 0.06)
    assert pacer.resets == 0


async def test_large_lateness_resets_instead_of_bursting() -> None:
    clock = FakeClock()
    pacer = Pacer(0.02, clock=clock, sleep=clock.sleep)
    pacer.start()
    clock.now += 0.2  # loop stalled for 10 frames
    await pacer.wait_next()
    assert pacer.resets == 1
    assert pacer.deadline == pytest.approx(clock.now)
    await pacer.wait_next()
    assert clock.sleeps == pytest.approx([0.0, 0.02])


async def test_custom_step() -> None:
    clock = FakeClock()
    pacer = Pacer(0.02, clock=clock, sleep=clock.sleep)
    start = pacer.start()
    await pacer.wait_next(0.01)
    assert clock.now == pytest.approx(start + 0.01)
