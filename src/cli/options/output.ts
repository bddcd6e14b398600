// -o for the commands that print a report (a format) or a document (json or yaml), and --no-color.
import type { Argv } from 'yargs';
import type { OutputFormat } from '../../report/render.ts';
import { OUTPUT_FORMATS } from '../../report/render.ts';
import type { Args } from '../command.ts';
import { oneOf } from './values.ts';

/** Every format a report renders to (report/render.ts): table, wide, json, yaml, html. */
export const REPORT_FORMATS = OUTPUT_FORMATS;
/** Commands that print data rather than a report: JSON or YAML. */
export const DATA_FORMATS = ['json', 'yaml'] as const satisfies readonly OutputFormat[];
export type DataFormat = (typeof DATA_FORMATS)[number];

export function withOutputOption(y: Argv, formats: readonly string[], byDefault: string): Argv {
  return y.option('output', {
    alias: 'o',
    type: 'string',
    requiresArg: true,
    choices: formats,
    describe: `Output format: ${formats.join(', ')} (default ${byDefault})`,
  });
}

export function withColorOption(y: Argv): Argv {
  return y.option('color', {
    type: 'boolean',
    default: true,
    describe: 'Colour on a terminal (--no-color, or NO_COLOR, turns it off)',
  });
}

export function outputFormat<T extends string>(argv: Args, formats: readonly T[], byDefault: T): T {
  return oneOf('-o/--output', argv['output'], formats) ?? byDefault;
}
