/**
 * Shared by the English and Chinese ITN suites: read a `category<TAB>spoken<TAB>written`
 * case file, score a normalizer on it per category, and render the accuracy table that the
 * plugin READMEs carry (the suites check that the README shows exactly what they measure).
 */
import { readFileSync } from 'node:fs';
import type { Test } from 'tap';

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

/**
 * The examples table at the top of a plugin README (`| spoken | written |`), as pairs; a cell
 * may hold several examples separated by " / ", "unchanged" means the spoken form stays.
 */
export function readmeExamples(file: string): Array<{ spoken: string; written: string }> {
  const text = readFileSync(file, 'utf8');
  const table = /\| spoken \| written \|\n\|---\|---\|\n((?:\|.*\|\n)+)/.exec(text);
  if (!table) throw new Error(`${file}: no "| spoken | written |" table`);
  return table[1]!.trim().split('\n').flatMap((row) => {
    const [spokenCell, writtenCell] = row.split(' | ').map((c) => c.replace(/^\| |\|$/g, '').trim());
    const spoken = spokenCell!.split(' / ');
    const unchanged = /(^|\()unchanged\)?$/.test(writtenCell!);
    const written = unchanged ? spoken : writtenCell!.split(' / ');
    if (written.length !== spoken.length && written.length !== 1) throw new Error(`${file}: row "${row}" pairs ${spoken.length} spoken with ${written.length} written`);
    return spoken.map((sp, k) => ({ spoken: sp, written: written.length === 1 ? written[0]! : written[k]! }));
  });
}

/** The categories every suite must cover. */
export const CATEGORIES = ['cardinal', 'ordinal', 'decimal', 'fraction', 'money', 'percent', 'date', 'time', 'measure', 'telephone', 'unchanged'];

/** What {@link runSuite} needs to know about one language. */
export interface SuiteSpec {
  /** The case file. */
  casesFile: string;
  /** The plugin README whose accuracy table must match. */
  readme: string;
  /** The fewest cases the file must hold. */
  minCases: number;
  normalize: (text: string) => string;
}

/**
 * The tap tests of a suite: coverage of every category, at least 95% exact match in each
 * (the table and every miss are printed as comments), and the README's table.
 */
export function runSuite(t: Test, spec: SuiteSpec): void {
  const cases = readCases(spec.casesFile);
  const result = score(cases, spec.normalize);
  const table = accuracyTable(result.scores);

  t.test('the case file covers every category with enough cases', async (t) => {
    t.ok(cases.length >= spec.minCases, `${cases.length} cases`);
    const present = result.scores.map((s) => s.category);
    for (const c of CATEGORIES) t.ok(present.includes(c), `category ${c} present`);
  });

  t.test('exact match is at least 95% in every category', async (t) => {
    for (const line of table.split('\n')) t.comment(line);
    for (const f of result.failures) t.comment(`miss (cases.tsv:${f.line}) ${f.category}: "${f.spoken}" → "${f.got}", want "${f.written}"`);
    for (const s of result.scores) t.ok(s.exact / s.cases >= 0.95, `${s.category}: ${s.exact}/${s.cases}`);
  });

  t.test('the plugin README shows the accuracy this suite measures', async (t) => {
    t.equal(tableInReadme(spec.readme), table);
  });

  t.test('the examples at the top of the README are what the normalizer does', async (t) => {
    const examples = readmeExamples(spec.readme);
    t.ok(examples.length >= 10, `${examples.length} examples`);
    for (const e of examples) t.equal(spec.normalize(e.spoken), e.written, e.spoken);
  });
}

/**
 * Random texts from `alphabet` joined by `joiner`, from a fixed seed so a failure repeats:
 * the normalizer must not throw, must not write "undefined"/"NaN", and must be idempotent
 * (its output contains nothing it would rewrite again).
 */
export function fuzzNormalizer(t: Test, normalize: (text: string) => string, alphabet: readonly string[], joiner: string, runs = 5000): void {
  let seed = 42;
  // Park–Miller style LCG: enough to spread the draws, and repeatable.
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const problems: string[] = [];
  for (let k = 0; k < runs && problems.length < 10; k++) {
    const length = 1 + Math.floor(next() * 12);
    const text = Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]!).join(joiner);
    let once: string;
    try {
      once = normalize(text);
    } catch (err) {
      problems.push(`${JSON.stringify(text)} threw ${(err as Error).message}`);
      continue;
    }
    if (/undefined|NaN|Infinity/.test(once)) problems.push(`${JSON.stringify(text)} → ${JSON.stringify(once)}`);
    const twice = normalize(once);
    if (twice !== once) problems.push(`${JSON.stringify(text)} → ${JSON.stringify(once)} → ${JSON.stringify(twice)} (not idempotent)`);
  }
  t.same(problems, [], `${runs} random texts`);
}
