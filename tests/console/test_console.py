"""The web console at /console, in a real browser (Chromium through Playwright), against the real server.
Each test signs in afresh in its own browser context; the screenshots in docs/ are taken here."""

from __future__ import annotations

import json
import re
import uuid
import wave
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest

from tests import audio
from tests.tenants import Tenant, make_tenant

TTS_TEXT = "The console speaks from your own server."


@dataclass
class Traffic:
    """Requests the tests made through the API before looking at them in the console."""

    listens: dict[str, list[str]]  # role -> request ids of successful listens
    speak_id: str
    failed_id: str


def off_loop(fn, *args):
    """Run `fn` on another thread: Playwright's sync API keeps an event loop running on this one, and the
    database helpers start their own with asyncio.run."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


@pytest.fixture(scope="module")
def tenant(server) -> Tenant:
    return off_loop(make_tenant, server.db, "Console")


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Token {key}"}


@pytest.fixture(scope="module")
def traffic(server, tenant) -> Traffic:
    def listen(role: str, name: str, **params) -> httpx.Response:
        return httpx.post(
            f"{server.url}/v1/listen", params=params, content=audio.read(name),
            headers={**auth(tenant.keys[role]), "Content-Type": "audio/wav"}, timeout=120,
        )  # fmt: skip

    listens = defaultdict(list)
    for role, name in (("owner", "cards_001.wav"), ("owner", "one_two_three.wav"), ("member", "cards_001.wav")):
        r = listen(role, name, punctuate="true")
        assert r.status_code == 200, r.text
        listens[role].append(r.json()["metadata"]["request_id"])
    failed = httpx.post(
        f"{server.url}/v1/listen", content=b"this is not audio at all",
        headers={**auth(tenant.keys["member"]), "Content-Type": "audio/wav"}, timeout=60,
    )  # fmt: skip
    assert failed.status_code == 400
    spoken = httpx.post(
        f"{server.url}/v1/speak", params={"model": "aura-2-thalia-en"}, json={"text": TTS_TEXT},
        headers=auth(tenant.keys["owner"]), timeout=120,
    )  # fmt: skip
    assert spoken.status_code == 200 and spoken.content
    return Traffic(dict(listens), spoken.headers["dg-request-id"], failed.headers["dg-request-id"])


class Console:
    """One browser context and page, signed in; records every URL the page requests."""

    def __init__(self, browser, server, viewport=(1280, 900)):
        self.server = server
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        self.context.set_default_timeout(30_000)
        self.page = self.context.new_page()
        self.urls: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.urls.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", self._logged)
        self.page.on("dialog", lambda d: d.accept())

    def _logged(self, message) -> None:
        # JavaScript errors fail the test; refusals the test asks for (a 401, a 403) are only logged.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(message.text)

    def open(self) -> Console:
        self.page.goto(f"{self.server.url}/console")
        return self

    def sign_in(self, secret: str) -> Console:
        self.page.get_by_label("API key or temporary token").fill(secret)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.get_by_role("button", name="Sign out").wait_for()
        return self

    def tab(self, name: str):
        self.page.get_by_role("tab", name=name, exact=True).click()
        return self.page.get_by_role("tabpanel").first

    def shot(self, docs_dir, name: str) -> None:
        self.page.screenshot(path=str(docs_dir / f"console-{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def console(browser, server):
    made: list[Console] = []

    def make(secret: str | None = None, **kw) -> Console:
        c = Console(browser, server, **kw).open()
        made.append(c)
        return c.sign_in(secret) if secret else c

    yield make
    for c in made:
        c.close()
    assert not [e for c in made for e in c.errors]


def chart(page, testid: str) -> dict:
    """What a usage chart draws: Chart.js's own data for the canvas."""
    return page.evaluate(
        """(id) => {
            const chart = Chart.getChart(document.querySelector(`[data-testid="${id}"] canvas`));
            return {labels: chart.data.labels,
                    datasets: chart.data.datasets.map(d => ({label: d.label, group: d.group, data: d.data}))};
        }""",
        testid,
    )


