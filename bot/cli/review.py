"""`campaignbot review [secrets | code] [--json]`: the same review as `/campaign review` — open
alerts, repositories affected, and the urgent slices with their counts and queries, ready for
`campaignbot preview` or `campaignbot create`."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import JsonOption, app, emit, fail, run_with_services
from bot.core.models import AlertKind
from bot.core.text import counted
from bot.playbooks.review import Review, ReviewService, Section
from bot.services import Services

TOPICS = {
    None: None,
    "all": None,
    "secrets": AlertKind.SECRET,
    "secret": AlertKind.SECRET,
    "code": AlertKind.CODE,
}
TITLES = {AlertKind.SECRET: "Secret scanning", AlertKind.CODE: "Code scanning"}


@app.command("review")
def review(
    topic: Annotated[
        str | None, typer.Argument(help="secrets or code; both when left out.", show_default=False)
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Open alerts, repositories affected, and the urgent slices with their counts and queries."""
    wanted = topic.lower() if topic is not None else None
    if wanted not in TOPICS:
        fail(f"unknown review “{topic}”: say secrets or code, or nothing for both")
    kind = TOPICS[wanted]

    async def work(services: Services) -> Review:
        reviewer = services.review or ReviewService(services.engine, services.clock)
        return await reviewer.review(kind)

    found = run_with_services(work)
    if as_json:
        emit(found.model_dump(mode="json"))
        return
    for line in _lines(found):
        typer.echo(line)


def _open(count: int, kind: AlertKind | None) -> str:
    return counted(count, f"open {kind.value} alert" if kind is not None else "open alert")


def _lines(found: Review) -> list[str]:
    if not found.open_alerts:
        return [f"no {_open(0, found.kind).removeprefix('0 ')}: nothing to review"]
    repositories = counted(found.repositories, "repository", "repositories")
    lines = [f"{_open(found.open_alerts, found.kind)} in {repositories}"]
    for section in found.sections:
        lines += ["", *_section(section)]
    return lines


def _section(section: Section) -> list[str]:
    repositories = counted(section.repositories, "repository", "repositories")
    lines = [
        f"{TITLES[section.kind]}: {_open(section.open_alerts, section.kind)} in {repositories}"
        f"  ({section.query})"
    ]
    if section.note:
        lines.append(f"  {section.note}")
    for group in section.groups:
        lines.append(f"  {group.title}")
        for each in group.slices:
            lines.append(f"    {each.count:>6}  {each.title}")
            lines.append(f"            {each.query}")
            if each.note:
                lines.append(f"            note: {each.note}")
    return lines
