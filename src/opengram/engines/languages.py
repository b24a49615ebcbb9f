"""Language codes: BCP-47 tags as clients send them, and the codes Whisper's tokenizer knows.

Whisper names 99 languages with (mostly) ISO 639-1 codes. A BCP-47 tag maps onto them by its primary subtag
(`pt-BR` -> `pt`, `es-419` -> `es`, `zh-Hant` -> `zh`), after a few aliases where Whisper or BCP-47 use an old
or different code. Anything else is not a language we can serve.
"""

from __future__ import annotations

ENGLISH = "en"

# Whisper's own codes, in its token order (faster_whisper.tokenizer._LANGUAGE_CODES without "yue", which only
# large-v3 models have; tests check this list against faster-whisper's).
WHISPER_LANGUAGES: tuple[str, ...] = (
    "af", "am", "ar", "as", "az", "ba", "be", "bg", "bn", "bo", "br", "bs", "ca", "cs", "cy", "da", "de", "el",
    "en", "es", "et", "eu", "fa", "fi", "fo", "fr", "gl", "gu", "ha", "haw", "he", "hi", "hr", "ht", "hu", "hy",
    "id", "is", "it", "ja", "jw", "ka", "kk", "km", "kn", "ko", "la", "lb", "ln", "lo", "lt", "lv", "mg", "mi",
    "mk", "ml", "mn", "mr", "ms", "mt", "my", "ne", "nl", "nn", "no", "oc", "pa", "pl", "ps", "pt", "ro", "ru",
    "sa", "sd", "si", "sk", "sl", "sn", "so", "sq", "sr", "su", "sv", "sw", "ta", "te", "tg", "th", "tk", "tl",
    "tr", "tt", "uk", "ur", "uz", "vi", "yi", "yo", "zh",
)  # fmt: skip

# Primary subtags that Whisper spells differently, or that mean a language Whisper knows under another code.
_ALIASES = {
    "jv": "jw",  # Javanese: Whisper uses the withdrawn "jw"
    "iw": "he",  # deprecated BCP-47 code for Hebrew
    "in": "id",  # deprecated code for Indonesian
    "ji": "yi",  # deprecated code for Yiddish
    "nb": "no",  # Norwegian Bokmål
    "fil": "tl",  # Filipino
    "yue": "zh",  # Cantonese: base/small/medium models only know it as Chinese
    "mo": "ro",  # Moldavian
}
_TO_BCP47 = {"jw": "jv"}


def whisper_language(tag: str | None) -> str | None:
    """Whisper's code for a BCP-47 tag (`en-US` -> `en`, `pt-BR` -> `pt`, `zh-CN` -> `zh`), or None if unknown.

    `None` or an empty tag means English, Deepgram's default. Whisper's own codes (`jw`) are accepted as well.
    """
    if tag is None or not tag.strip():
        return ENGLISH
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    primary = _ALIASES.get(primary, primary)
    return primary if primary in WHISPER_LANGUAGES else None


def bcp47(code: str) -> str:
    """The BCP-47 tag for a Whisper language code (they differ only for Javanese)."""
    return _TO_BCP47.get(code, code)


def is_english(tag: str | None) -> bool:
    return whisper_language(tag) == ENGLISH
