"""What talent hands to other apps (the portal's personal center)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TalentSummaryData:
    """A person's standing in the talent database, for the personal center."""

    opted_in: bool  # consent given and not withdrawn
    searchable: bool  # opted in and holding a certificate: employers can find them now
    open_requests: int  # contact requests waiting for their answer
    url: str  # their talent page
