"""The request log through `manage.v1.projects.requests`: every filter, seed 000's pagination, one request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests import audio
from tests.conftest import sdk_client
from tests.manage.conftest import api_error
from tests.manage.logrows import insert, row, utc
from tests.tenants import make_tenant


@pytest.fixture(scope="module")
def logged(server):
    """A tenant with 25 logged requests over three days, of every kind."""
    tenant = make_tenant(server.db, "Log")
    pid, admin, member = tenant.project_id, tenant.key_ids["admin"], tenant.key_ids["member"]
    rows = []
    for i in range(20):  # 2024-03-01 10:00 .. 11:35, every 5 minutes, newest last
        rows.append(
            row(
                pid,
                utc(2024, 3, 1, 10, 0) + timedelta(minutes=5 * i),
                api_key_id=admin,
                request_id=f"00000000-0000-4000-8000-{i:012d}",
            )
        )
    rows.append(row(pid, utc(2024, 3, 2, 8, 0), api_key_id=member, method="async", callback="https://example.com/hook"))
    rows.append(row(pid, utc(2024, 3, 2, 9, 0), api_key_id=member, method="streaming", code=400, message="bad audio"))
    rows.append(
        row(pid, utc(2024, 3, 2, 23, 30), endpoint="speak", path="/v1/speak", model="aura-2-thalia-en", characters=120)
    )
    rows.append(row(pid, utc(2024, 3, 3, 0, 30), endpoint="read", path="/v1/read", deployment="hosted"))
    rows.append(row(pid, utc(2024, 3, 3, 12, 0), code=429))
    insert(server.db, rows)
    return tenant, rows


def ids(response) -> list[str]:
    return [r.request_id for r in response.requests]


def test_default_page_is_the_ten_newest(logged, server):
    tenant, rows = logged
    client = sdk_client(server, tenant.keys["admin"])
    page = client.manage.v1.projects.requests.list(tenant.project_id)
    assert page.page == 0 and page.limit == 10
    newest = sorted(rows, key=lambda r: r.created, reverse=True)
    assert ids(page) == [r.request_id for r in newest[:10]]
    first = page.requests[0]
    assert first.project_uuid == tenant.project_id and first.path == "/v1/listen" and first.code == 429
    assert first.created == utc(2024, 3, 3, 12, 0)  # sent as 2024-03-03T12:00:00Z, parsed by the SDK


def test_pages_walk_everything_once(logged, server):
    tenant, rows = logged
    client = sdk_client(server, tenant.keys["admin"])
    seen = []
    for page in range(4):
        got = client.manage.v1.projects.requests.list(tenant.project_id, limit=7, page=page)
        assert got.page == page and got.limit == 7
        seen += ids(got)
    assert len(seen) == len(rows) == len(set(seen))
    assert client.manage.v1.projects.requests.list(tenant.project_id, limit=7, page=4).requests == []
    assert len(client.manage.v1.projects.requests.list(tenant.project_id, limit=1000).requests) == 25


@pytest.mark.parametrize("limit", [0, 1001, 2.5])
def test_limit_bounds(logged, server, limit):
    tenant, _ = logged
    err = api_error(
        lambda: sdk_client(server, tenant.keys["admin"]).manage.v1.projects.requests.list(
            tenant.project_id, limit=limit
        )
    )
    assert err.status_code == 400 and err.body["err_code"] == "INVALID_QUERY_PARAMETER"


def test_start_and_end_in_every_format(logged, server):
    tenant, _ = logged
    url = f"{server.url}/v1/projects/{tenant.project_id}/requests"
    auth = {"Authorization": f"Token {tenant.keys['admin']}"}

    def count(**params) -> int:
        r = httpx.get(url, params={"limit": 1000, **params}, headers=auth)
        assert r.status_code == 200, r.text
        return len(r.json()["requests"])

    # YYYY-MM-DD: an end date covers its whole day.
    assert count(start="2024-03-02", end="2024-03-02") == 3
    assert count(start="2024-03-01", end="2024-03-01") == 20
    # YYYY-MM-DDTHH:MM:SS (UTC), bounds inclusive.
    assert count(start="2024-03-01T10:00:00", end="2024-03-01T10:30:00") == 7
    # With an offset: 12:00+02:00 is 10:00Z.
    assert count(start="2024-03-01T12:00:00+02:00", end="2024-03-01T12:30:00+02:00") == 7
    # An unencoded `+` arrives as a space and still means an offset.
    r = httpx.get(f"{url}?limit=1000&start=2024-03-01T12:00:00+02:00&end=2024-03-01T12:30:00+02:00", headers=auth)
    assert len(r.json()["requests"]) == 7
    assert count(start="2024-03-03") == 2 and count(end="2024-03-01") == 20
    bad = httpx.get(url, params={"start": "yesterday"}, headers=auth)
    assert bad.status_code == 400 and bad.json()["err_code"] == "INVALID_QUERY_PARAMETER"


def test_sdk_datetimes(logged, server):
    tenant, _ = logged
    client = sdk_client(server, tenant.keys["admin"])
    got = client.manage.v1.projects.requests.list(
        tenant.project_id, start=utc(2024, 3, 2), end=datetime(2024, 3, 2, 23, 59, 59, tzinfo=UTC), limit=100
    )
    assert len(got.requests) == 3


def test_filters(logged, server):
    tenant, rows = logged
    requests = sdk_client(server, tenant.keys["admin"]).manage.v1.projects.requests
    pid = tenant.project_id

    def n(**filters) -> int:
        return len(requests.list(pid, limit=1000, **filters).requests)

    assert n(accessor=tenant.key_ids["member"]) == 2
    assert n(accessor=tenant.key_ids["admin"]) == 20
    assert ids(requests.list(pid, request_id=rows[3].request_id)) == [rows[3].request_id]
    assert n(deployment="hosted") == 1 and n(deployment="self-hosted") == 24
    assert n(endpoint="speak") == 1 and n(endpoint="read") == 1 and n(endpoint="listen") == 23
    assert n(method="async") == 1 and n(method="streaming") == 1 and n(method="sync") == 23
    assert n(status="failed") == 2 and n(status="succeeded") == 23
    assert n(endpoint="listen", status="failed", method="streaming") == 1


def test_get_one_request_both_shapes(logged, server):
    tenant, rows = logged
    client = sdk_client(server, tenant.keys["admin"])
    async_row = rows[20]
    got = client.manage.v1.projects.requests.get(tenant.project_id, async_row.request_id)
    assert got.request.request_id == async_row.request_id
    assert got.request.callback == "https://example.com/hook"
    flat = got.dict()
    assert flat["request_id"] == async_row.request_id and flat["accessor"] == tenant.key_ids["member"]
    assert flat["response"]["details"]["method"] == "async" and flat["response"]["code"] == 200
    failed = client.manage.v1.projects.requests.get(tenant.project_id, rows[21].request_id).dict()
    assert failed["code"] == 400 and failed["response"]["message"] == "bad audio"
    err = api_error(
        lambda: client.manage.v1.projects.requests.get(tenant.project_id, "00000000-0000-0000-0000-000000000000")
    )
    assert err.status_code == 404


def test_listen_requests_are_logged_in_full(server, tenant, as_role):
    client = as_role("member")
    done = client.listen.v1.media.transcribe_file(
        request=audio.read("jfk_16k.wav"), model="nova-3", punctuate=True, tag=["ci", "west"]
    )
    rid = done.metadata.request_id
    logged = as_role("admin").manage.v1.projects.requests.get(tenant.project_id, rid).dict()
    assert logged["api_key_id"] == tenant.key_ids["member"] and logged["path"] == "/v1/listen"
    assert logged["code"] == 200 and logged["deployment"] == "self-hosted"
    details = logged["response"]["details"]
    assert abs(details["duration"] - 11.0) < 0.1 and details["channels"] == 1 and details["method"] == "sync"
    assert details["tags"] == ["ci", "west"] and "punctuate" in details["features"]
    assert details["config"]["model"] == "nova-3" and details["models"] == list(done.metadata.models)
    # A failed request is logged with its status too.
    r = httpx.post(
        f"{server.url}/v1/listen",
        content=b"not audio at all",
        headers={"Authorization": f"Token {tenant.keys['member']}"},
    )
    assert r.status_code == 400
    failed = as_role("admin").manage.v1.projects.requests.list(tenant.project_id, status="failed").requests
    assert [f.request_id for f in failed] == [r.headers["dg-request-id"]]