def plotted(drawn: dict) -> dict:
    """{group: {period: value}}, zeros (and groups of zeros) left out."""
    out = {}
    for ds in drawn["datasets"]:
        values = {label: v for label, v in zip(drawn["labels"], ds["data"]) if v}
        if values:
            out[json.dumps(ds["group"])] = values
    return out


def test_sign_in_keeps_the_secret_in_the_tab(console, server, tenant, docs_dir):
    c = console()
    page = c.page
    page.get_by_label("API key or temporary token").fill("not-a-key")
    page.get_by_role("button", name="Sign in").click()
    assert "Invalid credentials" in page.get_by_role("alert").inner_text()

    secret = tenant.keys["owner"]
    c.sign_in(secret)
    assert tenant.key_ids["owner"][:8] in page.locator("header").inner_text()
    assert page.get_by_test_id("project-name").inner_text().startswith("Console ")
    # Only in the tab: sessionStorage, no cookie, no URL, no log line.
    assert secret in page.evaluate("JSON.stringify(sessionStorage)")
    assert c.context.cookies() == []
    assert not any(secret in u for u in c.urls) and secret not in page.url
    assert secret not in server.log.read_text()

    # Keyboard: the tabs are one tab stop, arrows move between them.
    page.get_by_role("tab", name="Project").focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.textContent") == "API keys"
    assert page.get_by_role("tab", name="API keys").get_attribute("aria-selected") == "true"
    page.keyboard.press("End")
    assert page.get_by_role("tab", name="Playground").get_attribute("aria-selected") == "true"

    page.reload()  # the tab keeps its sign-in
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("API key or temporary token").wait_for()
    assert secret not in page.evaluate("JSON.stringify(sessionStorage)")


def test_a_temporary_token_opens_the_playground_only(console, server, tenant):
    token = httpx.post(
        f"{server.url}/v1/auth/grant", json={"ttl_seconds": 600}, headers=auth(tenant.keys["admin"])
    ).json()["access_token"]
    page = console(token).page
    assert [t.inner_text() for t in page.get_by_role("tab").all()] == [
        "Playground",
        "File",
        "Microphone",
        "Text to speech",
    ]
    assert "management API refuses them" in page.get_by_role("note").inner_text()
    # The token works where temporary tokens do: a transcription.
    panel = page.locator("#play-panel-file")
    panel.get_by_label("Audio file").set_input_files(str(audio.path("cards_001.wav")))
    panel.get_by_role("button", name="Transcribe").click()
    assert "clubs" in panel.get_by_test_id("transcript").inner_text(timeout=60_000).lower()


def test_create_a_key_see_it_once_and_delete_it(console, server, tenant, docs_dir):
    c = console(tenant.keys["owner"])
    page = c.page
    panel = c.tab("API keys")
    comment = f"console key {uuid.uuid4().hex[:6]}"
    panel.get_by_label("Comment").fill(comment)
    panel.get_by_label("Expires").select_option("ttl")
    panel.get_by_label("Time to live").select_option("86400")
    panel.get_by_role("button", name="Create key").click()

    shown = panel.get_by_role("textbox", name="New API key")
    secret = shown.input_value()
    assert secret
    who = httpx.get(f"{server.url}/v1/auth/token", headers=auth(secret)).json()
    assert who["scopes"] == ["member"] and who["project_id"] == tenant.project_id
    row = panel.locator(f"tr[data-key-id='{who['api_key_id']}']")
    assert comment in row.inner_text() and "never" not in row.inner_text()
    panel.get_by_role("button", name="Copy").click()
    c.shot(docs_dir, "keys")

    panel.get_by_role("button", name="Done").click()
    assert secret not in page.content()  # shown once: gone from the page, and nowhere to get it again
    page.reload()
    c.tab("API keys").locator(f"tr[data-key-id='{who['api_key_id']}']").wait_for()
    assert secret not in page.content()

    page.get_by_role("button", name=f"Delete key {comment}").click()
    page.get_by_text(f"Deleted the key “{comment}”.").wait_for()
    row.wait_for(state="detached")
    assert httpx.get(f"{server.url}/v1/auth/token", headers=auth(secret)).status_code == 401


