"""TaskTracker: work after an ack waits for its own ack and a quiet moment, then takes turns.

Nothing here waits on time: requests and work are held open by events, and `settle()` lets every
task that can run do so (it yields to the loop, it never sleeps for a duration).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bot.core.tasks import TaskTracker

HANG_GUARD = 5.0
"""Seconds before a test that would hang fails instead; never a speed being checked."""


async def settle(rounds: int = 20) -> None:
    """Let every ready task run until none is left to start (yields, no sleeping)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def held_request(tasks: TaskTracker) -> tuple[asyncio.Event, Callable[[], Awaitable[None]]]:
    """A Slack request being answered until the returned event is set."""
    release = asyncio.Event()

    async def request() -> None:
        with tasks.answering():
            await release.wait()

    return release, request


async def test_work_starts_once_its_own_request_is_answered() -> None:
    tasks = TaskTracker()
    started = asyncio.Event()
    release = asyncio.Event()

    async def request() -> None:
        with tasks.answering():
            # As bolt starts a listener: a task created in the request's context.
            work = asyncio.create_task(listener())
            await release.wait()
        await asyncio.wait_for(work, HANG_GUARD)

    async def listener() -> None:
        async with tasks.after_ack():
            started.set()

    answering = asyncio.create_task(request())
    await settle()
    assert not started.is_set()  # its own answer is not sent yet
    release.set()
    await asyncio.wait_for(answering, HANG_GUARD)
    assert started.is_set()


async def test_work_waits_for_a_moment_when_no_request_is_being_answered() -> None:
    tasks = TaskTracker(ack_wait=HANG_GUARD)
    started = asyncio.Event()
    release, request = held_request(tasks)

    async def work() -> None:
        async with tasks.after_ack():
            started.set()

    other = asyncio.create_task(request())
    await settle()
    waiting = asyncio.create_task(work())
    await settle()
    assert not started.is_set()  # another request is being answered
    release.set()
    await asyncio.wait_for(asyncio.gather(other, waiting), HANG_GUARD)
    assert started.is_set()


async def test_work_waits_for_quiet_at_most_ack_wait() -> None:
    """A request that is never answered does not hold work back for ever."""
    tasks = TaskTracker(ack_wait=0.01)
    release, request = held_request(tasks)
    other = asyncio.create_task(request())
    await settle()
    async with asyncio.timeout(HANG_GUARD), tasks.after_ack():
        still_answering = not release.is_set()
    assert still_answering
    release.set()
    await other


async def test_work_goes_at_once_when_nothing_is_being_answered() -> None:
    tasks = TaskTracker()
    entered = False

    async def work() -> None:
        nonlocal entered
        async with tasks.after_ack():
            entered = True

    task = asyncio.create_task(work())
    await settle(3)
    assert entered
    await task


async def test_at_most_concurrent_pieces_of_work_run_at_once() -> None:
    tasks = TaskTracker(concurrent=2)
    running, most, order = 0, 0, []
    finish = asyncio.Event()

    async def work(number: int) -> None:
        nonlocal running, most
        async with tasks.after_ack():
            order.append(number)
            running += 1
            most = max(most, running)
            await finish.wait()
            running -= 1

    all_work = asyncio.gather(*(work(number) for number in range(7)))
    await settle()
    assert (running, order) == (2, [0, 1])  # the others queue, in order
    finish.set()
    await asyncio.wait_for(all_work, HANG_GUARD)
    assert most == 2 and order == list(range(7))


async def test_one_piece_of_work_at_a_time_while_other_requests_are_answered() -> None:
    tasks = TaskTracker(concurrent=4, ack_wait=0.0)
    running, most = 0, 0
    finish = asyncio.Event()
    release, request = held_request(tasks)

    async def work() -> None:
        nonlocal running, most
        async with tasks.after_ack():
            running += 1
            most = max(most, running)
            await finish.wait()
            running -= 1

    other = asyncio.create_task(request())
    await settle()
    during = asyncio.gather(*(work() for _ in range(10)))
    await settle()
    assert running == 1  # one at a time while a request is being answered
    release.set()
    await other
    await settle()
    assert running == 4  # `concurrent` at once once nothing is
    finish.set()
    await asyncio.wait_for(during, HANG_GUARD)
    assert most == 4


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
    await settle()
    cancelled = asyncio.create_task(work("cancelled"))
    later = asyncio.create_task(work("later"))
    await settle()
    cancelled.cancel()
    release.set()
    await asyncio.wait_for(later, HANG_GUARD)
    await first
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert done == ["later"]


async def test_drain_waits_for_tracked_work() -> None:
    tasks = TaskTracker()
    finished: list[str] = []
    finish = asyncio.Event()

    async def work() -> None:
        tasks.track_current()
        async with tasks.after_ack():
            await finish.wait()
            finished.append("done")

    task = asyncio.create_task(work())
    await settle()
    assert tasks.running == 1
    draining = asyncio.create_task(tasks.drain(timeout=HANG_GUARD))
    await settle()
    assert not draining.done()  # the work is still going
    finish.set()
    await draining
    assert finished == ["done"] and task.done()
