#!/bin/sh
# The whole earshot-en-tiny recipe, stage by stage. Every stage is resumable: run it again
# after an interruption and it continues (rendered wavs are kept, training resumes from
# WORK/ckpt/last.pt). Stages can be run alone: ./run.sh train
#
#   WORK=work/full TRAIN=12000 EVAL=400 STEPS=2400 ./run.sh [all|corpus|train|export|check|int8|examples|card]
set -eu
cd "$(dirname "$0")"

PY=/usr/bin/python3          # Debian's interpreter: it has python3-torch
WORK=${WORK:-work/full}
TRAIN=${TRAIN:-12000}
EVAL=${EVAL:-400}
STEPS=${STEPS:-2400}
SEED=${SEED:-20261125}
CKPT=${CKPT:-$WORK/ckpt/best.pt}
OUT=${OUT:-../../earshot-en-tiny}
NICE="nice -n 5"             # the box is shared: stay below interactive work

stage=${1:-all}
run() { [ "$stage" = all ] || [ "$stage" = "$1" ]; }

if run corpus; then
  $NICE $PY corpus.py --work "$WORK" --train "$TRAIN" --eval "$EVAL" --seed "$SEED" --jobs 2
fi
if run train; then
  $NICE $PY train.py --work "$WORK" --steps "$STEPS" --seed "$SEED" --threads 1
fi
if run export; then
  $NICE $PY export.py --ckpt "$CKPT" --out "$OUT"
fi
if run check; then
  $NICE $PY check_parity.py --work "$WORK" --model "$OUT" --ckpt "$CKPT"
fi
if run int8; then
  # int8 weights next to the fp32 export, and whether accuracy holds (WORK/int8-report.json)
  mkdir -p "$WORK/int8"
  cp "$OUT/tokens.txt" "$WORK/int8/"
  $NICE $PY quantize.py --model "$OUT/model.onnx" --out "$WORK/int8/model.onnx"
  $NICE $PY check_parity.py --work "$WORK" --model "$OUT" --compare "$WORK/int8"
fi
if run examples; then
  $NICE $PY make_examples.py --out ../../../examples
fi
if run card; then
  # bench/wer (real speech, pocketsphinx side by side) needs the built project: npm run build
  BENCH_JSON="$WORK/bench-wer.json"
  if [ -f ../../../dist/bench/wer/run.js ] && [ -d ../../../../shared/speech ]; then
    (cd ../../.. && $NICE node dist/bench/wer/run.js ../shared/speech --json "models/recipes/earshot-en-tiny/$BENCH_JSON")
  fi
  if [ -f "$BENCH_JSON" ]; then
    $PY write_card.py --work "$WORK" --ckpt "$CKPT" --model "$OUT" --bench "$BENCH_JSON"
  else
    $PY write_card.py --work "$WORK" --ckpt "$CKPT" --model "$OUT"
  fi
fi
