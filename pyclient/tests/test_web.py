"""The web console in a real browser: Debian's chromium, headless, driven by Selenium through chromium-driver, against
the real test database and the EQC stand-in. The console runs in-process under uvicorn, once as an admin role and
once as a role that is only enrichment_reader. Each page's screenshot goes to .screenshots/ (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn
from company_enrichment.db import EnrichmentDB
from company_enrichment.eqc import EQCClient
from company_enrichment.models import CompanyRecord, MappingRow, ResolutionStatus
from company_enrichment.service import CompanyEnrichmentService
from company_enrichment.standin import EQCStandin
from company_enrichment.web.app import create_app
from psycopg.conninfo import make_conninfo
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

Conn = psycopg.Connection[tuple[Any, ...]]
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".screenshots"
CHANGCHENG, CHANGCHENG2, XSS_CO, XIZI = "672000001", "672000002", "672000003", "672000004"


class Names:
    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.pinyin = f"{tag}常澄润滑油有限公司"  # two pinyin-only candidates (0.60): review
        self.xizi = f"{tag}西子电体有限公司"  # one pinyin candidate: review
        self.xss = f"{tag}<script>window.__pwned = 1</script>恶意公司"  # a customer name holding a script

    def companies(self) -> list[dict[str, Any]]:
        t = self.tag
        return [
            {
                "companyId": CHANGCHENG,
                "companyFullName": f"{t}长城润滑油有限公司",
                "pinyin": [self.pinyin],
                "unite_code": "91330200000000003C",
            },
            {"companyId": CHANGCHENG2, "companyFullName": f"{t}昌成润滑油有限公司", "pinyin": [self.pinyin]},
            {
                "companyId": XSS_CO,
                "companyFullName": f"{t}<img src=x onerror=window.__pwned=2>公司",
                "pinyin": [self.xss],
            },
            {"companyId": XIZI, "companyFullName": f"{t}西子电梯有限公司", "pinyin": [self.xizi]},
        ]


@pytest.fixture
def names(tag: str) -> Names:
    return Names(tag)


@pytest.fixture
def standin(names: Names) -> Iterator[EQCStandin]:
    with EQCStandin({"token": "web-token", "companies": names.companies()}).start() as server:
        yield server


@pytest.fixture
def db(db_uri: str) -> Iterator[EnrichmentDB]:
    with EnrichmentDB.connect(db_uri, max_size=2) as database:
        yield database


def drain(db: EnrichmentDB, standin: EQCStandin, queued: list[str]) -> dict[str, int]:
    """Queue the names and run the worker once: each ends under review; the request id of each name."""
    with EQCClient(standin.url, standin.token, retry_max=0, sleep=lambda _: None) as eqc:
        results = db.resolve_company_ids([CompanyRecord(customer_name=n) for n in queued])
        CompanyEnrichmentService(db, eqc).process_lookup_queue()
    ids = {n: r.request_id for n, r in zip(queued, results, strict=True) if r.request_id is not None}
    assert {i.request_id for i in db.lookup_review_items(list(ids.values()))} == set(ids.values())
    return ids


def status_of(conn: Conn, request_id: int) -> str:
    row = conn.execute("SELECT status FROM enterprise.lookup_requests WHERE id = %s", (request_id,)).fetchone()
    assert row is not None
    return str(row[0])


# ------------------------------------------------------------------------------------- roles and consoles


def login_role(db_uri: str, tag: str, member_of: str) -> Iterator[str]:
    role = f"web_{member_of.removeprefix('enrichment_')}_{tag.replace('-', '_')}"
    with psycopg.connect(db_uri, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN IN ROLE {member_of}")
    try:
        yield make_conninfo(db_uri, user=role)
    finally:
        with psycopg.connect(db_uri, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
            admin.execute(f"DROP ROLE {role}")


class Console:
    """The console's app under uvicorn on a free loopback port, in a thread, connected with one role."""

    def __init__(self, uri: str) -> None:
        self.db = EnrichmentDB.connect(uri, max_size=4)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(create_app(self.db, page_size=5), host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Console:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the console did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.db.close()


@pytest.fixture
def admin_console(db_uri: str, tag: str) -> Iterator[Console]:
    for uri in login_role(db_uri, tag, "enrichment_admin"):
        with Console(uri) as console:
            yield console


@pytest.fixture
def reader_console(db_uri: str, tag: str) -> Iterator[Console]:
    for uri in login_role(db_uri, tag, "enrichment_reader"):
        with Console(uri) as console:
            yield console


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.fail("chromium and chromium-driver are needed (make test installs them: scripts/bootstrap.sh)")
    options = Options()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1200,860",
        "--force-device-scale-factor=1",
        "--lang=en",
    ):
        options.add_argument(argument)
    chrome = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    chrome.set_page_load_timeout(30)
    try:
        yield chrome
    finally:
        chrome.quit()