def test_members_and_invitations(console, server, tenant, docs_dir):
    from opengram.accounts.invites import accept_invite

    c = console(tenant.keys["owner"])
    page = c.page
    panel = c.tab("Members")
    for email in tenant.emails.values():
        panel.get_by_test_id("members-table").get_by_text(email).wait_for()

    invitee = f"invitee-{uuid.uuid4().hex[:6]}@example.com"
    panel.get_by_label("Email").fill(invitee)
    panel.get_by_label("Role", exact=True).select_option("admin")
    panel.get_by_role("button", name="Send invitation").click()
    first = panel.get_by_role("textbox", name="Invitation token").input_value()
    panel.locator(f"tr[data-email='{invitee}']").wait_for()
    listed = httpx.get(f"{server.url}/v1/projects/{tenant.project_id}/invites", headers=auth(tenant.keys["owner"]))
    assert {"email": invitee, "scope": "admin"}.items() <= next(
        i for i in listed.json()["invites"] if i["email"] == invitee
    ).items()
    c.shot(docs_dir, "members")

    panel.get_by_role("button", name=f"Resend the invitation for {invitee}").click()
    page.wait_for_function("(old) => document.querySelector('input.secret').value !== old", arg=first)
    second = panel.get_by_role("textbox", name="Invitation token").input_value()
    panel.get_by_role("button", name="Done").click()

    # The resent token is the one that works: the invitee joins with it.
    async def accept(session):
        membership, _key, _secret = await accept_invite(session, second)
        return membership.member_id

    member_id = off_loop(server.db.run, accept)
    page.reload()
    panel = c.tab("Members")
    row = panel.locator(f"tr[data-member-id='{member_id}']")
    assert invitee in row.inner_text()
    row.get_by_label(f"Role of {invitee}", exact=True).select_option("member")
    row.get_by_role("button", name=f"Save the role of {invitee}").click()
    page.get_by_text(f"{invitee} is now member.").wait_for()
    scopes = httpx.get(
        f"{server.url}/v1/projects/{tenant.project_id}/members/{member_id}/scopes", headers=auth(tenant.keys["owner"])
    ).json()
    assert scopes["scopes"] == ["member"]
    row.get_by_role("button", name=f"Remove {invitee}").click()
    page.get_by_text(f"Removed {invitee}.").wait_for()
    row.wait_for(state="detached")

    # An invitation deleted before it is used.
    other = f"other-{uuid.uuid4().hex[:6]}@example.com"
    panel.get_by_label("Email").fill(other)
    panel.get_by_role("button", name="Send invitation").click()
    panel.get_by_role("button", name=f"Delete the invitation for {other}").click()
    page.get_by_text(f"Deleted the invitation for {other}.").wait_for()
    listed = httpx.get(f"{server.url}/v1/projects/{tenant.project_id}/invites", headers=auth(tenant.keys["owner"]))
    assert other not in {i["email"] for i in listed.json()["invites"]}


def test_a_member_key_sees_what_the_api_allows(console, tenant):
    """Scopes are the API's business: the page shows its refusal rather than hiding the tab."""
    c = console(tenant.keys["member"])
    panel = c.tab("Members")
    assert "INSUFFICIENT_PERMISSIONS" in panel.get_by_role("alert").first.inner_text()


