"""The server's own event-loop lag, read from its Prometheus ``/metrics`` histogram.

Why from the server: the load generator sees latency end to end, which mixes the server's
loop, the kernel and the generator's own loop. The server measures its loop lag with a periodic
callback (``whiteboard_event_loop_lag_seconds``); scraping it at the start and at the end of the
measuring window and subtracting the buckets gives the lag of exactly that window. A server
without the metric (the baseline relay, an older build) gives None.

Stdlib only, like the load generator: it must work against any server.
"""

from __future__ import annotations

import math
import urllib.error
import urllib.request

LAG_METRIC = "whiteboard_event_loop_lag_seconds"

Buckets = dict[float, float]
"""Upper bound (``le``, seconds, +inf included) -> cumulative count."""


def fetch(url: str, timeout: float = 5) -> str | None:
    """The text of ``{url}/metrics``, or None when the server has none."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/metrics", timeout=timeout) as resp:
            text: str = resp.read().decode("utf-8", "replace")
            return text
    except (OSError, urllib.error.URLError, ValueError):
        return None


def buckets(text: str | None, metric: str = LAG_METRIC) -> Buckets | None:
    """The histogram's cumulative buckets summed over its label sets, or None if absent."""
    if text is None:
        return None
    out: Buckets = {}
    prefix = metric + "_bucket{"
    for line in text.splitlines():
        if not line.startswith(prefix):
            continue
        labels, _, value = line[len(prefix) :].partition("}")
        le = None
        for pair in labels.split(","):
            key, _, raw = pair.partition("=")
            if key.strip() == "le":
                le = raw.strip().strip('"')
        if le is None:
            continue
        bound = math.inf if le in ("+Inf", "inf", "Inf") else float(le)
        out[bound] = out.get(bound, 0.0) + float(value.split()[0])
    return out or None


def quantile(before: Buckets | None, after: Buckets | None, q: float) -> float | None:
    """The q-quantile (seconds) of what was observed between the two scrapes, interpolated
    within its bucket as Prometheus' ``histogram_quantile`` does; None without data. A rank
    in the +Inf bucket answers the largest finite bound (the lag was at least that)."""
    if after is None:
        return None
    bounds = sorted(after)
    cum = [after[b] - (before or {}).get(b, 0.0) for b in bounds]
    total = cum[-1] if cum else 0.0
    if total <= 0:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for bound, count in zip(bounds, cum, strict=True):
        if count >= rank:
            if math.isinf(bound):
                return lower
            inside = count - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = bound, count
    return lower


def lag_ms(before: str | None, after: str | None) -> dict[str, float | None]:
    """p50 and p99 of the server's loop lag in the window, in ms (None: no metric)."""
    b, a = buckets(before), buckets(after)
    out: dict[str, float | None] = {}
    for name, q in (("p50", 0.5), ("p99", 0.99)):
        v = quantile(b, a, q) if a is not None else None
        out[name] = None if v is None else round(v * 1000, 3)
    return out


def max_ms(before: str | None, after: str | None) -> float | None:
    """The upper bound of the highest bucket that gained a sample in the window, in ms: the
    worst lag was at most this (and above the bucket below). None: no metric or no sample."""
    b, a = buckets(before), buckets(after)
    if a is None:
        return None
    worst = None
    below = 0.0
    for bound in sorted(a):
        count = a[bound] - (b or {}).get(bound, 0.0)
        if count > below:
            worst = bound
        below = count
    return None if worst is None else (math.inf if math.isinf(worst) else round(worst * 1000, 3))