def screenshot(browser: WebDriver, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def wait(browser: WebDriver, condition: Any, timeout: float = 10) -> Any:
    """Wait for a condition; htmx may swap an element between finding it and reading it, so a stale
    reference means "look again", not failure."""
    return WebDriverWait(browser, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def queue_figures(browser: WebDriver) -> dict[str, str]:
    """The queue page's figures, read in one script so that the every-3-s refresh, which replaces them,
    cannot swap an element out between finding it and reading it."""
    figures: dict[str, str] = browser.execute_script(
        """const out = {};
        for (const e of document.querySelectorAll('.figure')) {
            out[e.dataset.figure] = e.querySelector('b').textContent.trim();
        }
        return out;"""
    )
    return figures


def section(browser: WebDriver, request_id: int) -> Any:
    return browser.find_element(By.ID, f"request-{request_id}")


def gone(browser: WebDriver, request_id: int) -> bool:
    try:
        section(browser, request_id)
    except NoSuchElementException:
        return True
    return False


# ------------------------------------------------------------------------------------------- review


def test_review_accept_in_the_browser_learns_the_name_without_a_reload(
    browser: WebDriver,
    admin_console: Console,
    db: EnrichmentDB,
    standin: EQCStandin,
    names: Names,
    conn: Conn,
    empty_queue: None,
) -> None:
    ids = drain(db, standin, [names.pinyin, names.xizi])
    browser.get(f"{admin_console.url}/review?q={names.tag}")
    row = section(browser, ids[names.pinyin])
    assert names.pinyin in row.text
    cells = [c.text for c in row.find_elements(By.CSS_SELECTOR, "tbody tr:first-child td")]
    assert cells[1:5] == [CHANGCHENG, "91330200000000003C", "拼音", "0.60"], cells
    screenshot(browser, "review")
    browser.execute_script("window.__sameDocument = true")
    row.find_element(By.CSS_SELECTOR, f"button.accept[data-company='{CHANGCHENG}']").click()
    wait(browser, lambda b: gone(b, ids[names.pinyin]))
    assert browser.execute_script("return window.__sameDocument") is True, "the page was reloaded"
    assert not gone(browser, ids[names.xizi]), "the other request stays in the list"
    result = db.resolve_company_id(customer_name=names.pinyin)
    assert (result.status, result.company_id) == (ResolutionStatus.SUCCESS_EXTERNAL, CHANGCHENG)
    assert status_of(conn, ids[names.pinyin]) == "done"
    # the look-up page now answers the name with the company EQC described
    browser.get(f"{admin_console.url}/lookup?kind=customer_name&value={httpx.QueryParams({'v': names.pinyin})['v']}")
    assert browser.find_element(By.ID, "status").text == "success_external"
    assert browser.find_element(By.ID, "company-id").text == CHANGCHENG
    assert "91330200000000003C" in browser.find_element(By.ID, "profile").text


def test_review_reject_in_the_browser_gives_a_stable_temp_id(
    browser: WebDriver,
    admin_console: Console,
    db: EnrichmentDB,
    standin: EQCStandin,
    names: Names,
    conn: Conn,
    empty_queue: None,
) -> None:
    rid = drain(db, standin, [names.xizi])[names.xizi]
    browser.get(f"{admin_console.url}/review?q={names.tag}")
    section(browser, rid).find_element(By.CSS_SELECTOR, "button.reject").click()
    wait(browser, lambda b: gone(b, rid))
    first = db.resolve_company_id(customer_name=names.xizi)
    again = db.resolve_company_id(customer_name=f"  {names.xizi} ")
    assert first.status is ResolutionStatus.TEMP_ASSIGNED and first.company_id and first.company_id.startswith("TEMP")
    assert again.company_id == first.company_id


def test_a_decision_that_lost_a_race_shows_the_database_message_and_changes_nothing(
    browser: WebDriver,
    admin_console: Console,
    db: EnrichmentDB,
    standin: EQCStandin,
    names: Names,
    conn: Conn,
    empty_queue: None,
) -> None:
    rid = drain(db, standin, [names.pinyin])[names.pinyin]
    browser.get(f"{admin_console.url}/review?q={names.tag}")
    db.reject_lookup(rid)  # someone else, first
    section(browser, rid).find_element(By.CSS_SELECTOR, f"button.accept[data-company='{CHANGCHENG}']").click()
    message = wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, f"#request-{rid} .decision-error"))[0].text
    assert "CE003" in message and "Nothing changed" in message, message
    assert status_of(conn, rid) == "done"
    assert db.resolve_company_id(customer_name=names.pinyin).status is ResolutionStatus.TEMP_ASSIGNED


