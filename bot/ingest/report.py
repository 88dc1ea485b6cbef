"""What an import wrote, per file and in total, as `campaignbot import` prints it."""

from __future__ import annotations

from pydantic import BaseModel, computed_field

from bot.ingest.documents import FileKind


class FileSummary(BaseModel):
    path: str
    kind: FileKind
    records: int


class ImportReport(BaseModel):
    """What an import wrote: per file, and in total."""

    files: list[FileSummary]
    repositories: int = 0
    properties: int = 0
    """Repositories whose custom property values were set."""
    code: int = 0
    secret: int = 0
    inserted: int = 0
    updated: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def alerts(self) -> int:
        return self.code + self.secret

    def summary(self) -> str:
        lines = [f"{f.path}: {f.records:,} {f.kind}" for f in self.files]
        lines.append(
            f"imported {self.alerts:,} alerts ({self.code:,} code, {self.secret:,} secret; "
            f"{self.inserted:,} new, {self.updated:,} updated), "
            f"{self.repositories:,} repositories, "
            f"custom properties of {self.properties:,} repositories"
        )
        return "\n".join(lines)
