"""Stage 2: train the CTC model on the corpus features.

Usage: /usr/bin/python3 train.py --work WORK --steps N [--seed S] [--threads 2]

Deterministic for a seed (fixed batch order per epoch, seeded SpecAugment, single-process
data path). Resumable: WORK/ckpt/last.pt holds model, optimiser, step and RNG state and is
rewritten atomically every --ckpt-every steps; WORK/ckpt/best.pt keeps the checkpoint with
the lowest held-out CER so far. Any checkpoint can be exported (export.py).
"""
import argparse
import math
import os
import random
import sys

import torch

import tokens
from metrics import error_rates
from model import SUBSAMPLING, TinyCtc, param_count
from progress import Progress


def make_batches(lengths: list[int], max_frames: int) -> list[list[int]]:
    """Length-sorted batches whose padded size stays under max_frames."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches, cur, cur_max = [], [], 0
    for i in order:
        m = max(cur_max, lengths[i])
        if cur and m * (len(cur) + 1) > max_frames:
            batches.append(cur)
            cur, m = [], lengths[i]
        cur.append(i)
        cur_max = m
    if cur:
        batches.append(cur)
    return batches


def collate(feats: list[torch.Tensor], idx: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    xs = [feats[i].float() for i in idx]
    lens = torch.tensor([x.shape[0] for x in xs], dtype=torch.int64)
    out = torch.zeros(len(xs), xs[0].shape[1], int(lens.max()))
    for k, x in enumerate(xs):
        out[k, :, : x.shape[0]] = x.t()
    return out, lens


def spec_augment(x: torch.Tensor, lens: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Two frequency masks (<= 12 bins) and time masks (<= 4% of the utterance each)."""
    n, f, _ = x.shape
    for b in range(n):
        t = int(lens[b])
        for _ in range(2):
            w = int(torch.randint(0, 13, (1,), generator=gen))
            s = int(torch.randint(0, f - w + 1, (1,), generator=gen))
            x[b, s:s + w, :] = 0
        for _ in range(max(1, t // 150)):
            w = int(torch.randint(0, max(2, t // 25), (1,), generator=gen))
            s = int(torch.randint(0, max(1, t - w), (1,), generator=gen))
            x[b, :, s:s + w] = 0
    return x


def lr_at(step: int, total: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    p = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (0.03 + 0.97 * 0.5 * (1 + math.cos(math.pi * p)))


@torch.no_grad()
def evaluate(model: TinyCtc, feats: list[torch.Tensor], texts: list[str]) -> tuple[float, float]:
    model.eval()
    pairs = []
    for i in range(len(feats)):
        x = feats[i].float().t().unsqueeze(0)
        lp, _ = model(x, torch.tensor([x.shape[2]]))
        hyp = tokens.decode_greedy(lp[0].argmax(-1).tolist())
        pairs.append((texts[i], hyp))
    model.train()
    return error_rates(pairs)


def save_atomic(obj: dict, path: str) -> None:
    torch.save(obj, path + ".part")
    os.replace(path + ".part", path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--seed", type=int, default=20261125)
    # one thread: on a shared 2-core box two OpenMP threads wait on each other and ran a step
    # 20x slower than one thread in our measurements
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-frames", type=int, default=12000)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=400)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--blocks", type=int, default=8)
    ap.add_argument("--ckpt-every", type=int, default=200)
    ap.add_argument("--eval-every", type=int, default=400)
    ap.add_argument("--eval-limit", type=int, default=200)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)

    train = torch.load(os.path.join(args.work, "train.feats.pt"))
    dev = torch.load(os.path.join(args.work, "eval.feats.pt"))
    dev_feats, dev_texts = dev["feats"][: args.eval_limit], dev["texts"][: args.eval_limit]
    feats, texts = train["feats"], train["texts"]
    labels = [torch.tensor(tokens.encode(t), dtype=torch.int64) for t in texts]
    # CTC needs at least one output frame per label (plus one between repeats)
    keep = [i for i in range(len(feats))
            if math.ceil(feats[i].shape[0] / SUBSAMPLING) >= 1.1 * len(labels[i]) + 2]
    print(f"train: {len(keep)}/{len(feats)} utterances fit the CTC length constraint", file=sys.stderr)
    batches = make_batches([feats[i].shape[0] for i in keep], args.max_frames)
    batches = [[keep[j] for j in b] for b in batches]

    config = {"vocab_size": len(tokens.SYMBOLS), "dim": args.dim, "blocks": args.blocks}
    model = TinyCtc(config["vocab_size"], dim=args.dim, blocks=args.blocks)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-3)
    ctc = torch.nn.CTCLoss(blank=tokens.BLANK_ID, zero_infinity=True)
    gen = torch.Generator().manual_seed(args.seed)

    ckpt_dir = os.path.join(args.work, "ckpt")
    os.makedirs(ckpt_dir, exist_ok=True)
    last_path = os.path.join(ckpt_dir, "last.pt")
    step, best_cer = 0, float("inf")
    if os.path.exists(last_path):
        ck = torch.load(last_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, best_cer = ck["step"], ck["best_cer"]
        gen.set_state(ck["gen"])
        torch.set_rng_state(ck["torch_rng"])
        print(f"resumed at step {step}", file=sys.stderr)
    print(f"model: {param_count(model)} parameters, {len(batches)} batches/epoch", file=sys.stderr)

    def checkpoint(path: str) -> None:
        save_atomic({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                     "best_cer": best_cer, "gen": gen.get_state(), "torch_rng": torch.get_rng_state(),
                     "config": config}, path)

    bar = Progress(args.steps, "train")
    first_step = step
    model.train()
    loss_avg = None
    while step < args.steps:
        epoch, pos = divmod(step, len(batches))
        order = list(range(len(batches)))
        random.Random(args.seed * 1000 + epoch).shuffle(order)
        b = batches[order[pos]]
        x, lens = collate(feats, b)
        x = spec_augment(x, lens, gen)
        ys = [labels[i] for i in b]
        lp, out_len = model(x, lens)
        loss = ctc(lp.transpose(0, 1), torch.cat(ys), out_len,
                   torch.tensor([len(y) for y in ys], dtype=torch.int64))
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr, args.warmup)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        loss_avg = float(loss) if loss_avg is None else 0.98 * loss_avg + 0.02 * float(loss)
        # the ETA counts only the steps run in this process, so a resumed run is not skewed
        bar.total = args.steps - first_step
        bar.update(step - first_step, f"step {step} epoch {epoch} loss {loss_avg:.3f}")
        if step % args.eval_every == 0 or step == args.steps:
            wer, cer = evaluate(model, dev_feats, dev_texts)
            print(f"\neval step {step}: WER {wer * 100:.1f}% CER {cer * 100:.1f}% "
                  f"(held-out voices, {len(dev_feats)} utts)", file=sys.stderr)
            if cer < best_cer:
                best_cer = cer
                checkpoint(os.path.join(ckpt_dir, "best.pt"))
        if step % args.ckpt_every == 0 or step == args.steps:
            checkpoint(last_path)
    print("done", file=sys.stderr)


if __name__ == "__main__":
    main()
