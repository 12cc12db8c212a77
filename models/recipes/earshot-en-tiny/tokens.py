"""Character vocabulary: word separator, a-z, apostrophe, and the CTC blank last (the
NeMo/sherpa-onnx convention: blank id = vocab_size - 1; '▁' is read back as a space)."""
SPACE = "▁"
BLANK = "<blk>"
SYMBOLS = [SPACE] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["'", BLANK]
BLANK_ID = len(SYMBOLS) - 1
_INDEX = {s: i for i, s in enumerate(SYMBOLS)}


def encode(text: str) -> list[int]:
    return [_INDEX[SPACE if c == " " else c] for c in text]


def decode_greedy(ids: list[int]) -> str:
    """CTC greedy: collapse repeats, drop blanks, map '▁' to a space."""
    out = []
    prev = -1
    for i in ids:
        if i != prev and i != BLANK_ID:
            out.append(SYMBOLS[i])
        prev = i
    return " ".join("".join(out).replace(SPACE, " ").split())


def write_tokens_txt(path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i, s in enumerate(SYMBOLS):
            f.write(f"{s} {i}\n")
