"""`digestbot bench interactive` runs end to end with two people."""

from __future__ import annotations

import re

import pytest

from bench.interactive import interactive_benchmark


def test_bench_interactive_prints_the_waits_of_both_rounds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert interactive_benchmark(users=2, postgres_url=None) == 0
    out = capsys.readouterr().out
    assert "cores:" in out
    assert "load average" in out
    for name in ("/topic", "More"):
        line = next(line for line in out.splitlines() if line.startswith(name))
        assert "answered    2 of 2" in line
        for field in ("p50", "p95", "max", "bound", "p95/bound", "429 answers"):
            assert re.search(rf"{re.escape(field)}:? +[\d.]+", line), (field, line)
