"""Where benchmark figures go: the machine, and rows appended to docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from bot.infra.paths import REPO_ROOT

REPORT = REPO_ROOT / "docs" / "benchmarks.md"


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}"


def p50_p95(latencies: list[float]) -> tuple[float, float]:
    """Median and 95th percentile (nearest rank below) of latencies."""
    ordered = sorted(latencies)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def commit_id() -> str:
    """The short hash of HEAD, or "–" outside a git checkout."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "–"


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def append_row(section: str, header: str, row: str, intro: str = "", report: Path = REPORT) -> None:
    """Append `row` to the table of `section`, creating section and table when missing."""
    text = report.read_text(encoding="utf-8") if report.exists() else "# Benchmarks\n"
    marker = f"<!-- {section}: rows appended below -->"
    if marker not in text:
        columns = header.count("|") - 1
        text = (
            text.rstrip("\n") + f"\n\n## {section}\n\n{intro}\n\n{marker}\n{header}\n" + "|" + "---|" * columns + "\n"
        )
    head, tail = text.split(marker, 1)
    lines = tail.split("\n")
    # the table ends at the first blank line after the header
    end = next((i for i, line in enumerate(lines[1:], start=1) if not line.strip()), len(lines))
    lines.insert(end, row)
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(head + marker + "\n".join(lines), encoding="utf-8")