def test_usage_plots_the_requests_made(console, server, tenant, traffic, docs_dir):
    c = console(tenant.keys["owner"])
    page = c.page
    panel = c.tab("Usage")
    start, end = panel.get_by_label("From (UTC)").input_value(), panel.get_by_label("To (UTC)").input_value()
    owner, member = tenant.key_ids["owner"], tenant.key_ids["member"]

    def show(split: str, expect_group) -> None:
        panel.get_by_label("Split by").select_option(split)
        panel.get_by_role("button", name="Show usage").click()
        page.wait_for_function(
            """(g) => { const c = document.querySelector('[data-testid="usage-requests"] canvas');
                        const ch = c && Chart.getChart(c);
                        return ch && ch.data.datasets.some(d => JSON.stringify(d.group) === g); }""",
            arg=json.dumps(expect_group),
        )

    def api_breakdown(grouping: str) -> dict[str, dict[str, dict[str, float]]]:
        body = httpx.get(
            f"{server.url}/v1/projects/{tenant.project_id}/usage/breakdown",
            params={"start": start, "end": end, "grouping": grouping}, headers=auth(tenant.keys["owner"]),
        ).json()  # fmt: skip
        out: dict = {m: defaultdict(dict) for m in ("requests", "minutes", "characters")}
        for r in body["results"]:
            key, day = json.dumps(r["grouping"][grouping]), r["grouping"]["start"]
            for metric, value in (
                ("requests", r["requests"]),
                ("minutes", r["hours"] * 60),
                ("characters", r["tts_characters"]),
            ):
                if value:
                    out[metric][key][day] = value
        return out

    show("accessor", owner)
    drawn = {
        m: plotted(chart(page, f"usage-{t}"))
        for m, t in (("requests", "requests"), ("minutes", "minutes"), ("characters", "tts"))
    }
    expected = api_breakdown("accessor")
    assert drawn["requests"] == dict(expected["requests"])
    assert drawn["characters"] == dict(expected["characters"])
    for key, days in expected["minutes"].items():
        assert drawn["minutes"][key] == pytest.approx(days, abs=1e-3)
    # And the requests the test made are there: two listens and a speak by the owner, one listen by the member
    # (its failed request is not usage).
    today = next(iter(drawn["requests"][json.dumps(member)]))
    assert drawn["requests"][json.dumps(owner)][today] >= 3 and drawn["requests"][json.dumps(member)] == {today: 1}
    assert drawn["characters"][json.dumps(owner)][today] == len(TTS_TEXT)
    with wave.open(str(audio.path("cards_001.wav"))) as w:
        member_minutes = w.getnframes() / w.getframerate() / 60
    assert drawn["minutes"][json.dumps(member)][today] == pytest.approx(member_minutes, rel=0.02)
    legend = [d["label"] for d in chart(page, "usage-requests")["datasets"]]
    assert f"owner key ({owner[:8]})" in legend and f"member key ({member[:8]})" in legend

    summary = httpx.get(
        f"{server.url}/v1/projects/{tenant.project_id}/usage", params={"start": start, "end": end},
        headers=auth(tenant.keys["owner"]),
    ).json()  # fmt: skip
    totals = panel.get_by_test_id("usage-totals")
    assert totals.locator("[data-total=requests]").inner_text() == str(sum(r["requests"] for r in summary["results"]))
    assert totals.locator("[data-total=tts-characters]").inner_text() == str(
        sum(r["tts"]["characters"] for r in summary["results"])
    )

    show("endpoint", "speak")
    by_endpoint = plotted(chart(page, "usage-requests"))
    assert by_endpoint == dict(api_breakdown("endpoint")["requests"])
    assert set(by_endpoint) >= {'"listen"', '"speak"'}

    voice = httpx.get(f"{server.url}/v1/models/aura-2-thalia-en", headers=auth(tenant.keys["owner"])).json()
    show("models", [voice["uuid"]])
    by_model = chart(page, "usage-tts")
    assert plotted(by_model) == dict(api_breakdown("models")["characters"])
    assert "aura-2-thalia-en" in [d["label"] for d in by_model["datasets"]]
    c.shot(docs_dir, "usage")


def test_usage_is_readable_on_a_phone(console, tenant, traffic, docs_dir):
    c = console(tenant.keys["owner"], viewport=(390, 844))
    page = c.page
    c.tab("Usage").get_by_test_id("usage-requests").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    c.shot(docs_dir, "usage-390")


