"""Stage 3b: int8 weight quantisation of an exported model, with onnx alone.

Usage: /usr/bin/python3 quantize.py --model DIR_FP32/model.onnx --out DIR_INT8/model.onnx

Debian has no onnxruntime quantisation tooling, so this does the simplest scheme that keeps
accuracy and loads in every runtime: each Conv weight becomes int8 with one symmetric scale
per output channel, restored by a DequantizeLinear node (opset 13, axis 0) in front of the
Conv. Activations stay float32, so the graph's inputs, outputs and metadata are unchanged and
sherpa-onnx loads it exactly as the fp32 export. The file is about a quarter of the size;
whether accuracy holds is measured by check_parity.py --compare (the recipe ships int8 only
when it does).
"""
import argparse

import numpy as np
import onnx
from onnx import helper, numpy_helper

# Small tensors (biases, norms) gain nothing from int8; keep them exact.
MIN_ELEMENTS = 1024


def quantize_weight(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-output-channel int8: returns (q, scale) with w ≈ q * scale[:, None, ...]."""
    flat = w.reshape(w.shape[0], -1)
    peak = np.abs(flat).max(axis=1)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(flat / scale[:, None]), -127, 127).astype(np.int8).reshape(w.shape)
    return q, scale


def quantize(model: onnx.ModelProto) -> tuple[int, int]:
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    conv_weights = {n.input[1] for n in graph.node if n.op_type == "Conv" and len(n.input) > 1}
    new_nodes, done, kept_bytes, int8_bytes = [], 0, 0, 0
    for name in sorted(conv_weights):
        init = inits.get(name)
        if init is None or init.data_type != onnx.TensorProto.FLOAT:
            continue
        w = numpy_helper.to_array(init)
        if w.size < MIN_ELEMENTS:
            continue
        q, scale = quantize_weight(w)
        graph.initializer.remove(init)
        graph.initializer.extend([
            numpy_helper.from_array(q, f"{name}_int8"),
            numpy_helper.from_array(scale, f"{name}_scale"),
            numpy_helper.from_array(np.zeros(scale.shape, np.int8), f"{name}_zero"),
        ])
        # The DequantizeLinear output takes the weight's old name: consumers are unchanged.
        new_nodes.append(helper.make_node("DequantizeLinear", [f"{name}_int8", f"{name}_scale", f"{name}_zero"],
                                          [name], name=f"{name}_dequantize", axis=0))
        done += 1
        kept_bytes += w.nbytes
        int8_bytes += q.nbytes + scale.nbytes
    # Dequantize nodes first: the graph stays topologically sorted.
    old = list(graph.node)
    del graph.node[:]
    graph.node.extend(new_nodes + old)
    return done, kept_bytes - int8_bytes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    model = onnx.load(args.model)
    count, saved = quantize(model)
    onnx.checker.check_model(model)
    onnx.save(model, args.out)
    print(f"quantize: {count} Conv weights to int8 per channel, {saved / 1e6:.1f} MB smaller -> {args.out}")


if __name__ == "__main__":
    main()
