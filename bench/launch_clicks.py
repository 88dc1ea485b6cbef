"""The launch bench's "Assign to me" clicks: who clicks what (rounds of distinct linked writers,
each on an alert of one of their repositories that no other click touches), how a round is signed
and sent at once, and what the fakes saw of each click afterwards (`judge`, into a `Phase`).
bench/launch_assign.py sends them to the app and to the floors.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.delivery_world import SlackProcess
from bench.launch_world import ORG, Org, Scale
from commands.shared import ids
from tests.fakes.signing import SignedRequest, SlackSigner, button


@dataclass(frozen=True)
class Click:
    user: str
    login: str
    repo: str
    number: int

    @property
    def reference(self) -> str:
        return f"{ORG}/{self.repo}#code-{self.number}"

    @property
    def path(self) -> str:
        return f"/repos/{ORG}/{self.repo}/code-scanning/alerts/{self.number}"


Rounds = list[list[Click]]


def click_phases(org: Org, scale: Scale, rng: random.Random) -> list[Rounds]:
    """For each phase (concurrency, rounds), rounds of clicks by distinct writers, each on an
    alert of one of their repositories that no other click of the run touches."""
    free = {repo: rng.sample(range(1, count + 1), count) for repo, count in org.alerts.items()}
    people = sorted(org.slack.items())
    phases = []
    for size, count in scale.phases():
        rounds = []
        for _ in range(count):
            rng.shuffle(people)
            chosen: list[Click] = []
            for login, user in people:
                repos = [repo for repo in org.writes[login] if free[repo]]
                if repos and len(chosen) < size:
                    repo = rng.choice(repos)
                    chosen.append(Click(user, login, repo, free[repo].pop()))
            if len(chosen) < size:
                raise RuntimeError("not enough distinct alerts for the clicks")
            rounds.append(chosen)
        phases.append(rounds)
    return phases


def hook_url(fake: SlackProcess) -> tuple[str, str]:
    """A fresh response_url on the fake Slack: (hook id, URL)."""
    hook = uuid.uuid4().hex
    return hook, f"{fake.api_url.removesuffix('api/')}hook/{hook}"


def signed(signer: SlackSigner, click: Click, number: int, response_url: str) -> SignedRequest:
    return signer.block_actions(
        button(ids.ASSIGN_TO_ME, f"{number}:{click.reference}"),
        user_id=click.user,
        response_url=response_url,
    )


async def send_round(
    http: aiohttp.ClientSession, url: str, requests: Sequence[SignedRequest]
) -> tuple[list[float], list[float]]:
    """All at once; returns (when each was sent, its ack round trip), monotonic seconds."""

    async def one(signed_request: SignedRequest) -> tuple[float, float]:
        start = time.monotonic()
        async with http.post(
            url, data=signed_request.body, headers=signed_request.headers
        ) as response:
            await response.read()
            assert response.status == 200, response.status
        return start, time.monotonic() - start

    done = await asyncio.gather(*(one(item) for item in requests))
    return [start for start, _ in done], [trip for _, trip in done]


def first_after(stamps: Sequence[float], start: float) -> float | None:
    return next((stamp for stamp in sorted(stamps) if stamp >= start), None)


Sent = list[tuple[Click, float, str]]
"""(click, when it was sent, its response_url hook id)."""


def walls(rounds: Rounds, sent: Sent, patched: dict[str, list[float]]) -> list[float]:
    """Per round whose clicks were all written back: its first click to its last PATCH."""
    out, index = [], 0
    for clicks in rounds:
        part = sent[index : index + len(clicks)]
        index += len(clicks)
        first = min(start for _, start, _ in part)
        ends = [first_after(patched.get(click.path, []), start) for click, start, _ in part]
        if all(end is not None for end in ends):
            out.append(max(end for end in ends if end is not None) - first)
    return out


@dataclass
class Phase:
    """One phase of clicks against the app, and its floors."""

    rounds: Rounds
    acks: list[float]
    patched: list[float]
    """Click to the PATCH answered, for the clicks written back."""
    answered: list[float]
    """Click to the reply on its response_url, for every click (an error is a reply too)."""
    walls: list[float]
    failed: int
    not_patched: int
    caused: Counter[str]
    stored: int = 0
    bare_acks: list[float] = field(default_factory=list)
    bare_patched: list[float] = field(default_factory=list)
    bare_walls: list[float] = field(default_factory=list)
    logged: Counter[str] = field(default_factory=Counter)
    """WARNING+ records the app logged during the phase, by exception type."""

    @property
    def clicks(self) -> int:
        return sum(len(clicks) for clicks in self.rounds)


def judge(
    rounds: Rounds,
    sent: Sent,
    acks: list[float],
    github: dict[str, Any],
    slack: dict[str, Any],
    caused: Counter[str],
) -> Phase:
    phase = Phase(rounds, acks, [], [], walls(rounds, sent, github["patched"]), 0, 0, caused)
    for click, start, hook in sent:
        done = first_after(github["patched"].get(click.path, []), start)
        assignees = github["assignees"].get(f"{ORG}/{click.repo}#{click.number}")
        if done is None or assignees != [click.login]:
            phase.not_patched += 1
        else:
            phase.patched.append(done - start)
        reply = slack["hooks"].get(hook)
        if reply is not None:
            phase.answered.append(reply[0] - start)
        if reply is None or "is yours now" not in reply[1]:
            phase.failed += 1
    return phase


async def warm_up(
    http: aiohttp.ClientSession, url: str, signer: SlackSigner, fake: SlackProcess, click: Click
) -> str:
    """One click with a damaged value (answered at once, nothing written): Bolt's first request
    checks the token with auth.test and the connection opens, outside the figures."""
    hook, address = hook_url(fake)
    warm = signer.block_actions(
        button(ids.ASSIGN_TO_ME, "warm-up"), user_id=click.user, response_url=address
    )
    await send_round(http, url, [warm])
    return hook
