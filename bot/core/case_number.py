"""Case numbers ("Aktenzeichen"): two or three letters, the year, six digits — BA-2025-004711."""

from __future__ import annotations

import re

# Tolerant: any case, dashes, spaces, dots, slashes or nothing between the parts.
CASE_NUMBER_PATTERN = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2,3})[\s\-./]*((?:19|20)\d{2})[\s\-./]*(\d{6})(?![0-9])")


def find_case_numbers(text: str) -> list[tuple[int, int, str]]:
    """(start, end, normalised value) for every case number in the text."""
    return [
        (m.start(), m.end(), f"{m.group(1).upper()}-{m.group(2)}-{m.group(3)}")
        for m in CASE_NUMBER_PATTERN.finditer(text)
    ]


def normalize_case_number(text: str) -> str | None:
    """The normalised case number when the whole text is one, else None."""
    found = CASE_NUMBER_PATTERN.fullmatch(text.strip())
    if found is None:
        return None
    return f"{found.group(1).upper()}-{found.group(2)}-{found.group(3)}"
