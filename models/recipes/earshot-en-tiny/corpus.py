"""Stage 1: build the synthetic corpus (text -> TTS -> augmentation) and its features.

Usage: /usr/bin/python3 corpus.py --work WORK --train N --eval M [--seed S] [--jobs J]

Writes WORK/wavs/*.wav, WORK/{train,eval}.jsonl manifests and WORK/{train,eval}.feats.pt
(normalised log-mel per utterance, float16). Resumable: existing wavs are not re-rendered.
"""
import argparse
import multiprocessing as mp
import os
import sys

import torch

import text_corpus
import voices
from features import features
from progress import Progress
from synth import make_noise_bank, plan_jobs, read_wav, render, write_manifest


def _render(args: tuple[dict, str, str]) -> dict | None:
    job, wav_dir, noise_dir = args
    try:
        return render(job, wav_dir, noise_dir)
    except Exception as e:  # one failing voice/text pair must not stop the corpus
        sys.stderr.write(f"\nskip {job['id']} ({job['engine']}:{job['voice']}): {e}\n")
        return None


def render_all(jobs: list[dict], wav_dir: str, noise_dir: str, n_proc: int, label: str) -> list[dict]:
    rows: list[dict] = []
    bar = Progress(len(jobs), label)
    with mp.Pool(n_proc) as pool:
        for i, row in enumerate(pool.imap_unordered(_render, [(j, wav_dir, noise_dir) for j in jobs],
                                                    chunksize=8)):
            if row is not None and row["duration"] > 0.3:
                rows.append(row)
            bar.update(i + 1)
    return rows


def extract(rows: list[dict], out_path: str, label: str) -> None:
    if os.path.exists(out_path):
        return
    feats = []
    bar = Progress(len(rows), label)
    for i, r in enumerate(rows):
        x = torch.from_numpy(read_wav(r["path"]))
        feats.append(features(x).to(torch.float16))
        bar.update(i + 1)
    torch.save({"ids": [r["id"] for r in rows], "texts": [r["text"] for r in rows], "feats": feats},
               out_path + ".part")
    os.replace(out_path + ".part", out_path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--train", type=int, default=12000)
    ap.add_argument("--eval", type=int, default=400)
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    # one thread: per-utterance ops are small, and on an oversubscribed box OpenMP threads
    # waiting for each other made feature extraction 15x slower
    torch.set_num_threads(1)

    wav_dir = os.path.join(args.work, "wavs")
    noise_dir = os.path.join(args.work, "noise")
    os.makedirs(wav_dir, exist_ok=True)
    make_noise_bank(noise_dir)

    train_texts, eval_texts = text_corpus.build(args.seed, args.train, args.eval)
    train_voices, heldout_voices = voices.split()
    print(f"voices: {len(train_voices)} train, {len(heldout_voices)} held out; "
          f"texts: {len(train_texts)} train, {len(eval_texts)} eval", file=sys.stderr)
    train_jobs = plan_jobs(train_texts, train_voices, args.seed, "tr", augment=True)
    eval_jobs = plan_jobs(eval_texts, heldout_voices, args.seed + 1, "ev", augment=False)

    for name, jobs in (("eval", eval_jobs), ("train", train_jobs)):
        rows = render_all(jobs, wav_dir, noise_dir, args.jobs, f"render {name}")
        rows.sort(key=lambda r: r["id"])
        write_manifest(os.path.join(args.work, f"{name}.jsonl"), rows)
        hours = sum(r["duration"] for r in rows) / 3600
        print(f"{name}: {len(rows)} utterances, {hours:.2f} h", file=sys.stderr)
        extract(rows, os.path.join(args.work, f"{name}.feats.pt"), f"fbank {name}")


if __name__ == "__main__":
    main()
