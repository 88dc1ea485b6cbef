"""What a sync pass reports: per list, in total, and the malformed records it skipped."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Skipped(BaseModel):
    """A record GitHub sent that could not be read."""

    list: str
    repository: str | None = None
    number: int | None = None
    reason: str


class ListReport(BaseModel):
    pages: int = 0
    not_modified: int = 0
    items: int = 0
    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    stopped_early: bool = False
    seconds: float = 0.0
    """Wall time spent on the list (a team list includes its teams' repository lists)."""


class SyncReport(BaseModel):
    org: str
    full: bool
    complete: bool = False
    repositories: ListReport = Field(default_factory=ListReport)
    repositories_gone: list[str] = Field(default_factory=list)
    repositories_restored: list[str] = Field(default_factory=list)
    property_values: ListReport = Field(default_factory=ListReport)
    teams: ListReport = Field(default_factory=ListReport)
    writers: ListReport = Field(default_factory=ListReport)
    code_alerts: ListReport = Field(default_factory=ListReport)
    secret_alerts: ListReport = Field(default_factory=ListReport)
    skipped: list[Skipped] = Field(default_factory=list)
    skipped_total: int = 0
    changed_alerts: int = 0
    requests: int = 0
    not_modified: int = 0
    notes: list[str] = Field(default_factory=list)
    linked_by_email: list[str] = Field(default_factory=list)
    """Writers linked to Slack users by their public e-mail after the pass (`login → U…`)."""

    def summary(self) -> str:
        """What `campaignbot sync` prints without `--json`."""
        mode = "full" if self.full else "incremental"
        lines = [
            f"{mode} sync of {self.org}: "
            + ("complete" if self.complete else "INCOMPLETE")
            + f", {self.requests} requests ({self.not_modified} answered 304 Not Modified)",
        ]
        for name in (
            "repositories",
            "property_values",
            "teams",
            "code_alerts",
            "secret_alerts",
            "writers",
        ):
            part: ListReport = getattr(self, name)
            early = ", stopped at known alerts" if part.stopped_early else ""
            lines.append(
                f"  {name.replace('_', ' ')}: {part.items} read on {part.pages} pages "
                f"({part.not_modified} unchanged){early}"
            )
        lines.append(f"  alerts changed: {self.changed_alerts}")
        if self.linked_by_email:
            lines.append(f"  linked by e-mail: {', '.join(self.linked_by_email)}")
        if self.repositories_gone:
            lines.append(f"  gone from GitHub: {', '.join(self.repositories_gone)}")
        if self.repositories_restored:
            lines.append(f"  back on GitHub: {', '.join(self.repositories_restored)}")
        if self.skipped_total:
            lines.append(f"  skipped {self.skipped_total} malformed records:")
            lines += [
                f"    {s.list} {s.repository or '?'}#{s.number if s.number is not None else '?'}:"
                f" {s.reason}"
                for s in self.skipped
            ]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)
