import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { failCommand } from '../../errors.js';
import { parseDurationFlag } from '../../duration-flag.js';
import { dataDirFlags, dataDirOf } from '../../../scheduler/cli-support.js';
import { oneLine } from '../../../one-line.js';
import { terminalSafeJson } from '../../terminal-safe.js';
import { readTranscripts, transcriptsToCsv, type ExportedTranscript } from '../../../scheduler/transcript-export.js';

export default class JobsExport extends EarshotCommand {
  static override summary = 'Export finished transcripts with timestamps as CSV (one row per segment) or JSON.';
  static override description =
    'Reads the queue under the data directory; works without the daemon. A spool recording is one job per stretch of speech, with start_sec and end_sec in the recording; the recording column (JSON: recording) names the file it came from, and is the input itself for a file submitted by path. CSV written to a terminal shows control characters in values (a newline in a file name) as escapes; a file or a pipe gets them as they are.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> jobs export --format csv > transcripts.csv', '<%= config.bin %> jobs export --format json --since 24h --output today.json'];
  static override flags = {
    format: Flags.string({ description: 'output format', options: ['csv', 'json'], default: 'csv' }),
    output: Flags.string({ char: 'o', description: 'write to this file instead of stdout' }),
    since: Flags.string({ description: 'only jobs finished within this long (24h, 7d)' }),
    ...dataDirFlags,
  };

  async run(): Promise<ExportedTranscript[]> {
    const { flags } = await this.parse(JobsExport);
    let items: ExportedTranscript[];
    try {
      const dataDir = dataDirOf(flags);
      items = await readTranscripts(join(dataDir, 'queue'), flags.since ? Date.now() - parseDurationFlag('--since', flags.since) : 0, (err) => this.warn(`${err.message}; not exported`));
    } catch (err) {
      failCommand(this, err);
    }
    // With --json oclif prints the returned value; otherwise the chosen format goes out.
    if (!this.jsonEnabled()) {
      // CSV to a terminal is read by a person: each value is made one line there. A file or a
      // pipe gets the values as they are. JSON escapes control characters (C1 by terminalSafeJson).
      const toTerminal = !flags.output && process.stdout.isTTY === true;
      const text = flags.format === 'json' ? terminalSafeJson(JSON.stringify(items, null, 2)) + '\n' : transcriptsToCsv(items, toTerminal ? oneLine : undefined);
      if (flags.output) {
        writeFileSync(flags.output, text);
        this.logToStderr(`${items.length} transcripts written to ${flags.output}`);
      } else {
        process.stdout.write(text);
      }
    }
    return items;
  }
}
