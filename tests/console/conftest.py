"""The console in real Chromium: a seeded demo behind `hub serve`, driven by Playwright.

Every page is opened with requests to any other origin refused and recorded; a test that made one fails.
Screenshots go to the test's temporary folder, or to docs/console when HUB_CONSOLE_SCREENSHOTS=1
(that is how the README's pictures are made).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright
from pymongo import MongoClient

from hub.keys.ring import KeyRing
from hub.auth import tokens
from tests.conftest import free_port
from tests.processes import HUB, hub_env, run_hub, wait_for_status

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# As the machine's probe starts it: without the background-networking flags Chromium calls out at start.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SECRET = "console-test-secret-key-not-for-production"
SCALE = 200  # demo cases: enough for an escalated petitioner, a few seconds to load
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"


@dataclass
class DemoHub:
    """`hub serve` over a freshly seeded demo database."""

    base: str
    database: str
    store_url: str

    def token(self, agency: str, *, user: str = "测试员", roles: tuple[str, ...] = (),
              ttl: timedelta = timedelta(hours=1)) -> str:
        """A token this hub accepts."""
        return tokens.issue(keys=KeyRing(SECRET), agency_code=agency, user=user, roles=list(roles), ttl=ttl)

    def db(self) -> MongoClient:
        """A plain driver client, to check what landed."""
        return MongoClient(self.store_url, tz_aware=True)


@pytest.fixture(scope="package")
def demo_hub(store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoHub]:
    """The demo district seeded through `hub seed`, served by `hub serve` as a process."""
    if not (Path(__file__).resolve().parents[2] / "console" / "dist" / "index.html").is_file():
        pytest.fail("the console is not built: run `make test`, which builds it")
    home = tmp_path_factory.mktemp("console-hub")
    database = f"console_{uuid.uuid4().hex[:8]}"
    port = free_port()
    env = hub_env(HUB_MONGODB_URL=store_url, HUB_DB=database, HUB_DATA_DIR=str(home), HUB_PORT=str(port),
                  HUB_SECRET_KEY=SECRET)
    seeded = run_hub("seed", "--scale", str(SCALE), env=env, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    log = (home / "serve.log").open("w")
    server = subprocess.Popen([HUB, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_status(f"http://127.0.0.1:{port}/readyz", 200, within=30)
        yield DemoHub(base=f"http://127.0.0.1:{port}", database=database, store_url=store_url)
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()
        MongoClient(store_url).drop_database(database)


@pytest.fixture(scope="package")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    assert CHROMIUM, "Debian's chromium is not installed: run `make test`, which installs it"
    async with async_playwright() as playwright:
        playwright.selectors.set_test_id_attribute("data-test")
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        await chromium.close()


@dataclass
class Offline:
    """Requests refused because they went to another origin than the hub."""

    refused: list[str] = field(default_factory=list)


@pytest.fixture
def offline() -> Offline:
    return Offline()


@pytest.fixture
async def context(browser: Browser, demo_hub: DemoHub, offline: Offline) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile (no cookies) that may reach the hub and nothing else."""
    ctx = await browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True,
                                    viewport={"width": 1366, "height": 900})

    async def guard(route: Route) -> None:
        url = route.request.url
        if url.startswith(demo_hub.base) or url.startswith(("data:", "blob:")):
            await route.continue_()
        else:
            offline.refused.append(url)
            await route.abort("blockedbyclient")

    await ctx.route("**/*", guard)
    yield ctx
    await ctx.close()
    assert offline.refused == [], f"pages asked for outside addresses: {offline.refused}"


@pytest.fixture
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    """A tab whose script errors fail the test."""
    tab = await context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    assert errors == [], f"script errors on the page: {errors}"


Shot = Callable[[Page, str], object]


@pytest.fixture
def shot(tmp_path: Path) -> Callable[[Page, str], object]:
    """Take a screenshot named `name`; into docs/console when HUB_CONSOLE_SCREENSHOTS=1."""
    folder = SHOTS if os.environ.get("HUB_CONSOLE_SCREENSHOTS") == "1" else tmp_path

    async def take(page: Page, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000, "the screenshot is blank"
        return path

    return take


async def sign_in(page: Page, demo_hub: DemoHub, token: str, *, at: str = "/console/") -> None:
    """Sign in through the sign-in page, as a user pastes the token."""
    await page.goto(f"{demo_hub.base}{at}")
    await page.get_by_test_id("token").fill(token)
    await page.get_by_test_id("sign-in").click()
    await page.get_by_test_id("who").wait_for()
