"""Stage 5: the bundled sample recordings in examples/ (16 kHz mono 16-bit, a few seconds
each), spoken by held-out voices only (never used in training), with examples/transcripts.tsv
(`<id>\t<text>`, the layout bench/wer reads).

Usage: /usr/bin/python3 make_examples.py --out ../../../examples
"""
import argparse
import os
import shutil
import tempfile

import voices
from synth import render

# (id, engine, voice, text): short commands and numbers, the use this tiny model is meant for,
# each read by a different held-out espeak-ng voice (a held-out dialect or held-out variants).
# The sentences follow the number/time templates of the training text; the voices are new.
# Held-out flite and festival voices, and free text, are much harder for this model: their
# error rates are in the model card, not hidden behind a demo.
EXAMPLES = [
    ("meeting", "espeak", "en-us-nyc", "the meeting starts at ten thirty"),
    ("callback", "espeak", "en-us+m3", "please call me back at five five five one two three four"),
    ("alarm", "espeak", "en-gb-x-rp+david", "set an alarm for seven fifteen"),
    ("page", "espeak", "en-gb+f2", "turn to page forty two"),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    _, heldout = voices.split()
    held = {v.key for v in heldout}
    os.makedirs(args.out, exist_ok=True)
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for ex_id, engine, voice, text in EXAMPLES:
            if f"{engine}:{voice}" not in held:
                raise SystemExit(f"{engine}:{voice} is a training voice; examples must use held-out voices")
            job = {"id": ex_id, "text": text, "engine": engine, "voice": voice, "rate": 1.0,
                   "pitch": 50, "speed": 1.0, "reverb": 0, "bandlimit": False, "gain_db": -3.0,
                   "noise": None, "snr_db": 0, "noise_offset": 0.0}
            row = render(job, tmp, tmp)
            shutil.copyfile(row["path"], os.path.join(args.out, f"{ex_id}.wav"))
            lines.append(f"{ex_id}\t{text}")
            print(f"{ex_id}.wav  {row['duration']:.2f} s  {engine}:{voice}  \"{text}\"")
    with open(os.path.join(args.out, "transcripts.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