def test_review_filters_by_name_and_pages_with_keyset_pagination(
    browser: WebDriver,
    admin_console: Console,
    db: EnrichmentDB,
    standin: EQCStandin,
    names: Names,
    conn: Conn,
    empty_queue: None,
) -> None:
    ids = drain(db, standin, [names.pinyin, names.xizi])
    browser.get(f"{admin_console.url}/review?q=西子电体")
    shown = [e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, "section.request")]
    assert shown == [f"request-{ids[names.xizi]}"]
    # page size 5 in this console: put 7 more under review, then page with "More"
    extra = {f"{names.tag}翻页{i}": i for i in range(7)}
    for name in extra:  # a fixture, as the superuser the tests connect as
        conn.execute(
            "INSERT INTO enterprise.lookup_requests (name, normalized_name, status, candidates)"
            " VALUES (%s, enterprise.normalize_name(%s), 'review', '[]')",
            (name, name),
        )
    browser.get(f"{admin_console.url}/review?q={names.tag}")
    assert len(browser.find_elements(By.CSS_SELECTOR, "section.request")) == 5
    browser.find_element(By.CSS_SELECTOR, "#more button").click()
    wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "section.request")) == 9)
    shown_ids = [
        int(str(e.get_attribute("id")).split("-")[1]) for e in browser.find_elements(By.CSS_SELECTOR, "section.request")
    ]
    assert shown_ids == sorted(shown_ids) and len(set(shown_ids)) == 9, "oldest first, no row twice"
    assert not browser.find_elements(By.CSS_SELECTOR, "#more button"), "the last page has no More button"


def test_a_customer_name_holding_a_script_shows_as_text(
    browser: WebDriver,
    admin_console: Console,
    db: EnrichmentDB,
    standin: EQCStandin,
    names: Names,
    empty_queue: None,
) -> None:
    rid = drain(db, standin, [names.xss])[names.xss]
    browser.get(f"{admin_console.url}/review?q={names.tag}")
    row = section(browser, rid)
    assert "<script>window.__pwned = 1</script>" in row.find_element(By.TAG_NAME, "h3").text
    assert "<img src=x onerror=window.__pwned=2>" in row.text
    assert browser.execute_script("return window.__pwned === undefined") is True
    assert not row.find_elements(By.TAG_NAME, "script") and not row.find_elements(By.TAG_NAME, "img")
    browser.get(f"{admin_console.url}/lookup?kind=customer_name&value={httpx.QueryParams({'v': names.xss})['v']}")
    assert browser.execute_script("return window.__pwned === undefined") is True
    assert browser.find_element(By.NAME, "value").get_attribute("value") == names.xss


# -------------------------------------------------------------------------------------- roles and CSRF


