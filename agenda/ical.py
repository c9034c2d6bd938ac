"""iCalendar (RFC 5545) text, written by hand: escaped text values, lines folded at 75 octets, CRLF line ends,
all-day events as DATE values and moments in UTC."""
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

PRODID = "-//CSO Grants//Calendar feed//EN"
_FOLD_AT = 75  # octets per line, line break excluded


@dataclass(frozen=True)
class Event:
    uid: str  # stable: the same event keeps its UID in every feed and every fetch
    summary: str
    description: str = ""
    day: date | None = None  # an all-day event ...
    moment: datetime | None = None  # ... or a point in time (aware)


def escape_text(value) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, line breaks as \\n, other control
    characters dropped."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    return "".join(c for c in text if c >= " " and c != "\x7f")


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets, never inside a UTF-8 character; each continuation
    starts with a space."""
    parts, current, size, limit = [], [], 0, _FOLD_AT
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, _FOLD_AT - 1  # the leading space takes one octet
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event_lines(event: Event, stamp: str) -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{escape_text(event.uid)}", f"DTSTAMP:{stamp}"]
    if event.day is not None:
        lines += [f"DTSTART;VALUE=DATE:{event.day:%Y%m%d}", f"DTEND;VALUE=DATE:{event.day + timedelta(days=1):%Y%m%d}"]
    else:
        lines.append(f"DTSTART:{_utc(event.moment)}")  # no end: the event is that instant
    lines += [f"SUMMARY:{escape_text(event.summary)}", "TRANSP:TRANSPARENT"]
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    lines.append("END:VEVENT")
    return lines


def calendar(events, *, name: str, now: datetime) -> str:
    """The whole VCALENDAR of `events`, stamped `now`."""
    stamp = _utc(now)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape_text(name)}"]
    for event in events:
        lines += _event_lines(event, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
