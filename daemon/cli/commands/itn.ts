import { Args, Command, Flags } from '@oclif/core';
import { findEdits as findEnglishEdits, applyEdits as applyEnglishEdits, type DateFormat } from '@earshot/plugin-itn-en';
import { findEdits as findChineseEdits, applyEdits as applyChineseEdits } from '@earshot/plugin-itn-zh';

/** One span the normalizer rewrote, as `earshot itn --json` reports it. */
export interface ItnSpan {
  /** Which rule rewrote it: cardinal, money, date … */
  category: string;
  /** The spoken form as it was in the input. */
  spoken: string;
  /** The written form. */
  written: string;
  /** Character offsets of the spoken form in the input. */
  start: number;
  end: number;
}

export interface ItnResult {
  language: 'en' | 'zh';
  input: string;
  output: string;
  spans: ItnSpan[];
}

/** Runs the built-in inverse text normalizers on a text here, without the daemon. */
export default class Itn extends Command {
  static override summary = 'Try inverse text normalization: turn spoken numbers, dates, times and money in TEXT into written form.';
  static override description =
    'Runs the built-in ITN plugin for the language (@earshot/plugin-itn-en or @earshot/plugin-itn-zh) on TEXT, prints the result and, with --json, every span it rewrote and the rule that did it. Text the normalizer does not understand is printed unchanged. Works without the daemon.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> itn "twenty three dollars and fifty cents" --lang en',
    '<%= config.bin %> itn "the first of march twenty twenty five" --lang en --date-format ISO',
    '<%= config.bin %> itn "二零二五年三月五日" --lang zh --json',
  ];
  static override args = { text: Args.string({ description: 'the spoken-form text, e.g. a transcript', required: true }) };
  static override flags = {
    lang: Flags.string({ char: 'l', description: 'language of the text', options: ['en', 'zh'], default: 'en' }),
    'date-format': Flags.string({ description: 'English date style: MDY = "March 1, 2025", DMY = "1 March 2025", ISO = "2025-03-01"', options: ['MDY', 'DMY', 'ISO'], default: 'MDY' }),
  };

  async run(): Promise<ItnResult> {
    const { args, flags } = await this.parse(Itn);
    const input = args.text;
    if (input.trim() === '') {
      this.error('TEXT is empty', { exit: 1, suggestions: ['pass the words to normalize in quotes: earshot itn "twenty three dollars" --lang en'] });
    }
    const language = flags.lang as 'en' | 'zh';
    const edits = language === 'en' ? findEnglishEdits(input, { dateFormat: flags['date-format'] as DateFormat }) : findChineseEdits(input);
    const output = language === 'en' ? applyEnglishEdits(input, edits) : applyChineseEdits(input, edits);
    const spans = edits.map((e) => ({ category: e.category, spoken: input.slice(e.start, e.end), written: e.text, start: e.start, end: e.end }));
    this.log(output);
    return { language, input, output, spans };
  }
}
