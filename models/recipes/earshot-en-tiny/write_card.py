"""Stage 6: model.json for the shipped model: what the engine needs (family, sample rate,
files with sha256) plus parameters, size, training data summary, licence and the measured
accuracy (held-out synthetic voices from check_parity.py, real speech from bench/wer).

Usage: /usr/bin/python3 write_card.py --work WORK --ckpt CKPT --model DIR [--bench bench.json]
"""
import argparse
import collections
import hashlib
import json
import os

import torch

from model import SUBSAMPLING
from synth import read_manifest


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--bench", help="JSON written by bench/wer --json")
    args = ap.parse_args()

    ck = torch.load(args.ckpt)
    params = sum(v.numel() for k, v in ck["model"].items() if not k.endswith(("running_mean", "running_var", "num_batches_tracked")))
    train = read_manifest(os.path.join(args.work, "train.jsonl"))
    dev = read_manifest(os.path.join(args.work, "eval.jsonl"))
    engines = collections.Counter(r["engine"] for r in train)
    with open(os.path.join(args.work, "eval-report.json")) as f:
        held_out = json.load(f)
    accuracy = {"heldOutSyntheticVoices": {
        "utterances": held_out["utterances"],
        "wer": round(held_out["sherpa"]["wer"], 4), "cer": round(held_out["sherpa"]["cer"], 4),
        "clean": {k: round(v, 4) for k, v in held_out["sherpa_clean"].items()},
        "noisy": {k: round(v, 4) for k, v in held_out["sherpa_noisy"].items()},
        "byEngine": {e: {k: round(v, 4) for k, v in s.items()} for e, s in held_out["sherpa_by_engine"].items()},
        "sherpaOnnxMatchesPytorch": held_out["utterances"] - held_out["text_mismatches"],
    }}
    if args.bench:
        with open(args.bench) as f:
            for r in json.load(f):
                accuracy[f"realSpeech:{r['set']}"] = {
                    "utterances": r["utterances"],
                    "systems": {s["system"]: {"wer": round(s["wer"], 4), "cer": round(s["cer"], 4), "cpuRtf": round(s["rtf"], 4)} for s in r["scores"]},
                }
    files = [{"path": p, "sha256": sha256(os.path.join(args.model, p))} for p in ("model.onnx", "tokens.txt")]
    card = {
        "name": "earshot-en-tiny",
        "family": "nemo-ctc",
        "languages": ["en"],
        "sampleRate": 16000,
        "featureDim": 80,
        "files": files,
        "licence": "Apache-2.0",
        "source": "trained by models/recipes/earshot-en-tiny (this repository)",
        "parameters": params,
        "sizeBytes": sum(os.path.getsize(os.path.join(args.model, f["path"])) for f in files),
        "architecture": f"{ck['config']['blocks']} time-channel separable conv blocks, width {ck['config']['dim']}, "
                        f"subsampling {SUBSAMPLING}, character CTC ({ck['config']['vocab_size']} tokens)",
        "features": "80-dim log-mel, 25/10 ms, hann, preemph 0.97, no dither, librosa mel 0-8000 Hz, per_feature normalisation (as sherpa-onnx for NeMo CTC)",
        "training": {
            "steps": ck["step"],
            "utterances": len(train),
            "hours": round(sum(r["duration"] for r in train) / 3600, 2),
            "voices": {e: len({r["voice"] for r in train if r["engine"] == e}) for e in sorted(engines)},
            "utterancesByEngine": dict(sorted(engines.items())),
            "text": "Debian fortunes (quotes, literature, riddles), wamerican word strings, generated numbers/dates/times read as words",
            "augmentation": "rate/pitch, sox speed 0.9-1.1, reverb, 8 kHz band limit, sox-made white/pink/brown noise and mains hum at 5-30 dB SNR, SpecAugment",
            "heldOutVoices": sorted({f"{r['engine']}:{r['voice']}" for r in dev})[:12] + ["..."],
        },
        "accuracy": accuracy,
    }
    with open(os.path.join(args.model, "model.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
