// Prints a report in the format asked for and sets the exit status it implies.
import type { ReportDoc } from '../report/document.ts';
import { exitStatus } from '../report/verdict.ts';
import { renderReport } from '../report/render.ts';
import type { OutputFormat } from '../report/render.ts';

export interface ReportStyle {
  format: OutputFormat;
  color: boolean;
  allBranches: boolean;
}

export function emitReport(doc: ReportDoc, style: ReportStyle): void {
  const out = process.stdout;
  out.write(
    renderReport(
      doc,
      style.format,
      { isTTY: out.isTTY === true, ...(out.columns !== undefined ? { columns: out.columns } : {}) },
      { colour: style.color, env: process.env, allBranches: style.allBranches },
    ),
  );
  const code = exitStatus(doc);
  if (code !== 0) process.exitCode = code;
}
