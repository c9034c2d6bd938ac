"""Recompute every programme's envelope figures from the ledger rows, bypassing the cache, and compare them with the
cached ones (the envelope position, and today's dashboard in each language it is cached in). The ledger is the
source of truth: any difference is printed and the command exits non-zero. The position and the dashboard hold net
figures (paid, recovered from grantees, disbursed net), so a recovery missing from a cached set is found too; each
programme's net figures from the rows are printed."""
from dataclasses import replace
from difflib import unified_diff

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from grants.selectors import envelope_position_from_rows, figures_key, programmes_with_envelope

from ...dashboard import dashboard_from_rows, dashboard_key, export_rows


def _lines(figures):
    return [repr(row) for row in figures]


class Command(BaseCommand):
    help = "Compare the cached envelope figures with figures recomputed from the ledger rows; exit 1 on any difference."

    def add_arguments(self, parser):
        parser.add_argument("--programme", help="Programme code (default: every programme with an envelope).")

    def handle(self, *args, programme=None, **options):
        programmes = programmes_with_envelope()
        if programme:
            programmes = programmes.filter(code__iexact=programme)
        today = timezone.localdate()
        checked, differences = 0, 0
        for p in programmes:
            rows = envelope_position_from_rows(p)
            self.stdout.write(
                f"{p.code}: paid {rows.paid:.2f}, recovered {rows.recovered:.2f}, disbursed net {rows.disbursed:.2f} EUR"
            )
            cached = cache.get(figures_key("position", p))
            if cached is not None:
                checked += 1
                differences += self._compare(
                    f"{p.code} position",
                    _lines(replace(cached, programme=p).as_dict().items()),
                    _lines(rows.as_dict().items()),
                )
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    cached = cache.get(dashboard_key(p, today))
                    if cached is None:
                        continue
                    checked += 1
                    differences += self._compare(
                        f"{p.code} dashboard {today.isoformat()} {language}",
                        _lines(export_rows(replace(cached, programme=p))),
                        _lines(export_rows(dashboard_from_rows(p, as_of=today))),
                    )
        if differences:
            raise CommandError(f"{differences} cached figure set(s) differ from the ledger rows.")
        self.stdout.write(f"{checked} cached figure set(s) match the ledger rows.")

    def _compare(self, name, cached, fresh) -> int:
        if cached == fresh:
            return 0
        self.stdout.write(f"{name}: the cache differs from the rows")
        for line in unified_diff(cached, fresh, "cached", "rows", lineterm="", n=0):
            self.stdout.write(f"  {line}")
        return 1
