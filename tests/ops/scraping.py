"""Reading GET /metrics as Prometheus does: the page parsed with prometheus_client's own
parser, its samples by name and labels."""

from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT

GUIDE = ROOT / "docs" / "deploying.md"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape_config() -> dict[str, object]:
    """The scrape job docs/deploying.md's monitoring section shows (its first YAML block that
    holds `scrape_configs`)."""
    for block in re.findall(r"```yaml\n(.*?)```", GUIDE.read_text(), flags=re.S):
        config = yaml.safe_load(block)
        if isinstance(config, dict) and "scrape_configs" in config:
            [job] = config["scrape_configs"]
            return dict(job)
    raise AssertionError("docs/deploying.md shows no Prometheus scrape config")


def scrape_url(job: dict[str, object], port: int) -> str:
    """Where Prometheus would scrape the job, on `port` in place of the guide's 3000."""
    statics: list[dict[str, list[str]]] = job["static_configs"]  # type: ignore[assignment]
    [static] = statics
    [target] = static["targets"]
    host, _, guide_port = str(target).rpartition(":")
    assert guide_port == "3000", target
    scheme = job.get("scheme", "http")
    return f"{scheme}://{host}:{port}{job.get('metrics_path', '/metrics')}"


def parse(page: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def scrape(url: str, headers: dict[str, str] | None = None) -> Samples:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.headers["Content-Type"].startswith("text/plain")
        return parse(answer.read().decode())


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 when the series is not there yet (a counter not yet counted)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every series of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, found), v in samples.items() if n == name and wanted <= found)


def wait_for(
    url: str,
    condition: Callable[[Samples], bool],
    timeout: float = 30,
    what: str = "",
    *,
    connection_errors: bool = False,
) -> Samples:
    """Scrape until `condition` holds (another process's work, not a schedule);
    `connection_errors`: the server may not listen yet."""
    deadline = time.monotonic() + timeout
    samples: Samples = {}
    while True:
        try:
            samples = scrape(url)
        except OSError:
            if not connection_errors or time.monotonic() > deadline:
                raise
            time.sleep(0.1)
            continue
        if condition(samples):
            return samples
        if time.monotonic() > deadline:
            raise AssertionError(f"/metrics never showed {what}: {sorted(samples)}")
        time.sleep(0.1)


def multiprocess_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("*.db"))
