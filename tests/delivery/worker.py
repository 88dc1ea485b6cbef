"""A deliverer in a process of its own, for the tests that race two of them on one database.

Usage: python -m tests.delivery.worker DATABASE_URL SCHEMA|- SLACK_API_URL OWNER
Prints the keys it sent, as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys

import aiohttp

from bot.campaigns.queries import CampaignQueries
from bot.core.settings import Settings
from bot.delivery.deliverer import Deliverer
from bot.runtime.slack import build_slack_client
from commands.delivery.messenger import SlackMessenger
from store.engine import create_engine
from tests.fakes.fixtures import BOT_TOKEN


async def main(url: str, schema: str, api_url: str, owner: str) -> list[str]:
    if schema != "-":
        engine = create_engine(url, connect_args={"server_settings": {"search_path": schema}})
    else:
        engine = create_engine(url)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=api_url,
        campaign_admins="UADMIN",
    )
    try:
        async with aiohttp.ClientSession() as session:
            messenger = SlackMessenger(build_slack_client(settings, session))
            deliverer = Deliverer(
                engine, messenger, CampaignQueries(engine, settings), owner=owner, batch=3
            )
            outcomes = await deliverer.run_once()
    finally:
        await engine.dispose()
    return [outcome.notice.key for outcome in outcomes if outcome.state == "sent"]


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(*sys.argv[1:5]))))