def test_request_log_filters_pages_and_detail(console, server, tenant, traffic, docs_dir):
    c = console(tenant.keys["owner"])
    panel = c.tab("Request log")
    table = panel.get_by_test_id("requests-table")

    def filter_by(**fields: str) -> list[str]:
        panel.get_by_role("button", name="Clear").click()
        for label, value in fields.items():
            control = panel.get_by_label(label, exact=True)
            if control.evaluate("e => e.tagName") == "SELECT":
                control.select_option(value)
            else:
                control.fill(value)
        panel.get_by_role("button", name="Filter").click()
        return rows()

    def rows() -> list[str]:
        panel.locator(".loaded[aria-busy=false]:has([data-testid=requests-table])").wait_for()
        return table.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.requestId)")

    assert filter_by(Status="failed") == [traffic.failed_id]
    assert filter_by(**{"Request id": traffic.speak_id}) == [traffic.speak_id]
    assert sorted(filter_by(**{"API key (accessor)": tenant.key_ids["member"]})) == sorted(
        [*traffic.listens["member"], traffic.failed_id]
    )
    assert filter_by(Endpoint="speak", Method="sync", Deployment="self-hosted") == [traffic.speak_id]
    assert filter_by(Deployment="hosted") == []

    # Pages of two, as the API pages them.
    api_pages = [
        [r["request_id"] for r in httpx.get(
            f"{server.url}/v1/projects/{tenant.project_id}/requests", params={"limit": 2, "page": n},
            headers=auth(tenant.keys["owner"]),
        ).json()["requests"]]
        for n in (0, 1)
    ]  # fmt: skip
    assert filter_by(**{"Per page": "2"}) == api_pages[0]
    panel.get_by_role("button", name="Next page").click()
    assert rows() == api_pages[1]
    assert "Page 2, 2 requests" in panel.inner_text()

    filter_by(Status="failed")
    panel.get_by_role("button", name=f"Details of request {traffic.failed_id}").click()
    detail = panel.get_by_test_id("request-detail")
    shown = json.loads(detail.get_by_label("Stored response JSON").inner_text())
    stored = httpx.get(
        f"{server.url}/v1/projects/{tenant.project_id}/requests/{traffic.failed_id}", headers=auth(tenant.keys["owner"])
    ).json()
    assert shown == stored["request"]["response"] and shown["code"] == 400
    assert "400" in detail.inner_text() and stored["request"]["response"]["message"] in detail.inner_text()
    c.shot(docs_dir, "requests")


def test_billing_shows_balances_and_breakdown(console, server, tenant, traffic, docs_dir):
    from opengram.accounts.billing import add_credit

    async def credit(session):
        _purchase, balance = await add_credit(session, tenant.project_id, 100.0)
        return balance.balance_id

    balance_id = off_loop(server.db.run, credit)
    c = console(tenant.keys["owner"])
    panel = c.tab("Billing")
    row = panel.get_by_test_id("balances-table").locator("tbody tr", has_text=balance_id)
    assert "$100.00" in row.inner_text() and "usd" in row.inner_text()
    assert "$0.00" in panel.get_by_test_id("billing-total").inner_text()  # no prices configured: free
    lines = panel.get_by_test_id("billing-table").locator("tbody tr").all_inner_texts()
    assert any("pre-recorded" in line for line in lines) and any("text-to-speech" in line for line in lines), lines
    c.shot(docs_dir, "billing")


def test_rename_and_delete_a_project(console, server):
    doomed = off_loop(make_tenant, server.db, "Doomed")
    c = console(doomed.keys["owner"])
    page = c.page
    panel = c.tab("Project")
    panel.get_by_label("Project name").fill("Renamed in the console")
    panel.get_by_role("button", name="Save").click()
    panel.get_by_text("Saved.").wait_for()
    page.get_by_role("combobox", name="Project").get_by_text("Renamed in the console").wait_for(state="attached")
    got = httpx.get(f"{server.url}/v1/projects/{doomed.project_id}", headers=auth(doomed.keys["owner"])).json()
    assert got["name"] == "Renamed in the console"

    panel.get_by_role("button", name="Delete project").click()
    panel.get_by_text("The project is deleted.").wait_for()
    gone = httpx.get(f"{server.url}/v1/projects/{doomed.project_id}", headers=auth(doomed.keys["admin"]))
    assert gone.status_code in (401, 404)


