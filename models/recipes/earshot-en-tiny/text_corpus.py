"""Builds the English sentence pool for the corpus from Debian text packages.

Sources (all installed by setup.sh): the fortune databases (quotes, literature, riddles, ...)
split into sentences, the wamerican word list (random word strings for coverage of rare
spellings), and generated sentences with numbers, digits, dates and times read as words.
Returns disjoint train / eval sentence lists, deterministic for a given seed.
"""
import glob
import random
import re

from textnorm import cardinal, clock, normalize, ordinal, year

FORTUNE_DIR = "/usr/share/games/fortunes"
WORDLIST = "/usr/share/dict/american-english"
MAX_WORDS = 12
MAX_CHARS = 72

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december"]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
NUMBER_TEMPLATES = [
    "the meeting starts at {time}",
    "please call me back at {time}",
    "the train leaves at {time} on {day}",
    "set an alarm for {time}",
    "my number is {digits}",
    "the code is {digits}",
    "room {num} on the {ord} floor",
    "it was built in {year}",
    "the order total is {num} dollars",
    "we shipped {num} boxes on {month} {ord}",
    "the temperature is {num} degrees",
    "turn to page {num}",
    "she was born on {month} {ord} {year}",
    "there are {num} people waiting",
    "add {num} and {num2}",
    "{digits}",
    "{num}",
    "{digit}",
    "{digit} {digit}",
    "the answer is {num}",
    "we need {num} more chairs by {day}",
    "flight {num} is delayed until {time}",
    "about {num} percent of them agreed",
    "the {ord} of {month}",
]


def fortune_sentences() -> list[str]:
    out: set[str] = set()
    for path in sorted(glob.glob(f"{FORTUNE_DIR}/*")):
        if "." in path.rsplit("/", 1)[-1]:
            continue  # skip .dat/.u8 indexes
        try:
            with open(path, encoding="utf-8", errors="ignore") as f:
                raw = f.read()
        except (IsADirectoryError, PermissionError):
            continue
        for entry in raw.split("\n%\n"):
            flat = " ".join(entry.split())
            for sent in re.split(r"(?<=[.!?])\s+", flat):
                if sent.startswith("--") or "http" in sent:
                    continue
                text = normalize(sent)
                if text and 1 <= len(text.split()) <= MAX_WORDS and len(text) <= MAX_CHARS:
                    out.add(text)
    return sorted(out)


def common_words() -> list[str]:
    with open(WORDLIST, encoding="utf-8", errors="ignore") as f:
        words = [w.strip() for w in f]
    return sorted({w for w in words if re.fullmatch(r"[a-z]{2,9}", w)})


def number_sentence(rng: random.Random) -> str:
    template = rng.choice(NUMBER_TEMPLATES)
    values = {
        "time": clock(rng.randint(1, 12), rng.choice([0, 5, 10, 15, 20, 30, 45, rng.randint(0, 59)])),
        "day": rng.choice(DAYS),
        "month": rng.choice(MONTHS),
        "digits": " ".join(rng.choice(DIGITS) for _ in range(rng.randint(3, 7))),
        "digit": rng.choice(DIGITS),
        "num": cardinal(rng.choice([rng.randint(0, 20), rng.randint(21, 99), rng.randint(100, 9999)])),
        "num2": cardinal(rng.randint(0, 99)),
        "ord": ordinal(rng.randint(1, 31)),
        "year": year(rng.randint(1900, 2035)),
    }
    # each placeholder may appear twice ({digit} {digit}); draw fresh values per slot
    text = template
    while "{digit}" in text:
        text = text.replace("{digit}", rng.choice(DIGITS), 1)
    return text.format(**values)


def word_string(rng: random.Random, words: list[str]) -> str:
    return " ".join(rng.choice(words) for _ in range(rng.randint(2, 6)))


def build(seed: int, n_train: int, n_eval: int) -> tuple[list[str], list[str]]:
    """Mix: ~60% fortune sentences, ~25% number/date/time sentences, ~15% word strings."""
    rng = random.Random(seed)
    sentences = fortune_sentences()
    rng.shuffle(sentences)
    words = common_words()
    eval_fortunes = sentences[: max(1, n_eval * 6 // 10)]
    train_fortunes = sentences[len(eval_fortunes):]

    def mix(n: int, fortunes: list[str], taken: set[str]) -> list[str]:
        out: list[str] = []
        fi = 0
        while len(out) < n:
            r = rng.random()
            if r < 0.6 and fi < len(fortunes):
                text = fortunes[fi]
                fi += 1
            elif r < 0.85:
                # short number sentences ("five", "two seven") recur by design: the
                # voice, not the text, is what is held out for them
                out.append(number_sentence(rng))
                continue
            else:
                text = word_string(rng, words)
            if text in taken:
                continue
            taken.add(text)
            out.append(text)
        return out

    taken: set[str] = set()
    eval_set = mix(n_eval, eval_fortunes, taken)
    train_set = mix(n_train, train_fortunes, taken)
    return train_set, eval_set


if __name__ == "__main__":
    tr, ev = build(1, 20, 5)
    print("\n".join(tr + ["--"] + ev))
    print(len(fortune_sentences()), "fortune sentences;", len(common_words()), "words")
