// Prints a report in the format asked for and sets the exit status it implies.
import type { ReportDoc } from '../report/document.ts';
import { exitStatus } from '../report/verdict.ts';
import { renderReport } from '../report/render.ts';
import type { GlobalArgs } from './global-options.ts';

export function emitReport(doc: ReportDoc, argv: GlobalArgs & { 'all-branches'?: boolean }): void {
  const out = process.stdout;
  out.write(
    renderReport(
      doc,
      argv.output,
      { isTTY: out.isTTY === true, ...(out.columns !== undefined ? { columns: out.columns } : {}) },
      { colour: argv.color, env: process.env, allBranches: argv['all-branches'] === true },
    ),
  );
  const code = exitStatus(doc);
  if (code !== 0) process.exitCode = code;
}