def test_transcribe_a_file(console, tenant, docs_dir):
    c = console(tenant.keys["admin"])
    page = c.page
    c.tab("Playground")
    panel = page.locator("#play-panel-file")
    panel.get_by_label("Audio file").set_input_files(str(audio.path("jfk_16k.wav")))
    panel.get_by_label("diarize").check()
    panel.get_by_label("pci").check()
    panel.get_by_role("button", name="Transcribe").click()
    result = panel.get_by_test_id("file-result")
    result.wait_for(timeout=120_000)
    text = result.get_by_test_id("transcript").inner_text()
    assert "Speaker 0" in text
    assert re.search(r"ask not what your country can do for you", text, re.IGNORECASE), text
    raw = json.loads(result.get_by_label("Raw response JSON").text_content())
    words = raw["results"]["channels"][0]["alternatives"][0]["words"]
    assert all("speaker" in w for w in words)
    result.get_by_text("Word timings").click()
    rows = result.get_by_test_id("words-table").locator("tbody tr")
    assert rows.count() == len(words)
    assert rows.first.locator("td").nth(1).inner_text() == f"{words[0]['start']:.2f}"
    c.shot(docs_dir, "playground")


def test_live_microphone_transcription(console, server, tenant, docs_dir):
    c = console(tenant.keys["admin"])
    page = c.page
    frames: list[dict] = []
    sockets: list[str] = []

    def on_socket(ws):
        sockets.append(ws.url)
        ws.on("framereceived", lambda payload: isinstance(payload, str) and frames.append(json.loads(payload)))

    page.on("websocket", on_socket)
    c.tab("Playground")
    page.get_by_role("tab", name="Microphone").click()
    panel = page.locator("#play-panel-live")
    panel.get_by_role("button", name="Start listening").click()
    panel.get_by_text("Listening: speak now.").wait_for()
    transcript = panel.get_by_test_id("live-transcript")
    # The finals, as words: the recording says "And so my fellow Americans, ask not what your country can do
    # for you, ask what you can do for your country" (and the fake device plays it in a loop).
    words = "(el) => el.querySelector('[aria-live]').innerText.toLowerCase().replace(/[^a-z']+/g, ' ')"
    page.wait_for_function(f"(el) => ({words})(el).includes('what your country can do for you')",
                           arg=transcript.element_handle(), timeout=90_000)  # fmt: skip
    panel.get_by_role("button", name="Stop").click()
    panel.get_by_role("button", name="Start listening").wait_for(timeout=30_000)

    finals = " ".join(transcript.evaluate(words).split())
    assert "my fellow" in finals and "what your country can do for you" in finals, finals
    c.shot(docs_dir, "live")
    results = [f for f in frames if f.get("type") == "Results"]
    assert any(not f["is_final"] and f["channel"]["alternatives"][0]["transcript"] for f in results)  # interim
    assert frames[-1]["type"] == "Metadata"
    # linear16 at the audio context's rate; the key travelled as the subprotocol, not in the URL.
    assert len(sockets) == 1 and re.search(r"encoding=linear16.*sample_rate=\d+", sockets[0])
    assert tenant.keys["admin"] not in sockets[0]
    row = off_loop(server.request_row, frames[-1]["request_id"])
    assert row.method == "streaming" and row.api_key_id == tenant.key_ids["admin"] and row.code < 400


def test_text_to_speech(console, tenant):
    c = console(tenant.keys["admin"])
    page = c.page
    c.tab("Playground")
    page.get_by_role("tab", name="Text to speech").click()
    panel = page.locator("#play-panel-speak")
    voices = panel.get_by_label("Voice").locator("option").all_inner_texts()
    assert any(v.startswith("aura-2-thalia-en") for v in voices)
    panel.get_by_label("Text", exact=True).fill("Hello from the console.")
    panel.get_by_role("button", name="Speak").click()
    player = panel.get_by_label("Synthesised speech")
    page.wait_for_function("(a) => a.readyState >= 1 && a.duration > 0.5", arg=player.element_handle())
    assert "23 characters" in panel.get_by_test_id("tts-result").inner_text()
