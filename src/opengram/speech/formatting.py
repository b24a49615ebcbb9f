"""Text formatting of timed words, model-agnostic: fillers, dictation, numerals, measurements, smart format,
profanity. Each function takes and returns a list of `TimedWord` and keeps every word's timing honest: a
word split in several shares its span, words joined in one span them all.
"""

from __future__ import annotations

import re

from num2words import num2words
from text_to_num import alpha2digit

from opengram.speech.words import TimedWord, join_span, leading_punct, split_span, trailing_punct

SENTENCE_END = (".", "?", "!")


def _capitalize(text: str) -> str:
    lead = leading_punct(text)
    rest = text[len(lead) :]
    return lead + rest[:1].upper() + rest[1:]


def _starts_sentence(words: list[TimedWord], index: int) -> bool:
    return index == 0 or words[index - 1].punctuated.rstrip().endswith(SENTENCE_END + ("\n",))


# --- filler words ---------------------------------------------------------------------------------------

FILLERS = {"uh", "um", "umm", "uhm", "uhh", "er", "erm", "hmm", "mm", "mhm", "mmm"}
# Whisper leaves out disfluencies unless its context shows them; a disfluent prompt makes it write the
# fillers it really hears (measured on spacewalk.wav: every "um"/"uh" of the reference comes back).
FILLER_PROMPT = "Um, uh, so, like, I mean, uh, you know, um, yeah."


def drop_fillers(words: list[TimedWord]) -> list[TimedWord]:
    out: list[TimedWord] = []
    capitalize_next = False
    for i, w in enumerate(words):
        if w.word not in FILLERS:
            if capitalize_next:
                w = w.with_text(_capitalize(w.punctuated))
                capitalize_next = False
            out.append(w)
            continue
        tail = trailing_punct(w.punctuated)
        if out and tail.strip() and tail.strip()[0] in SENTENCE_END:
            out[-1] = out[-1].with_text(out[-1].punctuated.rstrip(",;:") + tail.strip())
        elif out and tail.startswith(",") and out[-1].punctuated.endswith(","):
            out[-1] = out[-1].with_text(out[-1].punctuated[:-1])  # "as, um, it" -> "as it"
        capitalize_next = capitalize_next or _starts_sentence(words, i)
    return out


# --- dictation --------------------------------------------------------------------------------------------

DICTATION = {
    ("comma",): ",", ("period",): ".", ("full", "stop"): ".", ("question", "mark"): "?",
    ("exclamation", "point"): "!", ("exclamation", "mark"): "!", ("colon",): ":", ("semicolon",): ";",
    ("new", "line"): "\n", ("new", "paragraph"): "\n\n",
}  # fmt: skip


def dictation(words: list[TimedWord]) -> list[TimedWord]:
    """Spoken punctuation commands become the punctuation, attached to the word before."""
    out: list[TimedWord] = []
    i = 0
    while i < len(words):
        for command, mark in DICTATION.items():
            n = len(command)
            if tuple(w.word for w in words[i : i + n]) == command and out:
                previous = out[-1].punctuated
                # A sentence mark replaces a comma the model guessed; a line break keeps what is there.
                out[-1] = out[-1].with_text(previous + mark if "\n" in mark else previous.rstrip(",;:") + mark)
                i += n
                if i < len(words) and mark in (".", "?", "!", "\n", "\n\n"):
                    words[i] = words[i].with_text(_capitalize(words[i].punctuated))
                break
        else:
            out.append(words[i])
            i += 1
    return out


# --- numbers ------------------------------------------------------------------------------------------------

NUMBER_WORDS = set(
    "zero oh one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million "
    "billion trillion first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth thirtieth fortieth "
    "fiftieth sixtieth seventieth eightieth ninetieth hundredth thousandth point".split()
)
CARDINALS = set(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety".split()
)
DIGITS = {name: str(i) for i, name in enumerate("zero one two three four five six seven eight nine".split())} | {
    "oh": "0"
}
_SCALES = {"hundred", "thousand", "million", "billion", "trillion", "point", "oh", "and", "a"}
_JOINERS = {"and", "a"}  # "one hundred and five", "a hundred"


def _number_run(words: list[TimedWord], i: int) -> int:
    """End (exclusive) of the run of number words starting at i; punctuation inside a word ends the run."""
    j = i
    while j < len(words):
        bare = words[j].word
        parts = bare.split("-")
        joins = bare in _JOINERS and j > i and j + 1 < len(words) and words[j + 1].word in NUMBER_WORDS
        if not all(p in NUMBER_WORDS for p in parts) and not joins:
            break
        j += 1
        # Punctuation ends a number, and so does an ordinal ("twenty first" | "one").
        if trailing_punct(words[j - 1].punctuated) or bare.split("-")[-1] not in CARDINALS | _SCALES:
            break
    return j


