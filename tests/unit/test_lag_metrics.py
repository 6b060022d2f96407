"""The load generator's reading of the server's loop-lag histogram from ``/metrics`` text."""

from __future__ import annotations

from bench import lag_metrics

BOUNDS = ["0.0005", "0.001", "0.002", "0.003", "0.005", "0.0075", "0.01", "0.015", "0.025",
          "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "+Inf"]  # fmt: skip


def scrape(counts: list[int]) -> str:
    """Prometheus text of the histogram with these per-bucket (not cumulative) counts."""
    lines = ["# HELP whiteboard_event_loop_lag_seconds lag", "# TYPE ... histogram"]
    total = 0
    for le, n in zip(BOUNDS, counts, strict=True):
        total += n
        lines.append(f'whiteboard_event_loop_lag_seconds_bucket{{le="{le}"}} {float(total)}')
    lines.append(f"whiteboard_event_loop_lag_seconds_count {float(total)}")
    lines.append('other_metric_bucket{le="0.001"} 5.0')
    return "\n".join(lines) + "\n"


def test_the_window_is_the_difference_of_two_scrapes() -> None:
    before = scrape([100] + [0] * 15)  # 100 tiny lags before the window: not counted
    after = scrape([100, 0, 98, 0, 0, 0, 0, 0, 2] + [0] * 7)
    lag = lag_metrics.lag_ms(before, after)
    assert lag["p50"] is not None and 1.0 < lag["p50"] <= 2.0  # inside the (1, 2] ms bucket
    assert lag["p99"] is not None and 15.0 < lag["p99"] <= 25.0


def test_a_server_without_the_metric_gives_none() -> None:
    assert lag_metrics.lag_ms(None, None) == {"p50": None, "p99": None}
    assert lag_metrics.lag_ms("up 1\n", "up 1\n") == {"p50": None, "p99": None}


def test_lags_past_the_last_bound_report_that_bound() -> None:
    lag = lag_metrics.lag_ms(None, scrape([0] * 15 + [10]))
    assert lag == {"p50": 2500.0, "p99": 2500.0}


def test_the_worst_lag_is_bounded_by_the_highest_bucket_that_gained() -> None:
    before = scrape([5] + [0] * 8 + [1] + [0] * 6)  # a 50 ms lag before the window: not counted
    after = scrape([105, 0, 3, 0, 0, 0, 0, 0, 1, 1] + [0] * 6)
    assert lag_metrics.max_ms(before, after) == 25.0
    assert lag_metrics.max_ms(after, after) is None
    assert lag_metrics.max_ms(None, None) is None
