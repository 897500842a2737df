"""The HTML report and the dashboard in a real Chromium (Debian's, driven by
Playwright, headless). Started by crates/mfaguard/tests/browser.rs, which
renders the pages and starts `mfaguard serve`; paths and URLs come in the
environment:

MFAGUARD_DEMO_HTML     the demo account's report
MFAGUARD_HOSTILE_HTML  the report of a snapshot whose names, tags and Sids hold markup
MFAGUARD_SERVE_URL     a dashboard over a two-scan history (loopback, no token)
MFAGUARD_TOKEN_URL     a dashboard that requires MFAGUARD_TOKEN
MFAGUARD_ARTIFACTS     where screenshots and PDFs are written
"""

import os
import pathlib

import pytest
from playwright.sync_api import sync_playwright

ENV = os.environ
ARTIFACTS = pathlib.Path(ENV["MFAGUARD_ARTIFACTS"])
CHROMIUM = ENV.get("MFAGUARD_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


class Watched:
    """A page with every console message, page error, dialog and request."""

    def __init__(self, browser, **options):
        self.context = browser.new_context(**options)
        self.page = self.context.new_page()
        self.console = []
        self.errors = []
        self.dialogs = []
        self.requests = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.on("request", lambda r: self.requests.append(r.url))

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self):
        self.context.close()


def file_url(path):
    return pathlib.Path(path).resolve().as_uri()


def visible_rows(page, table):
    return page.eval_on_selector_all(f"#{table} tbody tr", "rows => rows.filter(r => !r.hidden).length")


def test_report_opens_from_file_with_no_network(browser):
    watched = Watched(browser)
    page = watched.page
    url = file_url(ENV["MFAGUARD_DEMO_HTML"])
    page.goto(url)
    page.wait_for_selector("form.filters:not([hidden])")
    assert watched.requests == [url], watched.requests
    assert watched.errors == [] and not [m for m in watched.console if m.startswith("error")]
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
    watched.close()


def test_report_filters_and_sorts(browser):
    watched = Watched(browser)
    page = watched.page
    page.goto(file_url(ENV["MFAGUARD_DEMO_HTML"]))
    page.wait_for_selector("form.filters:not([hidden])")
    total = page.locator("#findings-table tbody tr").count()
    assert visible_rows(page, "findings-table") == total

    page.select_option("select[data-filter=status]", "fail")
    failing = visible_rows(page, "findings-table")
    assert 0 < failing < total
    statuses = page.eval_on_selector_all(
        "#findings-table tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.status)")
    assert set(statuses) == {"fail"}

    page.select_option("select[data-filter=severity]", "critical")
    both = page.eval_on_selector_all(
        "#findings-table tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.severity + '/' + r.dataset.status)")
    assert both and set(both) == {"critical/fail"}
    assert page.locator("form.filters output").inner_text() == f"{len(both)} of {total} shown"

    page.select_option("select[data-filter=tier]", "root")
    tiers = page.eval_on_selector_all(
        "#findings-table tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.tier)")
    assert set(tiers) <= {"root"}

    page.click("form.filters button[type=reset]")
    page.wait_for_function("document.querySelector('form.filters output').textContent.startsWith(String(%d))" % total)

    # Sorting by check, then back the other way.
    page.click("#findings-table thead th:nth-child(3) button")
    checks = page.eval_on_selector_all("#findings-table tbody tr", "rows => rows.map(r => r.dataset.check)")
    assert checks == sorted(checks, key=lambda c: c)
    page.click("#findings-table thead th:nth-child(3) button")
    reversed_checks = page.eval_on_selector_all("#findings-table tbody tr", "rows => rows.map(r => r.dataset.check)")
    assert reversed_checks == sorted(checks, reverse=True)
    # Severity sorts by rank, critical first.
    page.click("#findings-table thead th:nth-child(2) button")
    ranks = page.eval_on_selector_all("#findings-table tbody tr", "rows => rows.map(r => Number(r.cells[1].dataset.sort))")
    assert ranks == sorted(ranks)

    # A finding links to its identity's section.
    link = page.locator("#findings-table tbody tr a[href^='#identity-']").first
    target = link.get_attribute("href")
    link.click()
    assert page.locator(f"section{target}").is_visible()
    page.screenshot(path=str(ARTIFACTS / "report-filtered.png"))
    watched.close()


