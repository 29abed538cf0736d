"""`digestbot bench memory` runs end to end on a small population."""

from __future__ import annotations

import pytest

from bench.memory import memory_benchmark


def test_bench_memory_prints_the_peak_rss_of_one_tick(capsys: pytest.CaptureFixture[str]) -> None:
    assert memory_benchmark(300, None, articles=100) == 0
    out = capsys.readouterr().out
    assert "peak RSS" in out
    assert "300 digests planned" in out
