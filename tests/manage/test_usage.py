"""Usage summary, fields and breakdown through `manage.v1.projects.usage`."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import sdk_client
from tests.manage.logrows import insert, row, utc
from tests.tenants import make_tenant


@pytest.fixture(scope="module")
def usage(server):
    tenant = make_tenant(server.db, "Usage")
    pid, admin, member = tenant.project_id, tenant.key_ids["admin"], tenant.key_ids["member"]
    rows = [
        # 2024-05-01: three listens (one stereo), one failed listen that counts for nothing.
        row(pid, utc(2024, 5, 1, 9, 0), api_key_id=admin, duration=1800.0, features=["punctuate", "diarize"],
            tags=["team:a"], config={"punctuate": True, "diarize": True}),
        row(pid, utc(2024, 5, 1, 9, 30), api_key_id=admin, duration=900.0, channels=2,
            features=["diarize", "punctuate"], tags=["team:a"], config={"language": "fr"}),
        row(pid, utc(2024, 5, 1, 14, 0), api_key_id=member, duration=360.0, method="streaming",
            features=["smart_format"], tags=["team:b"], model="nova-2", models=["m-uuid-2"]),
        row(pid, utc(2024, 5, 1, 15, 0), api_key_id=member, duration=500.0, code=400),
        # 2024-05-02: a TTS request and a read request.
        row(pid, utc(2024, 5, 2, 10, 0), endpoint="speak", path="/v1/speak", duration=0.0, characters=1234,
            model="aura-2-thalia-en", models=[]),
        row(pid, utc(2024, 5, 2, 11, 0), endpoint="read", path="/v1/read", duration=0.0, tokens_in=95, tokens_out=63,
            models=[]),
        # 2024-06-10: one more listen, another month.
        row(pid, utc(2024, 6, 10, 8, 0), api_key_id=admin, duration=3600.0),
    ]  # fmt: skip
    insert(server.db, rows)
    return tenant


def test_summary_by_day(usage, server):
    client = sdk_client(server, usage.keys["admin"])
    got = client.manage.v1.projects.usage.get(usage.project_id, start="2024-05-01", end="2024-05-31")
    assert got.start == "2024-05-01" and got.end == "2024-05-31"
    assert got.resolution.units == "day" and got.resolution.amount == 1
    body = got.dict()
    day1, day2 = body["results"]
    assert (day1["start"], day1["end"]) == ("2024-05-01", "2024-05-01")
    assert day1["hours"] == pytest.approx((1800 + 900 + 360) / 3600)
    assert day1["total_hours"] == pytest.approx((1800 + 2 * 900 + 360) / 3600)  # stereo counts twice
    assert day1["requests"] == 3  # the failed one is not usage
    assert day2["requests"] == 2 and day2["tts"] == {"characters": 1234, "requests": 1}
    assert day2["tokens"] == {"in": 95, "out": 63} and day2["hours"] == 0


def test_summary_resolutions(usage, server):
    url = f"{server.url}/v1/projects/{usage.project_id}/usage"
    auth = {"Authorization": f"Token {usage.keys['admin']}"}
    months = httpx.get(
        url, params={"start": "2024-01-01", "end": "2024-12-31", "resolution": "month"}, headers=auth
    ).json()
    assert months["resolution"] == {"units": "month", "amount": 1}
    assert [(r["start"], r["end"], r["requests"]) for r in months["results"]] == [
        ("2024-05-01", "2024-05-31", 5),
        ("2024-06-01", "2024-06-30", 1),
    ]
    hours = httpx.get(
        url, params={"start": "2024-05-01", "end": "2024-05-01", "resolution": "hour"}, headers=auth
    ).json()
    assert [(r["start"], r["requests"]) for r in hours["results"]] == [
        ("2024-05-01T09:00:00Z", 2),
        ("2024-05-01T14:00:00Z", 1),
    ]


def test_summary_filters(usage, server):
    usage_api = sdk_client(server, usage.keys["admin"]).manage.v1.projects.usage
    pid = usage.project_id

    def requests(**filters) -> int:
        got = usage_api.get(pid, start="2024-01-01", end="2024-12-31", **filters).dict()
        return sum(r["requests"] for r in got["results"])

    assert requests() == 6
    assert requests(accessor=usage.key_ids["member"]) == 1
    assert requests(method="streaming") == 1 and requests(endpoint="speak") == 1
    assert requests(tag="team:a") == 2
    assert requests(model="m-uuid-2") == 1 and requests(model="nova-3") == 4  # by uuid, or by name
    assert requests(diarize=True) == 2
    assert requests(diarize=False) == 4
    assert requests(diarize=True, smart_format=True) == 3  # true filters are OR-ed
    assert requests(punctuate=True, diarize=False) == 0  # false ones exclude
    assert requests(language=True) == 1  # a setting given in the request counts as used


def test_fields(usage, server):
    got = sdk_client(server, usage.keys["admin"]).manage.v1.projects.usage.fields.list(
        usage.project_id, start="2024-05-01", end="2024-05-31"
    )
    assert got.tags == ["team:a", "team:b"]
    assert sorted(got.processing_methods) == ["streaming", "sync"]
    assert got.features == ["diarize", "punctuate", "smart_format"]
    assert [m.model_id for m in got.models] == ["m-uuid-1", "m-uuid-2"]
    assert sorted(got.dict()["languages"]) == ["en", "fr"]


def test_breakdown_required_fields_and_groupings(usage, server):
    breakdown = sdk_client(server, usage.keys["admin"]).manage.v1.projects.usage.breakdown
    pid = usage.project_id
    plain = breakdown.get(pid, start="2024-05-01", end="2024-05-31")
    assert plain.start == "2024-05-01" and plain.resolution.units == "day"
    required = (
        "hours",
        "total_hours",
        "agent_hours",
        "tokens_in",
        "tokens_out",
        "tts_characters",
        "requests",
        "grouping",
    )
    for result in plain.dict()["results"]:
        assert all(result[name] is not None for name in required)
        assert result["grouping"]["accessor"] is None and result["grouping"]["start"] == result["grouping"]["end"]
    assert [r.requests for r in plain.results] == [3, 2]

    by_accessor = breakdown.get(pid, start="2024-05-01", end="2024-05-01", grouping="accessor")
    counts = {r.grouping.accessor: r.requests for r in by_accessor.results}
    assert counts == {usage.key_ids["admin"]: 2, usage.key_ids["member"]: 1}

    by_features = breakdown.get(pid, start="2024-05-01", end="2024-05-01", grouping="feature_set")
    # ["punctuate","diarize"] and ["diarize","punctuate"] are one feature set.
    assert {r.grouping.feature_set: r.requests for r in by_features.results} == {
        "diarize,punctuate": 2,
        "smart_format": 1,
    }

    by_tags = breakdown.get(pid, start="2024-05-01", end="2024-05-01", grouping="tags")
    assert sorted((r.grouping.tags, r.requests) for r in by_tags.results) == [(["team:a"], 2), (["team:b"], 1)]

    by_method = breakdown.get(pid, start="2024-05-01", end="2024-05-31", grouping="method", endpoint="listen")
    assert sorted((r.grouping.method, r.requests) for r in by_method.results) == [("streaming", 1), ("sync", 2)]

    by_models = breakdown.get(pid, start="2024-05-01", end="2024-05-01", grouping="models")
    assert sorted((tuple(r.grouping.models), r.requests) for r in by_models.results) == [
        (("m-uuid-1",), 2),
        (("m-uuid-2",), 1),
    ]