def test_report_is_complete_without_script(browser):
    watched = Watched(browser, java_script_enabled=False)
    page = watched.page
    page.goto(file_url(ENV["MFAGUARD_DEMO_HTML"]))
    total = page.locator("#findings-table tbody tr").count()
    assert total > 50
    assert page.locator("#findings-table tbody tr:visible").count() == total
    assert not page.locator("form.filters").is_visible()
    assert page.locator("section.identity").count() > 10
    watched.close()


def test_report_prints(browser):
    watched = Watched(browser)
    page = watched.page
    page.goto(file_url(ENV["MFAGUARD_DEMO_HTML"]))
    page.wait_for_selector("form.filters:not([hidden])")
    page.select_option("select[data-filter=status]", "fail")
    page.emulate_media(media="print")
    # In print every row shows, whatever the filters, and the form does not.
    total = page.locator("#findings-table tbody tr").count()
    assert page.locator("#findings-table tbody tr:visible").count() == total
    assert not page.locator("form.filters").is_visible()
    pdf = page.pdf(path=str(ARTIFACTS / "report.pdf"))
    assert pdf[:5] == b"%PDF-" and len(pdf) > 10_000
    watched.close()


def test_hostile_report_runs_no_injected_script(browser):
    watched = Watched(browser)
    page = watched.page
    url = file_url(ENV["MFAGUARD_HOSTILE_HTML"])
    page.goto(url)
    page.wait_for_selector("form.filters:not([hidden])")
    page.wait_for_timeout(300)
    assert watched.dialogs == []
    assert watched.errors == []
    assert page.locator("img").count() == 0
    assert page.locator("b").count() == 0
    assert page.locator("script").count() == 1
    assert page.locator("style").count() == 1
    assert watched.requests == [url], watched.requests
    # The payloads are on the page as text.
    text = page.locator("body").inner_text()
    assert "q<script>alert(1)</script>" in text
    assert '"><img src=x onerror=alert(2)>' in text
    watched.close()


def test_dashboard_pages_have_no_csp_violations(browser):
    base = ENV["MFAGUARD_SERVE_URL"]
    watched = Watched(browser)
    page = watched.page
    for path in ["/", "/accounts/111122223333", "/exceptions", "/accounts/111122223333/diff"]:
        response = page.goto(base + path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        # The served script ran (it shows the filter forms) under the CSP.
        if page.locator("form.filters").count():
            page.wait_for_selector("form.filters:not([hidden])")
    page.goto(base + "/accounts/111122223333")
    page.wait_for_selector("form.filters:not([hidden])")
    page.screenshot(path=str(ARTIFACTS / "dashboard-account.png"))
    problems = [m for m in watched.console if m.startswith("error") or "Content Security Policy" in m]
    assert problems == [] and watched.errors == [], problems + watched.errors
    watched.close()


def test_dashboard_drills_down_and_diffs(browser):
    base = ENV["MFAGUARD_SERVE_URL"]
    watched = Watched(browser)
    page = watched.page
    page.goto(base + "/")
    page.click("#accounts a")
    assert page.url.endswith("/accounts/111122223333")
    # The diff form compares the two scans chosen.
    page.select_option("form.diff select[name=from]", "1")
    page.select_option("form.diff select[name=to]", "2")
    page.click("form.diff button[type=submit]")
    page.wait_for_url("**/diff?from=1&to=2")
    assert "From scan 1" in page.locator("main").inner_text()
    page.screenshot(path=str(ARTIFACTS / "dashboard-diff.png"))
    # An identity page from the account's list.
    page.goto(base + "/accounts/111122223333")
    page.click("text=alice")
    assert "/identity?arn=" in page.url
    assert "Enforcement" in page.locator("main").inner_text()
    watched.close()


def test_dashboard_token_rule(browser):
    base = ENV["MFAGUARD_TOKEN_URL"]
    watched = Watched(browser)
    page = watched.page
    response = page.goto(base + "/")
    assert response.status == 401
    assert page.locator("form.login").is_visible()
    assert "111122223333" not in page.content()
    page.fill("input[name=token]", "not-the-token-at-all")
    page.click("form.login button")
    assert page.locator(".notice.error").is_visible()
    page.fill("input[name=token]", ENV["MFAGUARD_TOKEN"])
    page.click("form.login button")
    page.wait_for_selector("#accounts")
    assert "111122223333" in page.locator("#accounts").inner_text()
    api = page.request.get(base + "/api/overview")
    assert api.status == 200
    watched.close()
