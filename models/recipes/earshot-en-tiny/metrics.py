"""Word and character error rates (Levenshtein distance over words / characters)."""


def edit_distance(ref: list, hyp: list) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def error_rates(pairs: list[tuple[str, str]]) -> tuple[float, float]:
    """(WER, CER) over (reference, hypothesis) pairs, pooled over the whole set."""
    we = wn = ce = cn = 0
    for ref, hyp in pairs:
        rw, hw = ref.split(), hyp.split()
        we += edit_distance(rw, hw)
        wn += len(rw)
        rc, hc = " ".join(rw), " ".join(hw)
        ce += edit_distance(list(rc), list(hc))
        cn += len(rc)
    return we / max(1, wn), ce / max(1, cn)
