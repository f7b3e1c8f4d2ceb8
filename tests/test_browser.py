"""The evidence browser in a real browser: Debian's headless Chromium driven by Playwright,
against `hair-evidence serve` on a seeded SQLite file, at phone width. Every page visited is
saved as a screenshot under test-output/screenshots/ and checked by axe-core; a console error
(a script or style the content security policy refused, a failed load) fails the test."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.conftest import ARTICLE
from tests.served import prepared, serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = os.environ.get("HAIR_EVIDENCE_CHROMIUM") or shutil.which("chromium") or ""
# CI sets this, so that a missing browser fails the run instead of skipping these tests.
REQUIRED = os.environ.get("HAIR_EVIDENCE_REQUIRE_BROWSER", "") == "1"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"
PHONE = {"width": 375, "height": 812}


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator["Browser"]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -e '.[test]'")
    if not CHROMIUM or not Path(CHROMIUM).exists():
        _unavailable("no chromium to drive: apt-get install chromium (or HAIR_EVIDENCE_CHROMIUM)")
    with sync_playwright() as playwright:
        # Debian's build: Playwright cannot download its own browser here.
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def base(browser: "Browser", tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = prepared("sqlite", tmp_path_factory.mktemp("browser"), "browser")
    with serving(url) as served:
        yield served.base


@pytest.fixture
def page(browser: "Browser", base: str) -> Iterator["Page"]:
    context = browser.new_context(base_url=base, viewport=PHONE, accept_downloads=True)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == []


@pytest.fixture(scope="module")
def api(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base) as client:
        yield client


def checked(page: "Page", name: str) -> None:
    """Screenshot the page, then hold it to axe-core and to the phone's width."""
    from axe_playwright_python.sync_playwright import Axe

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    results: dict[str, Any] = Axe().run(page).response
    serious = [
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"{page.url}: {serious}"
    # Long titles and names wrap: nothing pushes the page wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _total_hair_count(api: httpx.Client) -> dict[str, Any]:
    findings = api.get("/v1/findings", params={"treatment": "microneedling"}).json()["data"]
    (finding,) = [
        f
        for f in findings
        if f["outcome"] == "total hair count" and (f["study"] or {}).get("year") == 2018
    ]
    return finding


def test_search_for_minoxidil_reaches_the_combination_treatment(page: "Page") -> None:
    page.goto("/")
    checked(page, "search-home")
    page.get_by_label("Search treatments, studies, findings and side effects").fill("minoxidil")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=minoxidil")
    treatments = page.get_by_role("region", name="Treatments")
    assert treatments.get_by_role("link", name="Minoxidil", exact=True).is_visible()
    assert page.get_by_role("heading", name="Studies").is_visible()
    checked(page, "search-minoxidil")

    # By keyboard, as someone who does not use a mouse would.
    treatments.get_by_role("link", name="Minoxidil with microneedling").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/treatments/minoxidil-microneedling")
    assert page.get_by_role("heading", level=1).inner_text() == "Minoxidil with microneedling"
    assert page.get_by_role("link", name="Microneedling", exact=True).first.is_visible()
    checked(page, "treatment-minoxidil-microneedling")


def test_microneedling_shows_total_hair_count_with_its_quote_and_the_2018_trial(
    page: "Page", api: httpx.Client
) -> None:
    finding = _total_hair_count(api)
    assert finding["quote"] in ARTICLE.read_text(encoding="utf-8")

    page.goto("/treatments")
    checked(page, "treatments")
    page.get_by_role("link", name="Microneedling", exact=True).click()
    page.wait_for_url("**/treatments/microneedling")
    row = page.locator(f"#finding-{finding['id']}")
    assert "total hair count" in row.inner_text()
    quote = row.locator("blockquote")
    assert not quote.is_visible()  # one click away
    row.get_by_text("Quote", exact=True).click()
    assert quote.is_visible()
    assert quote.locator("p").inner_text() == finding["quote"]
    trial = row.get_by_role("link", name=f"{finding['study']['title']} (2018)")
    assert trial.get_attribute("href") == f"/studies/{finding['study']['id']}"
    checked(page, "treatment-microneedling")


def test_the_2018_trial_shows_its_doi_and_its_warnings(page: "Page", api: httpx.Client) -> None:
    finding = _total_hair_count(api)
    study = api.get(f"/v1/studies/{finding['study']['id']}").json()

    page.goto("/treatments/microneedling")
    page.locator(f"#finding-{finding['id']}").get_by_role("link", name="(2018)").click()
    page.wait_for_url(f"**/studies/{study['id']}")
    assert page.get_by_role("heading", level=1).inner_text() == study["title"]
    doi = page.get_by_role("link", name=study["doi"])
    assert doi.get_attribute("href") == f"https://doi.org/{study['doi']}"
    quality = page.get_by_role("region", name="Data-quality warnings")
    if study["warnings"]:
        for warning in study["warnings"]:
            assert warning["message"] in quality.inner_text()
    else:
        assert "None found" in quality.inner_text()
    checked(page, "study-2018-trial")

    # A study whose printed citation is wrong says so plainly.
    warned = next(
        s for s in api.get("/v1/studies", params={"limit": 100}).json()["data"] if s["warnings"]
    )
    page.goto(f"/studies/{warned['id']}")
    note = page.get_by_role("region", name="Data-quality warnings").get_by_role("note")
    for warning in warned["warnings"]:
        assert warning["message"] in note.inner_text()
    checked(page, "study-with-warnings")


def test_the_2018_trial_downloads_as_ris(page: "Page", api: httpx.Client) -> None:
    finding = _total_hair_count(api)
    study = api.get(f"/v1/studies/{finding['study']['id']}").json()
    page.goto(f"/studies/{study['id']}")
    with page.expect_download() as started:
        page.get_by_role("link", name="RIS", exact=True).click()
    download = started.value
    assert download.suggested_filename.endswith(".ris")
    ris = Path(download.path()).read_text(encoding="utf-8")
    assert ris.startswith("TY  - ")
    assert f"DO  - {study['doi']}" in ris
    assert "PY  - 2018" in ris
    checked(page, "study-download")


def test_compare_two_treatments(page: "Page", api: httpx.Client) -> None:
    page.goto("/compare")
    checked(page, "compare-form")
    page.get_by_label("First").select_option("microneedling")
    page.get_by_label("Second").select_option("minoxidil")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url("**/compare?treatment=microneedling&treatment=minoxidil&treatment=")
    for name in ("Microneedling", "Minoxidil"):
        assert page.get_by_role("heading", level=2, name=name, exact=True).is_visible()
    direct = page.get_by_role("region", name="Compared directly")
    finding = _total_hair_count(api)
    assert direct.locator(f"#finding-{finding['id']}").is_visible()
    checked(page, "compare-microneedling-minoxidil")
