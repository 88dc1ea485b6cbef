"""`store.writers.replace_lists`: many repositories' writers replaced in a few statements."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from store import repositories, writers
from tests.builders import repo


async def test_each_list_replaces_its_repository_whole_and_leaves_the_others_alone(
    engine: AsyncEngine,
) -> None:
    names = [f"acme/r{index}" for index in range(620)]  # more ids than one DELETE takes
    async with engine.begin() as conn:
        await repositories.upsert_many(conn, [repo(name) for name in names])
        ids = list((await repositories.ids_by_name(conn, names)).values())
        before = {rid: {"old": "push", f"Keep{rid}": "admin"} for rid in ids}
        await writers.replace_lists(conn, before)

    emptied, changed, untouched = ids[:300], ids[300:610], ids[610:]
    after = {rid: {} for rid in emptied} | {rid: {"New": "maintain"} for rid in changed}
    async with engine.begin() as conn:
        await writers.replace_lists(conn, after)
        stored = await writers.writers_of(conn, ids)

    assert all(rid not in stored or stored[rid] == set() for rid in emptied)
    assert all(stored[rid] == {"new"} for rid in changed)  # logins kept lower-cased
    assert all(stored[rid] == {"old", f"keep{rid}"} for rid in untouched)


async def test_no_lists_changes_nothing(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await repositories.upsert_many(conn, [repo("acme/web")])
        [rid] = (await repositories.ids_by_name(conn, ["acme/web"])).values()
        await writers.replace(conn, rid, {"alice": "push"})
        await writers.replace_lists(conn, {})
        assert await writers.writers_of(conn, [rid]) == {rid: {"alice"}}
