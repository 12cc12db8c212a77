"""Text normalisation for the training corpus.

The model's vocabulary is a-z, apostrophe and the word separator, so every sentence is
spelled out the way a person would read it (numbers, years, times, ordinals) before it is
given to a TTS voice. The TTS voice then reads exactly the text the model learns from.
"""
import re

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
        "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
        "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
ORDINAL_IRREGULAR = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                     "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
SCALES = [(10**9, "billion"), (10**6, "million"), (1000, "thousand")]
ALLOWED = re.compile(r"^[a-z' ]+$")


def cardinal(n: int) -> str:
    """English words for 0 <= n < 10**12, without 'and' (US style)."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + cardinal(rest))
    for value, name in SCALES:
        if n >= value:
            rest = n % value
            return cardinal(n // value) + " " + name + ("" if rest == 0 else " " + cardinal(rest))
    raise ValueError(f"number out of range: {n}")


def ordinal(n: int) -> str:
    words = cardinal(n).split(" ")
    last = words[-1]
    if last in ORDINAL_IRREGULAR:
        words[-1] = ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def year(n: int) -> str:
    """Years are read in pairs: 1984 -> nineteen eighty four, 2005 -> two thousand five."""
    if 2000 <= n <= 2009:
        return cardinal(n)
    hi, lo = divmod(n, 100)
    if lo == 0:
        return cardinal(hi) + " hundred"
    if lo < 10:
        return cardinal(hi) + " oh " + cardinal(lo)
    return cardinal(hi) + " " + cardinal(lo)


def clock(h: int, m: int) -> str:
    if m == 0:
        return cardinal(h) + " o'clock"
    if m < 10:
        return cardinal(h) + " oh " + cardinal(m)
    return cardinal(h) + " " + cardinal(m)


def _number_token(tok: str) -> str:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", tok)
    if m:
        return clock(int(m.group(1)), int(m.group(2)))
    m = re.fullmatch(r"(\d+)(st|nd|rd|th)", tok)
    if m:
        return ordinal(int(m.group(1)))
    m = re.fullmatch(r"\$(\d+)", tok)
    if m:
        n = int(m.group(1))
        return cardinal(n) + (" dollar" if n == 1 else " dollars")
    m = re.fullmatch(r"(\d+)%", tok)
    if m:
        return cardinal(int(m.group(1))) + " percent"
    m = re.fullmatch(r"\d+", tok)
    if m:
        n = int(tok)
        if len(tok) == 4 and 1100 <= n <= 2099:
            return year(n)
        if len(tok) > 9:
            return " ".join(ONES[int(d)] for d in tok)
        return cardinal(n)
    return tok


def normalize(line: str) -> str | None:
    """Lower-case, spell out numbers, drop punctuation; None if the line cannot be read
    unambiguously with the model's alphabet."""
    text = line.strip().lower()
    text = text.replace("&", " and ").replace("’", "'").replace("`", "'")
    text = re.sub(r"[\"()\[\]{}*_:;!?.,\-–—/]+(?=\s|$)", " ", text)
    text = re.sub(r"(?<=\s)[\"()\[\]{}*_:;!?.,\-–—/]+", " ", text)
    text = re.sub(r"^[\"()\[\]{}*_:;!?.,\-–—/]+", " ", text)
    tokens = [_number_token(t) for t in text.split()]
    text = " ".join(tokens)
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)
    text = re.sub(r"\s+", " ", text).strip(" '")
    text = re.sub(r"(^| )'+|'+( |$)", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    if not text or not ALLOWED.match(text):
        return None
    return text
