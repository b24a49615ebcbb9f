"""ListenOptions: Deepgram's query strings as clients really send them."""

from __future__ import annotations

import pytest

from opengram.errors import InvalidQueryParameter
from opengram.speech.options import ListenOptions


def parse(**params) -> ListenOptions:
    items = [(k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]
    return ListenOptions.parse(items)


def test_defaults():
    o = parse()
    assert (o.model, o.language, o.punctuate, o.alternatives, o.endpointing) == (None, "en", False, 1, 10)
    assert o.features() == []


def test_repeated_keys_make_lists():
    o = parse(tag=["a", "b"], keyterm=["x y"], redact=["pci", "ssn"])
    assert o.tag == ["a", "b"] and o.keyterm == ["x y"] and o.redact == ["pci", "ssn"]


def test_integral_floats_are_ints():
    assert parse(sample_rate="24000.0").sample_rate == 24000
    with pytest.raises(InvalidQueryParameter, match="sample_rate"):
        parse(sample_rate="24000.5")


def test_booleans_and_mixed_types():
    assert parse(punctuate="true").punctuate is True
    assert parse(punctuate="false").punctuate is False
    assert parse(endpointing="false").endpointing is False
    assert parse(endpointing="300").endpointing == 300
    assert parse(summarize="v2").summarize == "v2"
    assert parse(summarize="true").summarize is True


def test_bad_values_name_the_parameter():
    with pytest.raises(InvalidQueryParameter, match="punctuate") as err:
        parse(punctuate="perhaps")
    assert err.value.message.startswith("Failed to deserialize query parameters: ")


def test_unknown_names_are_ignored():
    assert parse(brand_new_flag="1").model is None


def test_features_and_config():
    o = parse(model="nova-3", punctuate="true", alternatives="2", tag="x")
    assert o.features() == ["punctuate", "alternatives"]
    assert o.config() == {"model": "nova-3", "punctuate": True, "alternatives": 2, "tag": ["x"]}


@pytest.mark.parametrize("flag", ["smart_format", "paragraphs", "dictation", "detect_entities"])
def test_features_that_imply_punctuation(flag):
    assert parse(**{flag: "true"}).punctuated
    assert not parse().punctuated
