/**
 * The option defaults, read from the plugin's config schema so that they are written in one
 * place only (the host fills the same defaults in when it validates the plugin's config).
 */
import { readFileSync } from 'node:fs';
import type { DateFormat, EnglishItnOptions } from './rule.js';

let cached: EnglishItnOptions | undefined;

/** The defaults of every option, from `config.schema.json` next to `src/` and `dist/`. */
export function defaultOptions(): EnglishItnOptions {
  if (!cached) {
    const schema = JSON.parse(readFileSync(new URL('../config.schema.json', import.meta.url), 'utf8')) as {
      properties: { dateFormat: { default: DateFormat } };
    };
    cached = Object.freeze({ dateFormat: schema.properties.dateFormat.default });
  }
  return cached;
}