def test_the_reader_role_sees_no_buttons_and_a_forged_post_gets_the_databases_42501_as_403(
    browser: WebDriver,
    reader_console: Console,
    db: EnrichmentDB,
    standin: EQCStandin,
    names: Names,
    conn: Conn,
    empty_queue: None,
) -> None:
    rid = drain(db, standin, [names.pinyin])[names.pinyin]
    browser.get(f"{reader_console.url}/review?q={names.tag}")
    assert names.pinyin in section(browser, rid).text, "a reader sees what waits for review"
    assert not browser.find_elements(By.CSS_SELECTOR, "button.accept, button.reject")
    assert "Read-only" in browser.find_element(By.ID, "read-only").text
    screenshot(browser, "review_reader")
    with httpx.Client(base_url=reader_console.url) as client:
        page = client.get("/review")
        match = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
        assert match, "the page carries its CSRF token"
        forged = client.post(f"/review/{rid}/accept", data={"csrf_token": match.group(1), "company_id": CHANGCHENG})
    assert forged.status_code == 403
    assert "42501" in forged.text and "permission denied for function accept_lookup_candidate" in forged.text
    assert status_of(conn, rid) == "review"


def test_a_post_without_the_csrf_token_is_refused(
    admin_console: Console,
    db: EnrichmentDB,
    standin: EQCStandin,
    names: Names,
    conn: Conn,
    empty_queue: None,
) -> None:
    rid = drain(db, standin, [names.pinyin])[names.pinyin]
    with httpx.Client(base_url=admin_console.url) as client:
        client.get("/review")  # the cookie, as a browser on another site would also send it
        missing = client.post(f"/review/{rid}/reject", data={})
        wrong = client.post(f"/review/{rid}/reject", data={"csrf_token": "0" * 64})
    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert "CSRF token is missing or wrong" in missing.text
    assert status_of(conn, rid) == "review"


# ------------------------------------------------------------------------------------ look up, queue, mappings


