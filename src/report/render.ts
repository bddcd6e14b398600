// Writes a ReportDoc in the format asked for: the table for people, JSON or YAML for machines.
import { stringify as toYaml } from 'yaml';
import { colourWanted, paint } from './colour.ts';
import type { ReportDoc } from './document.ts';
import { renderTable } from './table.ts';

export type OutputFormat = 'table' | 'json' | 'yaml';

export interface RenderTarget {
  isTTY?: boolean;
  columns?: number;
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
    case 'table':
      return renderTable(
        doc,
        paint(colourWanted(opts.colour, target, opts.env)),
        Math.max(80, Math.min(target.columns ?? 120, 160)),
        { allBranches: opts.allBranches === true },
      );
  }
}