def _in_digit_string(words: list[TimedWord], i: int) -> bool:
    """Whether words[i] is one of three or more digits said one by one ("nine, oh, two"), so that "oh" is a
    zero there and an interjection elsewhere ("Oh, five people")."""
    left = i
    while left > 0 and words[left - 1].word in DIGITS:
        left -= 1
    right = i + 1
    while right < len(words) and words[right].word in DIGITS:
        right += 1
    return right - left >= 3


def written_numbers(words: list[TimedWord]) -> list[TimedWord]:
    """Numbers said in words become digits ("nine hundred" -> "900"), as Deepgram's `numerals`."""
    out: list[TimedWord] = []
    i = 0
    while i < len(words):
        j = _number_run(words, i)
        if j == i:
            out.append(words[i])
            i += 1
            continue
        run = words[i:j]
        spoken = " ".join(w.word for w in run)
        # A lone small number is converted too ("one, two, three"), but a lone ordinal ("the first",
        # "a second") and "one" with no count beside it ("the right one") are words more often than numbers.
        beside = [words[k] for k in (i - 1, j) if 0 <= k < len(words)]
        counted = any(w.word in CARDINALS or _is_number(w) for w in beside)
        keep = len(run) == 1 and (spoken not in CARDINALS or (spoken == "one" and not counted))
        if all(w.word in DIGITS for w in run) and (len(run) > 1 or _in_digit_string(words, i)):
            # Digits said one by one ("nine oh two one oh", "nine, oh, two") stay one token each, for smart
            # format to join; alpha2digit would pair some of them ("05 9 5") and leave "oh" alone.
            converted = [DIGITS[w.word] for w in run]
        else:
            converted = spoken.split() if keep else alpha2digit(spoken, "en", threshold=0).split()
        if converted == spoken.split():
            out.extend(run)
        else:
            tail = trailing_punct(run[-1].punctuated)
            lead = leading_punct(run[0].punctuated)
            # Share the run among the converted tokens in order.
            k = len(converted)
            for t, token in enumerate(converted):
                piece = run[t * len(run) // k : max((t + 1) * len(run) // k, t * len(run) // k + 1)]
                text = (lead if t == 0 else "") + token + (tail if t == k - 1 else "")
                out.append(join_span(piece, text))
        i = j
    return out


_NUMERIC = re.compile(r"^(\$|£|€)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(%|st|nd|rd|th|s)?$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_CURRENCY = {"$": "dollars", "£": "pounds", "€": "euros"}


def _say(token: str) -> list[str] | None:
    """Words for one written number token, or None if it is not one."""
    clock = _CLOCK.match(token)
    if clock:
        hours, minutes = int(clock.group(1)), int(clock.group(2))
        said = [num2words(hours)]
        if minutes:
            said += (["oh"] if minutes < 10 else []) + [num2words(minutes)]
        return " ".join(said).replace("-", " ").split()
    m = _NUMERIC.match(token)
    if not m:
        return None
    currency, whole, fraction, suffix = m.groups()
    value = int(whole.replace(",", ""))
    if suffix in ("st", "nd", "rd", "th"):
        said = num2words(value, to="ordinal")
    elif suffix == "s" and 1100 <= value < 2100 and value % 10 == 0:
        said = num2words(value, to="year").replace("ty", "ties") if value % 100 else num2words(value, to="year") + "s"
    elif not currency and not fraction and "," not in whole and 1100 <= value < 2100 and len(whole) == 4:
        said = num2words(value, to="year")  # 1455 -> fourteen fifty-five
    else:
        said = num2words(float(whole.replace(",", "") + fraction) if fraction else value)
    said = said.replace(",", "").replace(" and ", " ").replace("-", " ")
    if suffix == "%":
        said += " percent"
    if currency:
        said += " " + _CURRENCY[currency]
    return said.split()


def spoken_numbers(words: list[TimedWord]) -> list[TimedWord]:
    """Digits the model wrote become words, as Deepgram writes numbers unless `numerals`/`smart_format`."""
    out: list[TimedWord] = []
    for i, w in enumerate(words):
        lead, tail = leading_punct(w.punctuated), trailing_punct(w.punctuated)
        core = w.punctuated[len(lead) : len(w.punctuated) - len(tail) if tail else None]
        said = _say(core)
        if said is None:
            out.append(w)
            continue
        if _starts_sentence(words, i):
            said[0] = said[0].capitalize()
        said[0], said[-1] = lead + said[0], said[-1] + tail
        out.extend(split_span(w, said))
    return out


# --- measurements and smart format --------------------------------------------------------------------

UNITS = {
    "milligram": "mg", "milligrams": "mg", "gram": "g", "grams": "g", "kilogram": "kg", "kilograms": "kg",
    "millimeter": "mm", "millimeters": "mm", "centimeter": "cm", "centimeters": "cm", "meter": "m",
    "meters": "m", "kilometer": "km", "kilometers": "km", "mile": "mi", "miles": "mi", "inch": "in",
    "inches": "in", "foot": "ft", "feet": "ft", "pound": "lb", "pounds": "lbs", "ounce": "oz", "ounces": "oz",
    "liter": "L", "liters": "L", "milliliter": "mL", "milliliters": "mL", "millisecond": "ms",
    "milliseconds": "ms", "kilobyte": "KB", "kilobytes": "KB", "megabyte": "MB", "megabytes": "MB",
    "gigabyte": "GB", "gigabytes": "GB", "hertz": "Hz", "kilohertz": "kHz", "degrees": "°",
}  # fmt: skip


def _is_number(w: TimedWord) -> bool:
    return bool(re.fullmatch(r"[\d.,]+", w.word))


def measurements(words: list[TimedWord]) -> list[TimedWord]:
    """A unit after a number is abbreviated: "5 milligrams" -> "5 mg"."""
    out: list[TimedWord] = []
    for w in words:
        if out and _is_number(out[-1]) and w.word in UNITS:
            tail = trailing_punct(w.punctuated)
            out.append(w.with_text(UNITS[w.word] + tail))
        else:
            out.append(w)
    return out


def _attach_symbols(words: list[TimedWord]) -> list[TimedWord]:
    """ "5 percent" -> "5%", "5 dollars" -> "$5"."""
    out: list[TimedWord] = []
    for w in words:
        if out and _is_number(out[-1]) and not trailing_punct(out[-1].punctuated):
            number = out[-1]
            tail = trailing_punct(w.punctuated)
            if w.word == "percent":
                out[-1] = join_span([number, w], number.punctuated + "%" + tail)
                continue
            if w.word in ("dollar", "dollars"):
                out[-1] = join_span([number, w], "$" + number.punctuated + tail)
                continue
        out.append(w)
    return out


def _counting(digits: list[int]) -> bool:
    """ "one, two, three" (or a countdown): a count, not a number."""
    steps = {b - a for a, b in zip(digits, digits[1:])}
    return steps in ({1}, {-1})


def _digit_runs(words: list[TimedWord]) -> list[TimedWord]:
    """Digits said one by one become one number, as Deepgram writes them: a run that makes a 7, 10 or 11
    digit number is a phone number ("555-123-4567"), any other run of three or more single digits is
    written together ("zero five nine five five" -> "05955"). Commas between the digits (Whisper's
    "0, 5, 9") do not end the run; counting ("one, two, three") keeps its commas."""
    out: list[TimedWord] = []
    i = 0
    while i < len(words):
        j = i
        digits = ""
        while j < len(words) and re.fullmatch(r"\d+", words[j].word) and len(digits) < 11:
            digits += words[j].word
            j += 1
            if trailing_punct(words[j - 1].punctuated).strip() not in ("", ","):
                break
        run = words[i:j]
        singles = [int(w.word) for w in run if len(w.word) == 1]
        tail = trailing_punct(run[-1].punctuated) if run else ""
        text = None
        if len(run) >= 3 and not (len(singles) == len(run) and _counting(singles)):
            if len(digits) in (7, 10, 11):
                d = digits[-10:] if len(digits) >= 10 else digits
                text = f"{d[:3]}-{d[3:6]}-{d[6:]}" if len(d) == 10 else f"{d[:3]}-{d[3:]}"
                if len(digits) == 11:
                    text = digits[0] + "-" + text
            elif len(singles) == len(run):
                text = digits
        if text is None:
            out.append(words[i])
            i += 1
            continue
        out.append(join_span(run, leading_punct(run[0].punctuated) + text + tail))
        i = j
    return out


_TLDS = {"com", "org", "net", "io", "edu", "gov", "co", "uk", "ai", "dev", "app", "info", "us"}


def emails_and_urls(words: list[TimedWord]) -> list[TimedWord]:
    """ "jane at example dot com" -> "jane@example.com"; "example dot com" -> "example.com"."""
    out: list[TimedWord] = []
    i = 0
    while i < len(words):
        j, parts = i, []
        # name (at) host (dot part)+ ending in a known top-level domain
        while j < len(words):
            parts.append(words[j].word)
            j += 1
            if j < len(words) and words[j].word in ("at", "dot") and j + 1 < len(words):
                parts.append({"at": "@", "dot": "."}[words[j].word])
                j += 1
                continue
            break
        text = "".join(parts)
        if "." in parts and parts[-1] in _TLDS and parts.count("@") <= 1 and j - i >= 3:
            out.append(join_span(words[i:j], text + trailing_punct(words[j - 1].punctuated)))
            i = j
        else:
            out.append(words[i])
            i += 1
    return out


def smart_format(words: list[TimedWord]) -> list[TimedWord]:
    return emails_and_urls(_digit_runs(_attach_symbols(written_numbers(words))))


# --- alphanumeric strings (the legacy `ner`) -----------------------------------------------------------------

# One spelled character, a run of digits, or letters and digits already together ("bc123").
_ALNUM_PIECE = re.compile(r"^(?:[a-z]|\d+|(?=[a-z]*\d)(?=\d*[a-z])[a-z\d]+)$")
_ARTICLES = {"a", "i"}  # words before they are letters: "a B12 vitamin", "get a B" keep their article
_INSIDE_RUN = {"", ",", "-"}  # "X, Y, Z, 4, 5": commas between spelled characters do not end the string


def _spelled_piece(words: list[TimedWord], start: int, j: int) -> bool:
    """Whether words[j] can be part of a spelled string begun at `start`: a letter, digits, letters and
    digits together, a digit said as a word once spelling has begun, or letters the model already wrote as
    one capitalised word ("XYC") when digits follow."""
    word = words[j].word
    if _ALNUM_PIECE.match(word) or (j > start and word in DIGITS):
        return True
    core = words[j].punctuated.strip(".,?!;:")
    following = words[j + 1].word if j + 1 < len(words) else ""
    return (
        j == start
        and 2 <= len(core) <= 6
        and core.isalpha()
        and core.isupper()
        and (following.isdigit() or following in DIGITS)
    )


def alphanumerics(words: list[TimedWord]) -> list[TimedWord]:
    """Spelled-out letters and digits become one word ("x, y, z, 4, 5" -> "XYZ45"), as seed 003's `ner`:
    whitespace is removed between the characters of an alphanumeric string. Digits alone are left to
    `numerals`."""
    out: list[TimedWord] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and _spelled_piece(words, i, j):
            j += 1
            if trailing_punct(words[j - 1].punctuated) not in _INSIDE_RUN:
                break
        run = words[i:j]
        if run and run[0].word in _ARTICLES and (len(run) < 3 or len(run[1].word) > 1):
            run = run[:1]  # an article starts a string only when spelling clearly follows ("a b c")
        # A digit said as a word belongs to the string once spelling has begun ("x, y, z, four, five").
        pieces = [DIGITS.get(w.word, w.word) if k and len(w.word) > 1 else w.word for k, w in enumerate(run)]
        if len(run) < 2 or all(p.isdigit() for p in pieces):
            out.append(words[i])
            i += 1
            continue
        lead, tail = leading_punct(run[0].punctuated), trailing_punct(run[-1].punctuated)
        out.append(join_span(run, lead + "".join(pieces).upper() + tail))
        i += len(run)
    return out


# --- profanity ---------------------------------------------------------------------------------------------

PROFANITY = {
    "fuck", "fucking", "fucked", "fucker", "motherfucker", "shit", "shitty", "bullshit", "bitch", "bitches",
    "asshole", "bastard", "dick", "cunt", "damn", "goddamn", "crap", "piss", "pissed", "slut", "whore",
}  # fmt: skip


def profanity_filter(words: list[TimedWord]) -> list[TimedWord]:
    """Profane words keep their first letter and are masked with asterisks, as Deepgram does."""
    out = []
    for w in words:
        if w.word in PROFANITY:
            lead, tail = leading_punct(w.punctuated), trailing_punct(w.punctuated)
            core = w.punctuated[len(lead) : len(w.punctuated) - len(tail) if tail else None]
            masked = core[0] + "*" * (len(core) - 1)
            w = TimedWord(
                masked.lower(), lead + masked + tail, w.start, w.end, w.confidence, w.speaker, w.speaker_confidence
            )
        out.append(w)
    return out
