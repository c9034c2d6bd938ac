import io

import pytest
from django.core.management import call_command

from demo.management.commands.bench_pages import PAGES


@pytest.mark.django_db(transaction=True)  # the command creates and destroys its own scratch database
def test_bench_pages_times_every_page_with_a_200():
    out = io.StringIO()
    call_command(
        "bench_pages", "--sizes", "30", "--grants", "6", "--payments", "30", "--runs", "2", "--warmups", "1", stdout=out,
    )
    lines = out.getvalue().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("page "))
    rows = {line.split()[0]: line.split() for line in lines[header + 1:] if line.strip()}
    assert set(rows) == set(PAGES)
    assert all(row[1] == "30" and int(row[4].rstrip("!")) > 0 and row[-1] == "200" for row in rows.values())


@pytest.mark.django_db(transaction=True)
def test_bench_pages_times_only_the_pages_asked_and_gives_each_ratio():
    out = io.StringIO()
    call_command(
        "bench_pages", "--sizes", "10,20", "--grants", "4", "--payments", "8", "--runs", "1", "--warmups", "0",
        "--page", "ranking", "--page", "api_grants", stdout=out,
    )
    text = out.getvalue()
    assert "built 20 applications, 1020 scores" in text
    ratios = text.split("median at 20 / median at 10 applications")[1].split()
    assert ratios[0::2] == ["ranking", "api_grants"]
