"""Identifiers published in open data (IATI, 360Giving).

IATI's rulesets forbid `/ & | ?` in identifiers (they break the URLs that cite them), and 360Giving expects the same
identifiers to be stable and URL-safe; both exports build every identifier through `open_data_id`.
"""
import re

_FORBIDDEN = re.compile(r"[/&|?\s]+")


def open_data_id(*parts) -> str:
    """Join `parts` with '-' after replacing each run of `/ & | ?` or whitespace by a single '-'.

    >>> open_data_id("NP-SWC", "12/34 a")
    'NP-SWC-12-34-a'
    """
    cleaned = (_FORBIDDEN.sub("-", str(part).strip()).strip("-") for part in parts)
    return "-".join(part for part in cleaned if part)
