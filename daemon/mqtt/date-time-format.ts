/** RFC 3339 date-time, as JSON Schema's `format: date-time` means it (without pulling ajv-formats). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The formats the payload schemas use, in a module of their own: the payload validators
 * that the build generates (scripts/compile-schemas.ts) import them from here.
 */
export const formats = {
  'date-time': (s: string): boolean => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)),
};
