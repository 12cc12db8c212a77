"""Stage 4: evaluate an exported model on held-out voices and prove runtime parity.

Usage: /usr/bin/python3 check_parity.py --work WORK --model DIR [--limit N] [--repo REPO]
       /usr/bin/python3 check_parity.py --work WORK --model DIR --compare DIR_INT8

With --compare, decodes the eval set with sherpa-onnx-node under both exports (fp32 and the
int8 one from quantize.py) and prints both WER/CER and how many texts differ; the recipe
ships the int8 model only when its CER is at most 0.5 points above the fp32 one.

Decodes the held-out eval set (voices never used in training) three ways: PyTorch-side
features + the ONNX model through onnx's reference path is not available in Debian, so the
PyTorch reference is the checkpoint-free route: our features.py + the exported model run by
sherpa-onnx-node vs. our features.py + the same weights in PyTorch (greedy). Prints WER/CER
of both and the number of utterances where the texts differ (must be 0 or nearly 0).
Writes DIR/eval.json with the figures.
"""
import argparse
import json
import os
import subprocess
import sys

import torch

import tokens
from features import features
from metrics import error_rates
from model import TinyCtc
from synth import read_manifest, read_wav


def torch_decode(ckpt: str, wavs: list[str]) -> list[str]:
    ck = torch.load(ckpt)
    cfg = ck["config"]
    model = TinyCtc(cfg["vocab_size"], dim=cfg["dim"], blocks=cfg["blocks"])
    model.load_state_dict(ck["model"])
    model.eval()
    out = []
    with torch.no_grad():
        for w in wavs:
            x = features(torch.from_numpy(read_wav(w))).t().unsqueeze(0)
            lp, _ = model(x, torch.tensor([x.shape[2]]))
            # sherpa-onnx decodes only the first floor(T/4) output frames
            keep = x.shape[2] // 4
            out.append(tokens.decode_greedy(lp[0, :keep].argmax(-1).tolist()))
    return out


def sherpa_decode(model_dir: str, wavs: list[str], repo: str, work: str) -> list[str]:
    lst = os.path.join(work, "parity-list.txt")
    with open(lst, "w") as f:
        f.write("\n".join(os.path.abspath(w) for w in wavs) + "\n")
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sherpa_decode.cjs")
    env = dict(os.environ, NODE_PATH=os.path.join(repo, "node_modules"))
    res = subprocess.run(["node", script, model_dir, lst], check=True, capture_output=True,
                         text=True, env=env)
    return [json.loads(line)["text"] for line in res.stdout.splitlines() if line.strip()]


def compare(args, rows) -> None:
    wavs = [r["path"] for r in rows]
    refs = [r["text"] for r in rows]
    a = sherpa_decode(args.model, wavs, args.repo, args.work)
    b = sherpa_decode(args.compare, wavs, args.repo, args.work)
    wer_a, cer_a = error_rates(list(zip(refs, a)))
    wer_b, cer_b = error_rates(list(zip(refs, b)))
    report = {
        "utterances": len(rows),
        "reference": {"model": args.model, "wer": wer_a, "cer": cer_a},
        "candidate": {"model": args.compare, "wer": wer_b, "cer": cer_b},
        "texts_differ": sum(x != y for x, y in zip(a, b)),
        "accuracy_holds": cer_b <= cer_a + 0.005,
    }
    print(json.dumps(report, indent=2))
    with open(os.path.join(args.work, "int8-report.json"), "w") as f:
        json.dump(report, f, indent=2)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--ckpt")
    ap.add_argument("--compare", help="a second export (int8) to compare with --model on the eval set")
    ap.add_argument("--limit", type=int, default=400)
    ap.add_argument("--repo", default=os.path.abspath(os.path.join(os.path.dirname(__file__), "../../..")))
    args = ap.parse_args()
    torch.set_num_threads(2)

    rows = read_manifest(os.path.join(args.work, "eval.jsonl"))[: args.limit]
    if args.compare:
        return compare(args, rows)
    if not args.ckpt:
        raise SystemExit("check_parity: --ckpt is required (or --compare DIR)")
    wavs = [r["path"] for r in rows]
    refs = [r["text"] for r in rows]
    hyp_t = torch_decode(args.ckpt, wavs)
    hyp_s = sherpa_decode(args.model, wavs, args.repo, args.work)
    diff = [(r["id"], a, b) for r, a, b in zip(rows, hyp_t, hyp_s) if a != b]
    wer_t, cer_t = error_rates(list(zip(refs, hyp_t)))
    wer_s, cer_s = error_rates(list(zip(refs, hyp_s)))
    clean = [(ref, h) for r, ref, h in zip(rows, refs, hyp_s) if not r["noise"]]
    noisy = [(ref, h) for r, ref, h in zip(rows, refs, hyp_s) if r["noise"]]
    by_engine = {}
    for r, ref, h in zip(rows, refs, hyp_s):
        by_engine.setdefault(r["engine"], []).append((ref, h))
    report = {
        "utterances": len(rows),
        "torch": {"wer": wer_t, "cer": cer_t},
        "sherpa": {"wer": wer_s, "cer": cer_s},
        "sherpa_clean": dict(zip(("wer", "cer"), error_rates(clean))) | {"n": len(clean)},
        "sherpa_noisy": dict(zip(("wer", "cer"), error_rates(noisy))) | {"n": len(noisy)},
        "sherpa_by_engine": {e: dict(zip(("wer", "cer"), error_rates(p))) | {"n": len(p)}
                             for e, p in sorted(by_engine.items())},
        "text_mismatches": len(diff),
    }
    for d in diff[:10]:
        print("mismatch", d, file=sys.stderr)
    print(json.dumps(report, indent=2))
    with open(os.path.join(args.work, "eval-report.json"), "w") as f:
        json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
