"""The review (seed step 1): what the inventory holds and its urgent slices. (Skeleton.)"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine


class ReviewService:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
