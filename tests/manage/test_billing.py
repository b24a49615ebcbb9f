"""Balances, purchases and billing reports, the 402 of an empty balance, and per-project concurrency
limits, on a server with prices configured."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from opengram.accounts.billing import add_credit
from opengram.accounts.models import Project
from tests import audio
from tests.conftest import sdk_client
from tests.manage.conftest import api_error
from tests.server import TempDatabase, start_server
from tests.tenants import make_tenant

PRICES = '{"*": 0.5, "nova-2": 1.5}'  # USD per minute: large, so that amounts are easy to check


@pytest.fixture(scope="module")
def priced(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("priced")
    db = TempDatabase(tmp)
    srv = start_server(tmp, db, OPENGRAM_PRICES=PRICES, OPENGRAM_LIMIT_PRERECORDED="2")
    yield srv
    srv.stop()
    db.drop()


def credit(db, project_id: str, amount: float) -> tuple[str, str]:
    async def go(session):
        purchase, balance = await add_credit(session, project_id, amount)
        return purchase.order_id, balance.balance_id

    return db.run(go)


def set_project(db, project_id: str, **values) -> None:
    async def go(session):
        project = await session.get(Project, project_id)
        for name, value in values.items():
            setattr(project, name, value)

    db.run(go)


def transcribe(server, key: str, name: str = "cards_001.wav", **params) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/listen",
        params=params,
        content=audio.read(name),
        headers={"Authorization": f"Token {key}"},
        timeout=120,
    )


def test_requests_draw_the_balance_down(priced):
    tenant = make_tenant(priced.db, "Paying")
    order_id, balance_id = credit(priced.db, tenant.project_id, 10.0)
    admin = sdk_client(priced, tenant.keys["admin"])
    balances = admin.manage.v1.projects.billing.balances.list(tenant.project_id).balances
    assert [(b.balance_id, b.amount, b.units, b.purchase_order_id) for b in balances] == [
        (balance_id, 10.0, "usd", order_id)
    ]
    assert balances[0].dict()["purchase"] == order_id  # older clients' name

    r = transcribe(priced, tenant.keys["member"], model="nova-3")
    assert r.status_code == 200
    seconds = r.json()["metadata"]["duration"]
    r2 = transcribe(priced, tenant.keys["member"], model="nova-2-phonecall")  # priced as nova-2
    assert r2.status_code == 200
    spent = 0.5 * seconds / 60 + 1.5 * seconds / 60
    left = admin.manage.v1.projects.billing.balances.get(tenant.project_id, balance_id)
    assert left.amount == pytest.approx(10.0 - spent, abs=1e-5)

    logged = admin.manage.v1.projects.requests.get(tenant.project_id, r.headers["dg-request-id"]).dict()
    assert logged["response"]["details"]["usd"] == pytest.approx(0.5 * seconds / 60, abs=1e-6)

    orders = admin.manage.v1.projects.billing.purchases.list(tenant.project_id).orders
    assert [(o.order_id, o.amount, o.units) for o in orders] == [(order_id, 10.0, "usd")]

    breakdown = admin.manage.v1.projects.billing.breakdown.list(tenant.project_id, grouping=["line_item"])
    dollars = {r.grouping.line_item: r.dollars for r in breakdown.results}
    assert dollars == pytest.approx(
        {"prerecorded::nova-3": 0.5 * seconds / 60, "prerecorded::nova-2-phonecall": 1.5 * seconds / 60}, abs=1e-5
    )
    only = admin.manage.v1.projects.billing.breakdown.list(tenant.project_id, line_item="prerecorded::nova-3")
    assert sum(r.dollars for r in only.results) == pytest.approx(0.5 * seconds / 60, abs=1e-5)
    by_key = admin.manage.v1.projects.billing.breakdown.list(tenant.project_id, grouping=["accessor", "line_item"])
    assert {r.grouping.accessor for r in by_key.results} == {tenant.key_ids["member"]}

    fields = admin.manage.v1.projects.billing.fields.list(tenant.project_id)
    assert fields.accessors == [tenant.key_ids["member"]] and fields.deployments == ["self-hosted"]
    assert set(fields.line_items) == {"prerecorded::nova-3", "prerecorded::nova-2-phonecall"}

    err = api_error(lambda: admin.manage.v1.projects.billing.balances.get(tenant.project_id, "no-such-balance"))
    assert err.status_code == 404
    err = api_error(
        lambda: sdk_client(priced, tenant.keys["member"]).manage.v1.projects.billing.balances.list(tenant.project_id)
    )
    assert err.status_code == 401  # billing is for admins and owners


def test_empty_balance_without_overage_answers_402(priced):
    tenant = make_tenant(priced.db, "Broke")
    credit(priced.db, tenant.project_id, 0.001)  # less than one request costs: that request goes through
    assert transcribe(priced, tenant.keys["member"]).status_code == 200
    r = transcribe(priced, tenant.keys["member"])
    assert r.status_code == 402
    assert r.json()["err_code"] == "ASR_PAYMENT_REQUIRED"
    assert r.json()["err_msg"] == (
        "Project does not have enough credits for an ASR request and does not have an overage agreement."
    )
    admin = sdk_client(priced, tenant.keys["admin"])
    refused = admin.manage.v1.projects.requests.get(tenant.project_id, r.headers["dg-request-id"])
    assert refused.request.code == 402
    # An overage agreement lets requests through, below zero.
    set_project(priced.db, tenant.project_id, overage=True)
    assert transcribe(priced, tenant.keys["member"]).status_code == 200
    assert admin.manage.v1.projects.billing.balances.list(tenant.project_id).balances[0].amount < 0
    # New credit ends the refusal as well.
    set_project(priced.db, tenant.project_id, overage=False)
    assert transcribe(priced, tenant.keys["member"]).status_code == 402
    credit(priced.db, tenant.project_id, 5.0)
    assert transcribe(priced, tenant.keys["member"]).status_code == 200


def test_every_project_has_one_balance_and_uncredited_ones_are_never_refused(priced):
    tenant = make_tenant(priced.db, "Free")
    admin = sdk_client(priced, tenant.keys["admin"])
    [balance] = admin.manage.v1.projects.billing.balances.list(tenant.project_id).balances
    assert balance.amount == 0 and balance.units == "usd" and balance.balance_id
    assert transcribe(priced, tenant.keys["member"]).status_code == 200  # never credited: runs free, below zero
    [after] = admin.manage.v1.projects.billing.balances.list(tenant.project_id).balances
    assert after.balance_id == balance.balance_id and after.amount < 0
    assert admin.manage.v1.projects.billing.balances.get(tenant.project_id, balance.balance_id).amount == after.amount
    credit(priced.db, tenant.project_id, 2.0)
    credit(priced.db, tenant.project_id, 3.0)
    [credited] = admin.manage.v1.projects.billing.balances.list(tenant.project_id).balances
    assert credited.balance_id == balance.balance_id and credited.amount == pytest.approx(after.amount + 5.0)
    assert len(admin.manage.v1.projects.billing.purchases.list(tenant.project_id).orders) == 2


def test_starting_credit_from_settings(tmp_path):
    """`OPENGRAM_STARTING_CREDIT`: the first project (and every one created after) starts with it, as a
    promotional purchase; spending past it without an overage agreement is 402."""
    db = TempDatabase(tmp_path)
    srv = start_server(tmp_path, db, OPENGRAM_PRICES='{"*": 60.0}', OPENGRAM_STARTING_CREDIT="1.5")
    try:
        client = sdk_client(srv)
        project_id = client.manage.v1.projects.list().projects[0].project_id
        [balance] = client.manage.v1.projects.billing.balances.list(project_id).balances
        assert (balance.amount, balance.units) == (1.5, "usd")
        [order] = client.manage.v1.projects.billing.purchases.list(project_id).orders
        assert (order.amount, order.order_type) == (1.5, "promotional") and balance.purchase_order_id == order.order_id
        assert transcribe(srv, srv.key, "jfk_16k.wav").status_code == 200  # 11 s at $60/min: $11 of $1.50
        assert transcribe(srv, srv.key, "jfk_16k.wav").status_code == 402
    finally:
        srv.stop()
        db.drop()


def _concurrently(server, key: str, n: int) -> list[httpx.Response]:
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: transcribe(server, key, "jfk_16k.wav"), range(n)))


def test_concurrency_limit_from_settings(priced):
    tenant = make_tenant(priced.db, "Busy")
    codes = sorted(r.status_code for r in _concurrently(priced, tenant.keys["member"], 4))
    assert codes.count(200) == 2 and codes.count(429) == 2, codes


def test_concurrency_limit_per_project(priced):
    tenant = make_tenant(priced.db, "Throttled")
    other = make_tenant(priced.db, "Neighbour")
    set_project(priced.db, tenant.project_id, limit_prerecorded=1)
    responses = _concurrently(priced, tenant.keys["member"], 3)
    refused = [r for r in responses if r.status_code == 429]
    assert len(refused) == 2 and sum(r.status_code == 200 for r in responses) == 1
    assert refused[0].json()["err_code"] == "TOO_MANY_REQUESTS"
    assert refused[0].json()["err_msg"] == "Too many requests. Please try again later"
    # Slots come back, and another project's count is its own.
    assert transcribe(priced, tenant.keys["member"]).status_code == 200
    assert transcribe(priced, other.keys["member"]).status_code == 200
