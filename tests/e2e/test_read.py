"""POST /v1/read end to end: the official SDK's `read.v1.text.analyze`, plain HTTP for the edges."""

from __future__ import annotations

import re

import httpx
import pytest
from deepgram.core.api_error import ApiError
from sqlalchemy import select, update

from opengram.accounts.billing import add_credit
from opengram.accounts.models import Balance, Project, RequestLog
from tests.callbacks import CallbackReceiver
from tests.conftest import sdk_client
from tests.tenants import add_key, make_tenant

MEETING = (
    "Good morning everyone, and thanks for joining the quarterly planning meeting. Today we need to review the "
    "product roadmap, the hiring plan for the engineering team, and the customer support backlog. First, the "
    "roadmap. The mobile app redesign is on track and should ship in March. The new billing system has slipped by "
    "two weeks because the payment provider changed its API. Sarah's team is working with them to finish the "
    "integration. Second, hiring. We have approved budget for four new engineers and one designer. Interviews "
    "start next week, and we hope to make offers by the end of the month. Third, customer support. The backlog "
    "grew to over six hundred tickets after the last release, mostly about login problems. The support team is "
    "frustrated and customers are unhappy. We will add two temporary agents and fix the login bug this sprint. "
    "Finally, I want to thank everyone for the great work on the launch. The feedback from our largest customers "
    "has been excellent, and revenue grew twelve percent this quarter. Let's schedule a follow-up meeting for "
    "Friday to check progress on the billing integration."
)


def post(server, key=None, **kw) -> httpx.Response:
    kw.setdefault("headers", {})["Authorization"] = f"Token {key or server.key}"
    return httpx.post(f"{server.url}/v1/read", timeout=60, **kw)


def test_all_features_through_the_sdk(client):
    r = client.read.v1.text.analyze(
        request={"text": MEETING}, language="en", summarize=True, topics=True, intents=True, sentiment=True
    )
    words = MEETING.split()
    summary = r.results.summary.text
    assert 0 < len(summary.split()) < len(words) / 2
    # Extractive: every sentence of the summary is one of the input's.
    assert all(s in MEETING for s in re.split(r"(?<=[.!?]) ", summary)), summary
    topics = [t.topic.lower() for seg in r.results.topics.segments for t in seg.topics]
    assert "customer support" in topics and "roadmap" in topics, topics
    for seg in r.results.topics.segments:
        assert seg.text == " ".join(words[int(seg.start_word) : int(seg.end_word) + 1])
    intents = [i.intent for seg in r.results.intents.segments for i in seg.intents]
    assert "Schedule follow-up meeting" in intents and "Fix login bug" in intents, intents
    sentiments = r.results.sentiments
    assert {s.sentiment for s in sentiments.segments} >= {"positive", "neutral"}
    assert sentiments.average.sentiment in ("positive", "neutral", "negative")
    meta = r.metadata
    assert meta.request_id and meta.language == "en" and meta.created.endswith("Z")
    # The SDK's model nests these (`metadata.metadata`); Deepgram's wire is flat, so they come as extras.
    assert meta.summary_info["input_tokens"] == len(words) and meta.topics_info["model_uuid"]


def test_sentiment_tells_positive_from_negative(client):
    text = (
        "I absolutely love this new phone, it is wonderful! "
        "The delivery was late and the box was broken, which is terrible."
    )
    r = client.read.v1.text.analyze(request={"text": text}, sentiment=True)
    first, second = r.results.sentiments.segments
    assert (first.sentiment, second.sentiment) == ("positive", "negative")
    assert first.sentiment_score > 0.5 and second.sentiment_score < -0.5
    assert (first.start_word, first.end_word, second.start_word) == (0, 8, 9)
    assert r.results.summary is None and r.results.topics is None


def test_custom_topics_and_intents_strict_and_extended(client):
    text = "I'd like to cancel my subscription. Also my invoice shows the wrong billing address."
    strict = client.read.v1.text.analyze(
        request={"text": text},
        topics=True,
        custom_topic=["billing address", "weather"],
        custom_topic_mode="strict",
        intents=True,
        custom_intent=["Cancel subscription"],
        custom_intent_mode="strict",
    )
    topics = [t.topic for seg in strict.results.topics.segments for t in seg.topics]
    assert topics == ["billing address"]
    # Topic segments gather sentences up to about 25 words: here, the whole text.
    assert (strict.results.topics.segments[0].start_word, strict.results.topics.segments[0].end_word) == (0, 13)
    assert [i.intent for seg in strict.results.intents.segments for i in seg.intents] == ["Cancel subscription"]
    extended = client.read.v1.text.analyze(
        request={"text": text}, topics=True, custom_topic=["weather", "subscription"]
    )
    topics = [t.topic.lower() for seg in extended.results.topics.segments for t in seg.topics]
    assert "subscription" in topics and "weather" not in topics and len(topics) > 1, topics


def test_text_plain_body_and_url(server, files):
    r = post(
        server,
        content=b"What a fantastic day!",
        headers={"Content-Type": "text/plain"},
        params={"sentiment": "true"},
    )
    assert r.status_code == 200 and r.json()["results"]["sentiments"]["average"]["sentiment"] == "positive"
    r = post(server, json={"url": f"{files.url}/audio/manifest.json"}, params={"topics": "true"})
    assert r.status_code == 200, r.text
    assert r.json()["results"]["topics"]["segments"]
    r = post(server, json={"url": f"{files.url}/audio/jfk.mp3"}, params={"topics": "true"})
    assert r.status_code == 400 and r.json()["err_msg"] == "Failed to decode payload as UTF-8."
    r = post(server, json={"url": f"{files.url}/audio/jfk.flac"}, params={"topics": "true"})  # 1.15 MB
    assert r.json()["err_code"] == "REMOTE_CONTENT_ERROR" and "exceeds the limit" in r.json()["err_msg"]


