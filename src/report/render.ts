// Writes a ReportDoc in the format asked for: the table for people (compact, or -o wide with every
// hop), a self-contained HTML page with a drawing of the path, JSON or YAML for machines.
import { stringify as toYaml } from 'yaml';
import { colourWanted, paint } from './colour.ts';
import type { ReportDoc } from './document.ts';
import { renderHtml } from './html.ts';
import { renderTable } from './table.ts';

export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml', 'html'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface RenderTarget {
  isTTY?: boolean;
  columns?: number;
}

/** Narrower than this, no table is readable; the layout stops shrinking. */
const MIN_COLUMNS = 40;
/** Piped with no COLUMNS: wide enough for a path and its evidence on one line each. */
const PIPED_COLUMNS = 100;

/** The terminal's width; when piped, $COLUMNS (as ls and kubectl honour it), else 100. */
export function layoutWidth(target: RenderTarget, env: NodeJS.ProcessEnv): number {
  const fromEnv = Number.parseInt(env['COLUMNS'] ?? '', 10);
  const cols =
    target.isTTY === true && target.columns !== undefined && target.columns > 0
      ? target.columns
      : Number.isFinite(fromEnv) && fromEnv > 0
        ? fromEnv
        : (target.columns ?? PIPED_COLUMNS);
  return Math.max(MIN_COLUMNS, cols);
}

export function renderReport(
  doc: ReportDoc,
  format: OutputFormat,
  target: RenderTarget,
  opts: { colour: boolean; env: NodeJS.ProcessEnv; allBranches?: boolean },
): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(doc, null, 2)}\n`;
    case 'yaml':
      // YAML 1.1 style: 1.1 readers (PyYAML, go-yaml v2) would read an unquoted capturedAt as a date.
      return toYaml(doc, { lineWidth: 0, version: '1.1' });
    case 'html':
      return renderHtml(doc, { allBranches: opts.allBranches === true });
    case 'table':
    case 'wide':
      return renderTable(doc, paint(colourWanted(opts.colour, target, opts.env)), layoutWidth(target, opts.env), {
        allBranches: opts.allBranches === true,
        view: format === 'wide' ? 'wide' : 'compact',
      });
  }
}
