"""What the staff tools work on: settings plus engines for the tracker store and the staff database."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from .dashboard import DashboardCache
from .settings import StaffSettings
from .tables import connect, engine_for


@dataclass
class StaffContext:
    settings: StaffSettings
    tracker: sa.engine.Engine
    staff: sa.engine.Engine
    dashboards: DashboardCache = field(default_factory=DashboardCache)

    @classmethod
    def open(cls, settings: StaffSettings) -> StaffContext:
        tracker = engine_for(settings.tracker_database_url)
        return cls(settings, tracker, connect(settings.staff_database_url))

    def close(self) -> None:
        self.tracker.dispose()
        self.staff.dispose()
