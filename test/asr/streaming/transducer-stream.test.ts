import t from 'tap';
import { join } from 'node:path';
import { loadModel } from '../../../daemon/asr/recognizer.js';
import { readWavFile } from '../../../daemon/asr/wav-file.js';
import { fixturesDir } from '../../helpers/paths.js';
import { openSession } from '../../../daemon/asr/session.js';
import { StreamingZipformerModel } from '../../../daemon/asr/models/streaming-zipformer.js';
import { readOnnxMetadata } from '../../../daemon/asr/models/onnx-metadata.js';
import { TokenTable } from '../../../daemon/asr/models/tokens.js';
import { FbankComputer } from '../../../daemon/asr/features/fbank.js';
import { STREAMING_ZIPFORMER_FBANK } from '../../../daemon/asr/features/presets.js';

const speech = readWavFile(join(fixturesDir, 'asr', 'speech-en.wav')).samples;
const dir = join(fixturesDir, 'asr', 'models', 'zipformer-transducer');

t.test('a live stream emits partials chunk by chunk and its final equals a whole-segment decode', async (t) => {
  const model = await loadModel(dir);
  t.teardown(() => model.release());
  t.equal(model.streaming, true);
  const stream = model.createStream({ endpointSilenceSec: 0 });
  let previousWords = 0;
  let grew = 0;
  let lastStable = '';
  for (let at = 0; at < speech.length; at += 3200) {
    stream.accept(speech.subarray(at, at + 3200)); // 200 ms pieces, as a microphone delivers them
    const p = await stream.partial();
    t.ok(p.stable.startsWith(lastStable), 'the stable prefix only grows');
    lastStable = p.stable;
    if (p.words.length > previousWords) grew++;
    previousWords = p.words.length;
  }
  t.ok(grew >= 5, `text grew over ${grew} partials while audio arrived`);
  const final = await stream.finish();
  const whole = await model.transcribe(speech);
  t.same(
    final.tokens.map((x) => x.token),
    whole.tokens.map((x) => x.token),
    'chunked feeding gives the same tokens as one call',
  );
  t.equal(stream.durationSec, 0, 'finish() starts a new utterance');
});

t.test('the encoder state is carried from chunk to chunk', async (t) => {
  const encoder = await openSession(join(dir, 'encoder.onnx'), { providers: ['cpu'], threads: 1, graphOptimization: 'all' });
  const decoder = await openSession(join(dir, 'decoder.onnx'), { providers: ['cpu'], threads: 1, graphOptimization: 'all' });
  const joiner = await openSession(join(dir, 'joiner.onnx'), { providers: ['cpu'], threads: 1, graphOptimization: 'all' });
  const paths = { encoder: join(dir, 'encoder.onnx'), decoder: join(dir, 'decoder.onnx'), joiner: join(dir, 'joiner.onnx') };
  const model = new StreamingZipformerModel(encoder, decoder, joiner, readOnnxMetadata(paths.encoder), readOnnxMetadata(paths.decoder), paths, TokenTable.read(join(dir, 'tokens.txt')));
  t.teardown(() => model.release());
  t.equal(model.chunkSize, 45, 'T from the encoder metadata');
  t.equal(model.chunkShift, 32, 'decode_chunk_len from the encoder metadata');
  const fbank = new FbankComputer(STREAMING_ZIPFORMER_FBANK).compute(speech);
  const chunk = (i: number) => fbank.data.slice(i * 32 * 80, (i * 32 + 45) * 80);
  const fresh = await model.runEncoder(chunk(1), model.initStates());
  const afterFirst = await model.runEncoder(chunk(0), model.initStates());
  const carried = await model.runEncoder(chunk(1), afterFirst.states);
  t.equal(carried.states.length, model.initStates().length, 'one new state per state input');
  t.notSame(Array.from(carried.out), Array.from(fresh.out), 'the same chunk encodes differently after the first chunk');
});
