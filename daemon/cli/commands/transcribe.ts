import { Args, Flags } from '@oclif/core';
import { EarshotCommand } from '../earshot-command.js';
import { isAbsolute, join } from 'node:path';
import { LogSink } from '../../log/logger.js';
import { packageRoot } from '../../paths.js';
import { readHotwordsFile } from '../../asr/hotwords-file.js';
import { toCsv, toSrt } from '../../asr/output-formats.js';
import { loadModel } from '../../asr/recognizer.js';
import { EXECUTION_PROVIDERS, type ExecutionProvider, type ProviderFallback } from '../../asr/session.js';
import { transcribeFile, type FileTranscript } from '../../asr/transcribe-file.js';
import type { Hotword, TranscribeOptions } from '../../asr/types.js';

export interface TranscribeCommandResult {
  model: { id: string; dir: string; family: string; provider: ExecutionProvider; fallbacks: ProviderFallback[] };
  files: FileTranscript[];
  /** Files that could not be transcribed (the others still were), with why. */
  failures: Array<{ file: string; error: string }>;
}

const FILE_HINT = 'check the file exists and is audio (WAV, or any format ffmpeg reads when installed)';

/** The model that ships with earshot; installed models live elsewhere and are passed with --model. */
export const DEFAULT_MODEL_DIR = 'models/earshot-en-tiny';

/** Transcribes audio files here, without the daemon. */
export default class Transcribe extends EarshotCommand {
  static override summary = 'Transcribe audio files with an ONNX model, without the daemon.';
  static override description =
    'Decodes each FILE to 16 kHz mono, runs the model (NeMo CTC, Zipformer CTC, SenseVoice, Paraformer or a streaming Zipformer transducer) on the first execution provider that works (falling back to CPU with a logged reason) and prints the text. A file that cannot be decoded is named on stderr and the rest are still transcribed; the exit code is then 1. --hotwords biases decoding towards listed phrases (one per line, optional ":BOOST").';
  static override enableJsonFlag = true;
  static override strict = false;
  static override examples = [
    '<%= config.bin %> transcribe meeting.wav',
    '<%= config.bin %> transcribe a.wav b.wav --model /var/lib/earshot/models/sherpa-onnx-nemo-ctc-en --json',
    '<%= config.bin %> transcribe call.wav --hotwords names.txt --srt > call.srt',
    '<%= config.bin %> transcribe call.wav --provider cuda',
  ];
  static override args = { file: Args.string({ description: 'audio file(s) to transcribe', required: true }) };
  static override flags = {
    model: Flags.string({ description: `model directory (model.onnx + tokens.txt), default ${DEFAULT_MODEL_DIR}` }),
    hotwords: Flags.string({ description: 'file with phrases to favour, one per line, optional " :BOOST"' }),
    provider: Flags.string({ description: 'preferred execution provider; CPU is the fallback', options: [...EXECUTION_PROVIDERS], multiple: true }),
    threads: Flags.integer({ description: 'intra-op threads', min: 1, default: 1 }),
    beam: Flags.integer({ description: 'use CTC prefix beam search with this beam size (hotwords imply beam 8)', min: 1 }),
    language: Flags.string({ description: 'SenseVoice language: auto, en, zh, ja, ko, yue' }),
    itn: Flags.boolean({ description: 'SenseVoice: ask the model for punctuation and inverse text normalisation' }),
    csv: Flags.boolean({ description: 'print CSV: file,start_sec,end_sec,text', exclusive: ['srt'] }),
    srt: Flags.boolean({ description: 'print SubRip subtitles', exclusive: ['csv'] }),
    verbose: Flags.boolean({ char: 'v', description: 'log model loading at info level' }),
  };

  async run(): Promise<TranscribeCommandResult> {
    const { argv, flags } = await this.parse(Transcribe);
    const files = argv as string[];
    const logger = new LogSink({ level: flags.verbose ? 'info' : 'warn', format: 'text', write: (line) => process.stderr.write(line + '\n') }).logger('asr');
    const modelDir = flags.model ?? join(packageRoot, DEFAULT_MODEL_DIR);
    let hotwords: Hotword[] | undefined;
    if (flags.hotwords) {
      try {
        hotwords = readHotwordsFile(flags.hotwords);
      } catch (err) {
        this.error((err as Error).message, { exit: 1, suggestions: ['one phrase per line, e.g. "earshot :2.0"'] });
      }
    }
    const providers = (flags.provider as ExecutionProvider[] | undefined) ?? ['cuda', 'coreml', 'cpu'];
    let model;
    try {
      model = await loadModel(isAbsolute(modelDir) ? modelDir : join(process.cwd(), modelDir), { providers, threads: flags.threads, logger });
    } catch (err) {
      this.error((err as Error).message, { exit: 1, suggestions: ['pass --model DIR with model.onnx and tokens.txt, or install one with `earshot model install`'] });
    }
    const options: TranscribeOptions = { hotwords, language: flags.language, useItn: flags.itn, method: flags.beam ? 'beam' : undefined, beamSize: flags.beam };
    const transcripts: FileTranscript[] = [];
    const failures: TranscribeCommandResult['failures'] = [];
    try {
      // One file that cannot be decoded does not cost the others: each is tried, failures said at the end.
      for (const file of files) {
        try {
          transcripts.push(await transcribeFile(model, file, options));
        } catch (err) {
          failures.push({ file, error: (err as Error).message });
        }
      }
    } finally {
      await model.release();
    }
    if (failures.length === files.length) {
      this.error(failures.map((f) => (files.length > 1 ? `${f.file}: ${f.error}` : f.error)).join('\n'), { exit: 1, suggestions: [FILE_HINT] });
    }
    if (!this.jsonEnabled()) {
      if (flags.csv) process.stdout.write(toCsv(transcripts));
      else if (flags.srt) process.stdout.write(transcripts.map((t) => toSrt(t)).join('\n'));
      else for (const t of transcripts) this.log(files.length > 1 ? `${t.file}: ${t.text}` : t.text);
    }
    if (failures.length > 0) {
      for (const f of failures) this.logToStderr(`could not transcribe ${f.file}: ${f.error}`);
      this.logToStderr(`${failures.length} of ${files.length} files failed\n  hint: ${FILE_HINT}`);
      process.exitCode = 1;
    }
    return {
      model: { id: model.id, dir: model.dir, family: model.family, provider: model.provider, fallbacks: [...model.fallbacks] },
      files: transcripts,
      failures,
    };
  }
}
