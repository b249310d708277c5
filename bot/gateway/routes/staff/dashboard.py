"""The dashboard: figures for a period and three server-rendered SVG charts of the same figures.

A console view asks for the figures and then for the three charts; the charts reuse the figures
(`DashboardCache`), so a view scans the tracker store once.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from bot.staff.charts import bar_chart
from bot.staff.context import StaffContext

from .deps import Staff, StaffUserDep
from .schemas import errors

router = APIRouter(prefix="/api", tags=["staff: Übersicht"])
Days = Query(30, ge=1, le=366, description="The period: the last `days` days.")
ChartName = Literal["messages", "intents", "ratings"]
SVG_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class DayMessages(BaseModel):
    day: str = Field(..., description="YYYY-MM-DD in the service's time zone.")
    web: int
    telegram: int
    api: int
    other: int


class IntentCount(BaseModel):
    intent: str
    count: int


class DayRatings(BaseModel):
    day: str
    up: int
    down: int


class RatingsOut(BaseModel):
    up: int
    down: int
    per_day: list[DayRatings]


class DayCount(BaseModel):
    day: str
    count: int


class HandoffsOut(BaseModel):
    total: int
    per_day: list[DayCount]
    wait_median_seconds: int | None = Field(None, description="From joining the queue to being taken.")
    wait_p90_seconds: int | None
    abandoned: int = Field(..., description="Left the queue before anyone took them.")
    callbacks: int = Field(..., description="Callback requests left.")
    handling_median_seconds: int | None = Field(None, description="From being taken to the end.")


class DashboardOut(BaseModel):
    days: int
    total: int
    messages_per_day: list[DayMessages]
    top_intents: list[IntentCount]
    fallback_rate: float
    low_confidence_rate: float
    ratings: RatingsOut
    handoffs: HandoffsOut


def figures(ctx: StaffContext, days: int, *, fresh: bool) -> dict[str, Any]:
    return ctx.dashboards.get(
        ctx.tracker, ctx.staff, days, ctx.settings.low_confidence, ctx.settings.timezone, fresh=fresh
    )


@router.get(
    "/dashboard", response_model=DashboardOut, summary="Figures for the last `days` days", responses=errors(401)
)
def dashboard_data(_user: StaffUserDep, ctx: Staff, days: int = Days) -> DashboardOut:
    return DashboardOut(**figures(ctx, days, fresh=True))


def chart_svg(name: ChartName, data: dict[str, Any]) -> str:
    if name == "messages":
        rows = data["messages_per_day"]
        return bar_chart(
            f"Nachrichten pro Tag und Kanal (letzte {data['days']} Tage)",
            [r["day"][5:] for r in rows],
            {
                "Web": [r["web"] for r in rows],
                "Telegram": [r["telegram"] for r in rows],
                "API": [r["api"] for r in rows],
            },
        )
    if name == "intents":
        rows = data["top_intents"]
        return bar_chart(
            "Häufigste Absichten", [r["intent"] for r in rows], {"Nachrichten": [r["count"] for r in rows]}
        )
    rows = data["ratings"]["per_day"]
    return bar_chart(
        "Bewertungen pro Tag",
        [r["day"][5:] for r in rows],
        {"hilfreich": [r["up"] for r in rows], "nicht hilfreich": [r["down"] for r in rows]},
    )


@router.get(
    "/charts/{name}.svg",
    response_class=Response,
    summary="A dashboard chart (SVG) of the same figures",
    responses={200: {"content": {"image/svg+xml": {}}}, **errors(401)},
)
def chart(name: ChartName, _user: StaffUserDep, ctx: Staff, days: int = Days) -> Response:
    svg = chart_svg(name, figures(ctx, days, fresh=False))
    return Response(svg, media_type="image/svg+xml", headers=SVG_HEADERS)
