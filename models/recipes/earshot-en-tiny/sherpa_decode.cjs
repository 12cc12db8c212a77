// Decodes WAV files with sherpa-onnx-node (the reference runtime) and prints one JSON line
// per file: {"path", "text"}. Used by check_parity.py to prove the exported model gives the
// same text under sherpa-onnx as the PyTorch greedy decode (so our features match).
// Usage: node sherpa_decode.cjs MODEL_DIR LIST_FILE   (LIST_FILE: one wav path per line)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const sherpa = require('sherpa-onnx-node');

const [modelDir, listFile] = process.argv.slice(2);
if (!modelDir || !listFile) {
  console.error('usage: node sherpa_decode.cjs MODEL_DIR LIST_FILE');
  process.exit(2);
}
const recognizer = new sherpa.OfflineRecognizer({
  featConfig: { sampleRate: 16000, featureDim: 80 },
  modelConfig: {
    nemoCtc: { model: path.join(modelDir, 'model.onnx') },
    tokens: path.join(modelDir, 'tokens.txt'),
    numThreads: 1,
    provider: 'cpu',
  },
  decodingMethod: 'greedy_search',
});
for (const wav of fs.readFileSync(listFile, 'utf8').split('\n').filter(Boolean)) {
  const wave = sherpa.readWave(wav);
  const stream = recognizer.createStream();
  stream.acceptWaveform({ sampleRate: wave.sampleRate, samples: wave.samples });
  recognizer.decode(stream);
  const text = recognizer.getResult(stream).text.trim().split(/\s+/).filter(Boolean).join(' ');
  process.stdout.write(JSON.stringify({ path: wav, text }) + '\n');
}
