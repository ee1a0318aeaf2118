"""Time until the console is usable, in Debian's Chromium, against a running store's data.

    .venv/bin/python -m bench.console --url mongodb://127.0.0.1:27018/ [--db mediation_hub] [--runs 10] [--secret S]

Starts `hub serve` against the data, signs in as the district's coordination centre (QH-CC), then
opens, `--runs` times each in a fresh tab with the browser's cache warm (a returning user), and once
cold before them (a first visit):
- 案件全景: /console/cases/<the case nearest 50 records>, usable when its timeline is on screen
  (the page's `hub:case-view-usable` mark);
- 分析研判: /console/analysis (the district, the last 12 months, by township), usable when its first
  chart has drawn (ECharts' `finished` event: the `hub:dashboard-usable` mark); the region's early
  warnings arrive after that (`hub:warnings-shown`), and are waited for before the next visit.
Times are the marks' `startTime`: milliseconds since the navigation started, from Chromium's own
performance timeline. Prints the cold figure, p50 and p99 of the warm ones, and where the time goes
(the page's JavaScript arrived and ran: domContentLoaded; the GraphQL requests: resource timing).
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
from typing import Any

from playwright.async_api import Page, async_playwright
from pymongo import MongoClient

from bench.common import percentile, read_args, serving_process
from hub.keys.ring import KeyRing
from hub.auth import tokens
from datetime import timedelta

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
TIMING = """(mark) => {
  const nav = performance.getEntriesByType('navigation')[0];
  const gql = performance.getEntriesByType('resource').filter((r) => r.name.endsWith('/graphql'));
  return { usable: performance.getEntriesByName(mark)[0].startTime, dom: nav.domContentLoadedEventEnd,
           graphql: gql.map((r) => [r.startTime, r.responseEnd]) };
}"""


async def visit(page: Page, url: str, mark: str, settled: str | None) -> dict[str, Any]:
    """Open url and wait for the page's usable mark; Chromium's timings of that visit.

    With `settled`, also wait for that page's last mark, so that no visit's requests still run on
    the server while the next one is timed.
    """
    await page.goto(url)
    await page.wait_for_function(f"performance.getEntriesByName('{mark}').length > 0", timeout=600_000)
    timing = await page.evaluate(TIMING, mark)
    if settled:
        await page.wait_for_function(f"performance.getEntriesByName('{settled}').length > 0", timeout=600_000)
        timing["settled"] = await page.evaluate(f"performance.getEntriesByName('{settled}')[0].startTime")
    return timing


def report(name: str, cold: dict[str, Any], warm: list[dict[str, Any]]) -> None:
    usable = [w["usable"] for w in warm]
    dom = statistics.median(w["dom"] for w in warm)
    slowest = statistics.median(max((end for _, end in w["graphql"]), default=0) - min(
        (start for start, _ in w["graphql"]), default=0) for w in warm)
    print(f"{name}: cold {cold['usable']:.0f} ms; warm p50 {statistics.median(usable):.0f} ms, "
          f"p99 {percentile(usable, 99):.0f} ms (n={len(usable)}); DOM ready p50 {dom:.0f} ms, "
          f"GraphQL requests p50 {slowest:.0f} ms from first sent to last answered")
    if "settled" in cold:
        print(f"  {name}, its early warnings on screen: cold {cold['settled']:.0f} ms, "
              f"warm p50 {statistics.median(w['settled'] for w in warm):.0f} ms")


async def measure(base: str, token: str, case_no: str, runs: int) -> None:
    """Cold once, then warm `runs` times, for each view."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        context = await browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                            viewport={"width": 1366, "height": 900})
        answer = await context.request.post(f"{base}/console/session", data={"token": token},
                                            headers={"X-Hub-Console": "1"})
        assert answer.ok, await answer.text()
        views = {"案件全景 case view": (f"{base}/console/cases/{case_no}", "hub:case-view-usable", None),
                 "分析研判 dashboard": (f"{base}/console/analysis", "hub:dashboard-usable", "hub:warnings-shown")}
        for name, (url, mark, settled) in views.items():
            samples = []
            for _ in range(runs + 1):
                page = await context.new_page()
                samples.append(await visit(page, url, mark, settled))
                await page.close()
            report(name, samples[0], samples[1:])
        await browser.close()


def main() -> None:
    """Command-line entry."""
    args = read_args(__doc__ or "", runs=10)
    db = MongoClient(args.url, tz_aware=True)[args.db]
    sizes = list(db.cases.find({}, {"case_no": 1, "record_count": 1}))
    target = min(sizes, key=lambda c: abs(c.get("record_count", 0) - 50))
    print(f"data: {len(sizes)} cases; case {target['case_no']} has {target['record_count']} records")
    token = tokens.issue(keys=KeyRing(args.secret), agency_code="QH-CC", user="bench", roles=[], ttl=timedelta(hours=2))
    with serving_process(args) as (http, _):
        asyncio.run(measure(str(http.base_url).rstrip("/"), token, target["case_no"], args.runs))


if __name__ == "__main__":
    main()
