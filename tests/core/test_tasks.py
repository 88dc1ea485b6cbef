"""TaskTracker: work after an ack waits for its own ack and a quiet moment, then takes turns."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.tasks import TaskTracker


async def test_work_starts_once_its_own_request_is_answered() -> None:
    tasks = TaskTracker()
    started = asyncio.Event()

    async def work() -> None:
        async with tasks.after_ack():
            started.set()

    with tasks.answering():
        waiting = asyncio.create_task(work())  # as bolt starts a listener: in the request's context
        await asyncio.sleep(0.01)
        assert not started.is_set()
    await asyncio.wait_for(waiting, 1)
    assert started.is_set()


async def test_work_waits_for_a_moment_when_no_request_is_being_answered() -> None:
    tasks = TaskTracker(ack_wait=5.0)
    started = asyncio.Event()

    async def work() -> None:
        async with tasks.after_ack():
            started.set()

    with tasks.answering():
        waiting = asyncio.create_task(work())
        await asyncio.sleep(0.01)
        assert not started.is_set()  # another request is being answered
    await asyncio.wait_for(waiting, 1)


async def test_work_waits_for_quiet_at_most_ack_wait() -> None:
    tasks = TaskTracker(ack_wait=0.05)
    loop = asyncio.get_running_loop()

    async def another_request() -> None:
        with tasks.answering():
            await asyncio.sleep(0.5)

    answering = asyncio.create_task(another_request())
    await asyncio.sleep(0)
    begun = loop.time()
    async with asyncio.timeout(1), tasks.after_ack():
        waited = loop.time() - begun
    assert 0.04 <= waited < 0.4
    await answering


async def test_work_goes_at_once_when_nothing_is_being_answered() -> None:
    tasks = TaskTracker()
    async with asyncio.timeout(0.5), tasks.after_ack():
        pass


async def test_at_most_concurrent_pieces_of_work_run_at_once() -> None:
    tasks = TaskTracker(concurrent=2)
    running, most, order = 0, 0, []

    async def work(number: int) -> None:
        nonlocal running, most
        async with tasks.after_ack():
            order.append(number)
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.01)
            running -= 1

    await asyncio.gather(*(work(number) for number in range(7)))
    assert most == 2 and order == list(range(7))


async def test_one_piece_of_work_at_a_time_while_other_requests_are_answered() -> None:
    tasks = TaskTracker(concurrent=4, ack_wait=0.0)
    running, most = 0, 0

    async def work() -> None:
        nonlocal running, most
        async with tasks.after_ack():
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.01)
            running -= 1

    async def another_request() -> int:
        with tasks.answering():
            await asyncio.sleep(0.05)
            return most

    answering = asyncio.create_task(another_request())
    await asyncio.sleep(0)
    during = asyncio.gather(*(work() for _ in range(10)))
    assert await answering == 1  # pieces of 10 ms, one at a time while it was being answered
    await during
    assert most > 1  # the rest in parallel once it was


async def test_cancelled_work_gives_its_turn_back() -> None:
    tasks = TaskTracker(concurrent=1)
    release = asyncio.Event()
    done: list[str] = []

    async def holder() -> None:
        async with tasks.after_ack():
            await release.wait()

    async def work(name: str) -> None:
        async with tasks.after_ack():
            done.append(name)

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    cancelled = asyncio.create_task(work("cancelled"))
    later = asyncio.create_task(work("later"))
    await asyncio.sleep(0)
    cancelled.cancel()
    release.set()
    await asyncio.wait_for(later, 1)
    await first
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert done == ["later"]


async def test_drain_waits_for_tracked_work() -> None:
    tasks = TaskTracker()
    finished: list[str] = []

    async def work() -> None:
        tasks.track_current()
        async with tasks.after_ack():
            await asyncio.sleep(0.01)
            finished.append("done")

    task = asyncio.create_task(work())
    await asyncio.sleep(0)
    assert tasks.running == 1
    await tasks.drain(timeout=1.0)
    assert finished == ["done"] and task.done()