def test_lookup_shows_the_normalized_key_of_a_decorated_name_and_the_mappings_sharing_it(
    browser: WebDriver,
    admin_console: Console,
    db: EnrichmentDB,
    tag: str,
) -> None:
    alias = f"{tag}查询测试公司"
    db.upsert_internal_mappings([MappingRow(alias_name=alias, canonical_id="673000001", match_type="name")])
    decorated = f"（已转出）{alias}（注销）"
    key = db.normalize_names([decorated])[0]
    assert key == db.normalize_names([alias])[0]
    browser.get(f"{admin_console.url}/lookup")
    browser.find_element(By.NAME, "value").send_keys(decorated)
    browser.find_element(By.CSS_SELECTOR, "form button").click()
    wait(browser, lambda b: b.find_elements(By.ID, "key"))
    assert browser.find_element(By.ID, "key").text == key
    assert browser.find_element(By.ID, "status").text == "success_internal"
    assert browser.find_element(By.ID, "company-id").text == "673000001"
    rows = browser.find_elements(By.CSS_SELECTOR, "table.mappings tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[2].text for r in rows] == ["673000001"]
    assert "curated" in rows[0].text
    screenshot(browser, "lookup")


def test_the_queue_page_shows_the_databases_counts_and_requeues_failed_requests(
    browser: WebDriver,
    admin_console: Console,
    db: EnrichmentDB,
    standin: EQCStandin,
    names: Names,
    conn: Conn,
    empty_queue: None,
) -> None:
    drain(db, standin, [names.pinyin])
    failing = db.enqueue_lookup(f"{names.tag}失败公司")
    assert db.claim_lookup(failing.id, "web-test") is not None
    db.fail_lookup(failing.id, "web-test", "EQC said 500 <b>twice</b>", max_attempts=1)
    stats = db.queue_stats()
    assert (stats.failed, stats.review) == (1, 1)
    browser.get(f"{admin_console.url}/queue")
    figures = queue_figures(browser)
    expected = {
        "pending": stats.pending,
        "review": stats.review,
        "failed": stats.failed,
        "done": stats.done,
        "processing": stats.processing,
        "found": stats.found,
        "not found": stats.not_found,
    }
    assert {k: figures[k] for k in expected} == {k: str(v) for k, v in expected.items()}
    failed_row = browser.find_element(By.CSS_SELECTOR, "#failed tbody tr")
    assert "EQC said 500 <b>twice</b>" in failed_row.text
    screenshot(browser, "queue")
    # refreshed every few seconds without a reload
    db.enqueue_lookup(f"{names.tag}新排队公司")
    wait(
        browser,
        lambda b: queue_figures(b)["pending"] == str(db.queue_stats().pending),
        timeout=10,
    )
    browser.find_element(By.ID, "requeue").click()
    wait(browser, lambda b: b.find_elements(By.ID, "requeued"))
    assert "Requeued 1" in browser.find_element(By.ID, "requeued").text
    assert status_of(conn, failing.id) == "pending"


def test_the_reader_sees_the_queue_but_no_requeue_button(
    browser: WebDriver,
    reader_console: Console,
    db: EnrichmentDB,
    names: Names,
    empty_queue: None,
) -> None:
    failing = db.enqueue_lookup(f"{names.tag}失败公司")
    assert db.claim_lookup(failing.id, "web-test") is not None
    db.fail_lookup(failing.id, "web-test", "boom", max_attempts=1)
    browser.get(f"{reader_console.url}/queue")
    assert queue_figures(browser)["failed"] == "1"
    assert "boom" in browser.find_element(By.ID, "failed").text
    assert not browser.find_elements(By.ID, "requeue")


def test_mappings_search_by_alias_and_by_company_id(
    browser: WebDriver, reader_console: Console, db: EnrichmentDB, tag: str
) -> None:
    first, second = f"{tag}-1", f"{tag}-2"  # company ids of this test only
    db.upsert_internal_mappings(
        [
            MappingRow(alias_name=f"{tag}映射甲公司", canonical_id=first, match_type="name"),
            MappingRow(alias_name=f"{tag.upper()}-PLAN", canonical_id=first, match_type="plan"),
            MappingRow(alias_name=f"{tag}映射乙公司", canonical_id=second, match_type="name"),
        ]
    )
    assert db.cache_company_mapping(f"{tag}映射丙公司", second) == "inserted"
    browser.get(f"{reader_console.url}/mappings?company_id={first}")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.mappings tbody tr")
    assert sorted(r.find_elements(By.TAG_NAME, "td")[0].text for r in rows) == sorted(
        [f"{tag.upper()}-PLAN", f"{tag}映射甲公司"]
    )
    browser.get(f"{reader_console.url}/mappings")
    browser.find_element(By.NAME, "alias").send_keys(f"{tag}映射")
    browser.find_element(By.CSS_SELECTOR, "form button").click()
    wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "table.mappings tbody tr"))
    rows = browser.find_elements(By.CSS_SELECTOR, "table.mappings tbody tr")
    aliases = [r.find_elements(By.TAG_NAME, "td")[0].text for r in rows]
    assert sorted(aliases[:2]) == sorted([f"{tag}映射甲公司", f"{tag}映射乙公司"]), "curated first"
    assert aliases[2:] == [f"{tag}映射丙公司"] and "learned (EQC)" in rows[2].text and "curated" in rows[0].text
    screenshot(browser, "mappings")


# ------------------------------------------------------------------------------------------- the command


def test_the_web_command_serves_the_console_as_wdh_web_database_uri(db_uri: str, tag: str) -> None:
    """`company-enrichment web` connects as WDH_WEB_DATABASE__URI (here a reader), not as WDH_DATABASE__URI."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for reader_uri in login_role(db_uri, tag, "enrichment_reader"):
        env = {**os.environ, "WDH_DATABASE__URI": db_uri, "WDH_WEB_DATABASE__URI": reader_uri}
        command = [str(Path(sys.executable).parent / "company-enrichment"), "web", "--port", str(port)]
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, process.communicate()[0]
                try:
                    page = httpx.get(f"http://127.0.0.1:{port}/review", timeout=2)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "company-enrichment web did not start"
                    time.sleep(0.2)
            assert page.status_code == 200
            assert "Read-only: your database role may not decide" in page.text
            assert "htmx" in httpx.get(f"http://127.0.0.1:{port}/static/htmx.min.js").text[:200]
        finally:
            process.terminate()
            process.wait(10)
