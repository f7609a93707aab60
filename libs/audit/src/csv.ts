import type { Options } from 'csv-stringify';

/**
 * The csv-stringify options every CSV export uses (audit entries, access-review evidence): numbers and booleans as
 * their text, and csv-stringify's `escape_formulas`, which puts a `'` before a text cell starting with `=`, `+`, `-`,
 * `@`, tab or CR (and their full-width forms), as OWASP's CSV-injection guidance says, so a spreadsheet shows the
 * cell instead of running it. Numbers are left alone. JSON and NDJSON exports are not affected.
 */
export function spreadsheetSafeCsvOptions<T extends Options>(options: T): T & Options {
  return {
    ...options,
    escape_formulas: true,
    cast: { number: (value: number) => String(value), boolean: (value: boolean) => String(value), ...options.cast },
  };
}
