"""``SeriesTable``: the exporter sink's series (counters and gauges) with expiry, as a Prometheus collector.

One family per exposed name: a counter ``x`` is exposed as ``x_total`` (the exposition format's
suffix), a gauge as ``x``. The first sample of a family decides its kind until every series of it
has expired; a sample of the other kind is refused. The table is read by the exposition's server
thread and written by the sink on the event loop, so every access holds one lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal, TypeAlias, final

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from pipeflow.domain.metric_samples import Sample

__all__ = ["Kind", "SeriesTable", "exposed_name"]

Kind: TypeAlias = Literal["counter", "gauge"]
"""A family's type in the exposition."""

_Labels: TypeAlias = tuple[tuple[str, str], ...]


def exposed_name(sample: Sample) -> str:
    """The name a sample's series has in the exposition (``_total`` ends a counter's).

    >>> from pipeflow.domain.metric_samples import Sample
    >>> exposed_name(Sample("hits", (), 1.0, None, True)), exposed_name(Sample("t", (), 1.0, None, False))
    ('hits_total', 't')
    """
    return f"{sample.name.removesuffix('_total')}_total" if sample.counter else sample.name


@dataclass(slots=True)
class _Family:
    kind: Kind
    touched: float
    series: dict[_Labels, tuple[float, float]] = field(default_factory=dict)  # value, updated at


@final
class SeriesTable(Collector):
    """Counters and gauges by exposed name and label set; a series not updated for ``expire_s`` goes.

    ``now`` is the clock (epoch seconds) that stamps updates and judges expiry.
    """

    def __init__(self, *, expire_s: float, now: Callable[[], float]) -> None:
        self._expire_s = expire_s
        self._now = now
        self._lock = threading.Lock()
        self._families: dict[str, _Family] = {}

    def admit(self, sample: Sample) -> str | None:
        """Why ``sample`` cannot be taken (a kind clash, a falling counter), or ``None``, claiming its kind.

        A family claimed here (and not yet written) expires like a series.
        """
        name = exposed_name(sample)
        kind: Kind = "counter" if sample.counter else "gauge"
        if kind == "counter" and not sample.value >= 0:
            return f"a counter only goes up: {sample.value} added to {name}"
        with self._lock:
            now = self._now()
            rival = self._rival(sample, kind)
            if rival is not None:  # unless it has expired meanwhile
                self._expire(now)
                rival = self._rival(sample, kind)
            if rival is not None:
                other = "gauge" if kind == "counter" else "counter"
                return f"{rival} is a {other} here; a {kind} sample named {sample.name} cannot update it"
            self._families.setdefault(name, _Family(kind, now))
        return None

    def _rival(self, sample: Sample, kind: Kind) -> str | None:
        """A family of the other kind that ``sample``'s family would clash with in the exposition.

        A counter ``x`` is exposed as family ``x`` with samples ``x_total``: it clashes with a
        gauge ``x`` or ``x_total``; a gauge ``g`` clashes with a counter ``g`` or ``g_total``.
        """
        base = sample.name.removesuffix("_total")
        if kind == "counter":
            names = [base, f"{base}_total"]
        else:
            names = [f"{sample.name}_total", *([sample.name] if sample.name.endswith("_total") else [])]
        for name in names:
            family = self._families.get(name)
            if family is not None and family.kind != kind:
                return name
        return None

    def apply(self, sample: Sample) -> None:
        """Add a counter's value to its series, set a gauge's, or add a gauge's change (``delta``: to
        its live value, else to 0), after ``admit`` accepted it."""
        name = exposed_name(sample)
        kind: Kind = "counter" if sample.counter else "gauge"
        with self._lock:
            now = self._now()
            family = self._families.setdefault(name, _Family(kind, now))
            if family.kind != kind:
                return  # admit refused it; the runtime dead-lettered it
            family.touched = now
            before = 0.0
            adds = kind == "counter" or sample.delta
            if adds and (last := family.series.get(sample.labels)) is not None:
                before = last[0] if last[1] > now - self._expire_s else 0.0  # an expired one restarts
            family.series[sample.labels] = (before + sample.value, now)

    def collect(self) -> Iterator[Metric]:
        """The live families as ``prometheus_client`` metrics (the collector protocol)."""
        with self._lock:
            self._expire(self._now())
            snapshot = [
                (name, family.kind, list(family.series.items()))
                for name, family in sorted(self._families.items())
                if family.series
            ]
        for name, kind, series in snapshot:
            family = name.removesuffix("_total") if kind == "counter" else name  # the format adds it back
            metric = Metric(family, f"{name}, written by pipeflow", kind)
            for labels, (value, _) in series:
                metric.add_sample(name, dict(labels), value)
            yield metric

    def _expire(self, now: float) -> None:
        horizon = now - self._expire_s
        for name, family in list(self._families.items()):
            family.series = {k: v for k, v in family.series.items() if v[1] > horizon}
            if not family.series and family.touched <= horizon:
                del self._families[name]
