/**
 * Shared by the English and Chinese ITN suites: read a `category<TAB>spoken<TAB>written`
 * case file, score a normalizer on it per category, and render the accuracy table that the
 * plugin READMEs carry (the suites check that the README shows exactly what they measure).
 */
import { readFileSync } from 'node:fs';

export interface ItnCase {
  category: string;
  spoken: string;
  written: string;
  /** 1-based line in the case file, for failure messages. */
  line: number;
}

export interface CategoryScore {
  category: string;
  cases: number;
  exact: number;
}

export interface SuiteResult {
  scores: CategoryScore[];
  failures: Array<ItnCase & { got: string }>;
}

/** Parse a case file; `#` lines and blank lines are comments. */
export function readCases(file: string): ItnCase[] {
  const out: ItnCase[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((raw, index) => {
    if (raw.trim() === '' || raw.startsWith('#')) return;
    const fields = raw.split('\t');
    if (fields.length !== 3) throw new Error(`${file}:${index + 1}: expected category<TAB>spoken<TAB>written, got ${fields.length} fields`);
    out.push({ category: fields[0]!, spoken: fields[1]!, written: fields[2]!, line: index + 1 });
  });
  return out;
}

/** Run every case through `normalize` and count exact matches per category (file order). */
export function score(cases: readonly ItnCase[], normalize: (text: string) => string): SuiteResult {
  const byCategory = new Map<string, CategoryScore>();
  const failures: SuiteResult['failures'] = [];
  for (const c of cases) {
    const s = byCategory.get(c.category) ?? { category: c.category, cases: 0, exact: 0 };
    byCategory.set(c.category, s);
    s.cases++;
    const got = normalize(c.spoken);
    if (got === c.written) s.exact++;
    else failures.push({ ...c, got });
  }
  return { scores: [...byCategory.values()], failures };
}

function percent(exact: number, cases: number): string {
  return `${((100 * exact) / cases).toFixed(1)}%`;
}

/** The Markdown accuracy table, with a total row. */
export function accuracyTable(scores: readonly CategoryScore[]): string {
  const total = scores.reduce((a, s) => ({ cases: a.cases + s.cases, exact: a.exact + s.exact }), { cases: 0, exact: 0 });
  const rows = [
    '| category | cases | exact match | accuracy |',
    '|---|---:|---:|---:|',
    ...scores.map((s) => `| ${s.category} | ${s.cases} | ${s.exact} | ${percent(s.exact, s.cases)} |`),
    `| **total** | ${total.cases} | ${total.exact} | ${percent(total.exact, total.cases)} |`,
  ];
  return rows.join('\n');
}

/** The table in a README, between `<!-- accuracy:start -->` and `<!-- accuracy:end -->`. */
export function tableInReadme(file: string): string | null {
  const text = readFileSync(file, 'utf8');
  const m = /<!-- accuracy:start -->\n([\s\S]*?)\n<!-- accuracy:end -->/.exec(text);
  return m ? m[1]!.trim() : null;
}
