"""Stage 3: export a checkpoint to the NeMo CTC ONNX format sherpa-onnx and Earshot load.

Usage: /usr/bin/python3 export.py --ckpt WORK/ckpt/best.pt --out DIR

Writes DIR/model.onnx (inputs audio_signal [N,80,T] float32, length [N] int64; outputs
logprobs [N,T',V] and encoded_lengths [N]; metadata vocab_size, subsampling_factor,
normalize_type=per_feature, plus model_type/description) and DIR/tokens.txt.
An int8 variant is made from this export by quantize.py (stage `int8` of run.sh).
"""
import argparse
import os

import onnx
import torch

import tokens
from model import SUBSAMPLING, TinyCtc


def export(ckpt_path: str, out_dir: str) -> str:
    ck = torch.load(ckpt_path)
    cfg = ck["config"]
    model = TinyCtc(cfg["vocab_size"], dim=cfg["dim"], blocks=cfg["blocks"])
    model.load_state_dict(ck["model"])
    model.eval()
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "model.onnx")
    x = torch.randn(1, 80, 200)
    n = torch.tensor([200], dtype=torch.int64)
    torch.onnx.export(
        model, (x, n), path, opset_version=13,
        input_names=["audio_signal", "length"], output_names=["logprobs", "encoded_lengths"],
        dynamic_axes={"audio_signal": {0: "N", 2: "T"}, "length": {0: "N"},
                      "logprobs": {0: "N", 1: "T_out"}, "encoded_lengths": {0: "N"}},
    )
    m = onnx.load(path)
    names = [i.name for i in m.graph.input]
    if names != ["audio_signal", "length"]:
        raise SystemExit(f"export: graph inputs are {names}, expected audio_signal and length")
    meta = {
        "vocab_size": str(cfg["vocab_size"]),
        "subsampling_factor": str(SUBSAMPLING),
        "normalize_type": "per_feature",
        "model_type": "EncDecCTCModel",
        "model_author": "earshot",
        "comment": f"earshot-en-tiny, step {ck['step']}, char vocabulary, 80-dim fbank",
    }
    del m.metadata_props[:]
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key, p.value = k, v
    onnx.checker.check_model(m)
    onnx.save(m, path)
    tokens.write_tokens_txt(os.path.join(out_dir, "tokens.txt"))
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    print(export(args.ckpt, args.out))


if __name__ == "__main__":
    main()
