"""`campaignbot run` in HTTP mode against the fake Slack: how fast is a `/campaign` acknowledged?

200 signed `/campaign list` and `/campaign show` requests, one at a time and 50 at once, over a
database of 100,000 alerts with 10 active campaigns. Latency is the HTTP round trip of Slack's
request (what Slack's 3-second limit measures); the reply itself goes to the response_url after.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.core_bench import NOW
from bot.campaigns.ports import AdminList
from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.core.settings import Settings
from bot.demo import organization as demo
from bot.runtime.lifespan import serve
from store.engine import create_engine
from store.migrate import upgrade
from tests.fakes.fixtures import BOT_TOKEN, SIGNING_SECRET, free_port
from tests.fakes.signing import SlackSigner
from tests.fakes.slack import FakeSlack

Row = tuple[str, str]
ADMIN = "UBENCH"


async def _prepare(url: str, alerts: int, repositories: int) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    await demo.load(engine, demo.generate_org(alerts=alerts, repositories=repositories, now=NOW))
    settings = Settings(_env_file=None, campaign_admins=ADMIN)
    service = CampaignService(
        engine, settings, directory=AdminList(frozenset({ADMIN})), clock=lambda: NOW
    )
    for index in range(10):
        await service.create(
            ADMIN,
            CreateRequest(
                name=f"Campaign {index}",
                description="bench",
                due_date=date(2027, 1, 31),
                manager=ADMIN,
                query="is:open kind:code" if index % 2 else "is:open kind:secret",
                continue_big=True,
            ),
        )
    await engine.dispose()


async def _send(
    http: aiohttp.ClientSession, url: str, signer: SlackSigner, fake: FakeSlack, text: str
) -> float:
    request = signer.command(text, user_id=ADMIN, response_url=fake.response_url())
    start = time.perf_counter()
    async with http.post(url, data=request.body, headers=request.headers) as response:
        await response.read()
        assert response.status == 200, response.status
    return (time.perf_counter() - start) * 1000


def _summary(times: list[float], seconds: float) -> str:
    return (
        f"p50 {statistics.median(times):.1f} ms, p99 {p95_99(times):.1f} ms, "
        f"{len(times) / seconds:.0f} req/s"
    )


def p95_99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


async def run(
    *, alerts: int = 100_000, repositories: int = 2_000, requests: int = 200
) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await _prepare(db, alerts, repositories)
        async with FakeSlack() as fake:
            settings = Settings(
                _env_file=None,
                slack_bot_token=BOT_TOKEN,
                slack_signing_secret=SIGNING_SECRET,
                slack_api_url=fake.api_url,
                database_url=db,
                campaign_admins=ADMIN,
                host="127.0.0.1",
                port=free_port(),
                log_level="WARNING",
            )
            ready, stop = asyncio.Event(), asyncio.Event()
            server = asyncio.create_task(serve(settings, ready=ready, stop=stop, clock=lambda: NOW))
            await ready.wait()
            url = f"http://127.0.0.1:{settings.port}/slack/events"
            signer = SlackSigner(SIGNING_SECRET)
            texts = [("list" if i % 2 else f"show {1 + i % 10}") for i in range(requests)]
            async with aiohttp.ClientSession() as http:
                start = time.perf_counter()
                sequential = [await _send(http, url, signer, fake, text) for text in texts]
                rows.append(("sequential", _summary(sequential, time.perf_counter() - start)))
                await fake.wait_until(lambda: len(fake.calls("hook")) >= requests, timeout=120)

                gate = asyncio.Semaphore(50)

                async def limited(text: str) -> float:
                    async with gate:
                        return await _send(http, url, signer, fake, text)

                start = time.perf_counter()
                concurrent = await asyncio.gather(*(limited(text) for text in texts))
                rows.append(
                    ("50 concurrent", _summary(list(concurrent), time.perf_counter() - start))
                )
                begin = time.perf_counter()
                await fake.wait_until(lambda: len(fake.calls("hook")) >= 2 * requests, timeout=300)
                rows.append(
                    (
                        "replies delivered after the burst",
                        f"all {requests} within {time.perf_counter() - begin:.1f} s more",
                    )
                )
            rows.append(("block limit violations seen by the fake", str(len(fake.violations))))
            stop.set()
            await server
            floor = await _bare_bolt_floor(fake, texts)
            rows.append(("floor: bare Bolt app, 50 concurrent", _summary(*floor)))
            ratio = p95_99(list(concurrent)) / p95_99(floor[0])
            rows.append(("ratio of p99 at 50 concurrent (project / bare Bolt)", f"{ratio:.2f}x"))

    return rows


async def _bare_bolt_floor(fake: FakeSlack, texts: list[str]) -> tuple[list[float], float]:
    """The same signed commands against a Bolt AsyncApp that only acks: what the machine, Bolt
    and aiohttp cost before any of the project's work, measured in the same run."""
    signer = SlackSigner(SIGNING_SECRET)
    gate = asyncio.Semaphore(50)
    async with bare_bolt_server(fake.api_url) as url, aiohttp.ClientSession() as http:

        async def limited(text: str) -> float:
            async with gate:
                return await _send(http, url, signer, fake, text)

        start = time.perf_counter()
        times = await asyncio.gather(*(limited(text) for text in texts))
        return list(times), time.perf_counter() - start


@asynccontextmanager
async def bare_bolt_server(api_url: str) -> AsyncIterator[str]:
    """A Bolt AsyncApp that only acks (`/campaign` and any block action), served by aiohttp as the
    bot's endpoint is; yields its events URL. `api_url` is the fake Slack (Bolt's auth.test)."""
    app = AsyncApp(
        signing_secret=SIGNING_SECRET,
        client=AsyncWebClient(token=BOT_TOKEN, base_url=api_url),
    )

    @app.command("/campaign")
    async def ack_only(ack: Any) -> None:
        await ack()

    @app.action(re.compile(".*"))
    async def ack_action(ack: Any) -> None:
        await ack()

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", handle)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/slack/events"
    finally:
        await runner.cleanup()