@pytest.mark.parametrize(
    "kw, status, code",
    [
        (dict(json={"text": "   "}), 400, "Bad Request"),
        (dict(json={"text": "a", "url": "http://example.com/x.txt"}), 400, "PAYLOAD_ERROR"),
        (dict(content=b"{not json", headers={"Content-Type": "application/json"}), 400, "PAYLOAD_ERROR"),
        (
            dict(content=b"text", headers={"Content-Type": "application/x-www-form-urlencoded"}),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (dict(json={"text": "hi"}, params={"sentiment": "maybe"}), 400, "INVALID_QUERY_PARAMETER"),
        (dict(json={"text": "hi"}, params={"custom_topic_mode": "loose"}), 400, "INVALID_QUERY_PARAMETER"),
        (dict(json={"text": "Hola."}, params={"summarize": "true", "language": "es"}), 400, "Bad Request"),
        (dict(content=b"x" * (1024 * 1024 + 1), headers={"Content-Type": "text/plain"}), 413, "PAYLOAD_TOO_LARGE"),
        (dict(json={"url": "ftp://example.com/x.txt"}), 400, "REMOTE_CONTENT_ERROR"),
    ],
)
def test_bad_requests(server, kw, status, code):
    r = post(server, **kw)
    assert (r.status_code, r.json()["err_code"]) == (status, code), r.text
    assert r.json()["request_id"] == r.headers["dg-request-id"]


def test_other_languages_are_skipped_with_a_warning(client):
    r = client.read.v1.text.analyze(request={"text": "Hola, ¿qué tal?"}, language="es", sentiment=True, topics=True)
    warnings = r.metadata.model_extra["warnings"] if hasattr(r.metadata, "model_extra") else None
    assert [w["parameter"] for w in warnings] == ["topics", "sentiment"]
    assert {w["type"] for w in warnings} == {"unsupported_language"}
    assert r.results.sentiments is None


def _db(server, fn):
    return server.db.run(fn)


def test_admission_and_usage(server):
    tenant = make_tenant(server.db, "Reader")
    member = tenant.keys["member"]
    text = "The service was great and the staff were friendly."
    r = post(server, member, json={"text": text}, params={"sentiment": "true", "tag": "docs"})
    assert r.status_code == 200
    rid = r.json()["metadata"]["request_id"]

    async def logged(session):
        return await session.get(RequestLog, rid)

    row = _db(server, logged)
    assert (row.endpoint, row.path, row.code, row.characters) == ("read", "/v1/read", 200, len(text))
    assert row.tokens_in == len(text.split()) and row.features == ["sentiment"] and row.tags == ["docs"]
    logged_request = sdk_client(server, tenant.keys["admin"]).manage.v1.projects.requests.get(tenant.project_id, rid)
    assert logged_request.request.path == "/v1/read"

    assert post(server, "0" * 40, json={"text": text}).json()["err_code"] == "INVALID_AUTH"
    reader = add_key(server.db, tenant, "member", ["usage:read"])
    assert post(server, reader, json={"text": text}).json()["err_code"] == "INSUFFICIENT_PERMISSIONS"

    async def limit(session):
        (await session.get(Project, tenant.project_id)).limit_prerecorded = 0

    _db(server, limit)
    r = post(server, member, json={"text": text})
    assert (r.status_code, r.json()["err_code"]) == (429, "TOO_MANY_REQUESTS")

    async def broke(session):  # credited once, and all spent
        (await session.get(Project, tenant.project_id)).limit_prerecorded = None
        await add_credit(session, tenant.project_id, 1.0)
        await session.execute(update(Balance).where(Balance.project_id == tenant.project_id).values(amount=0.0))

    _db(server, broke)
    r = post(server, member, json={"text": text})
    assert (r.status_code, r.json()["err_code"]) == (402, "ASR_PAYMENT_REQUIRED")

    async def refused(session):
        rows = await session.scalars(select(RequestLog).where(RequestLog.project_id == tenant.project_id))
        return sorted(row.code for row in rows)

    assert _db(server, refused) == [200, 402, 429]


def test_sdk_error_for_empty_text(client):
    with pytest.raises(ApiError) as err:
        client.read.v1.text.analyze(request={"text": ""}, sentiment=True)
    assert err.value.status_code == 400 and err.value.body["err_msg"] == "Input text contains no characters."


def test_callback_delivers_the_result(server, client):
    receiver = CallbackReceiver()
    try:
        accepted = client.read.v1.text.analyze(
            request={"text": "Thanks, this is great!"}, sentiment=True, callback=receiver.url
        )
        (delivered,) = receiver.wait_for(1)
        body = delivered["body"]
        # The SDK parses `{"request_id"}` as a ReadV1Response whose fields are all empty; the id is an extra.
        assert body["metadata"]["request_id"] == (accepted.model_extra or {})["request_id"]
        assert body["results"]["sentiments"]["average"]["sentiment"] == "positive"
        assert delivered["headers"]["dg-token"]
    finally:
        receiver.close()
    r = post(server, json={"text": "hi"}, params={"callback": "not a url"})
    assert (r.status_code, r.json()["err_msg"]) == (400, "Invalid callback url.")
