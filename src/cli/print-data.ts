// Prints data (not a report) as JSON or YAML. YAML in 1.1 style, so that YAML 1.1 readers
// (PyYAML, go-yaml v2) do not turn a timestamp, "yes" or "on" string into a date or a boolean.
import { stringify as toYaml } from 'yaml';
import type { DataFormat } from './options/output.ts';

export function printData(value: unknown, format: DataFormat): void {
  process.stdout.write(
    format === 'json' ? `${JSON.stringify(value, null, 1)}\n` : toYaml(value, { lineWidth: 0, version: '1.1' }),
  );
}
