// The options of the commands that print a report: -o, --no-color, --all-branches.
import type { Argv } from 'yargs';
import type { Args } from '../command.ts';
import type { ReportStyle } from '../emit.ts';
import { REPORT_FORMATS, outputFormat, withColorOption, withOutputOption } from './output.ts';

export function withReportOptions(y: Argv, allBranches: boolean): Argv {
  const r = withColorOption(withOutputOption(y, REPORT_FORMATS, 'table'));
  return allBranches
    ? r.option('all-branches', {
        type: 'boolean',
        default: false,
        describe: 'Show every load-balancing and multipath branch in the table',
      })
    : r;
}

export function reportStyle(argv: Args): ReportStyle {
  return {
    format: outputFormat(argv, REPORT_FORMATS, 'table'),
    color: argv['color'] !== false,
    allBranches: argv['all-branches'] === true,
  };
}
