// Golden outputs: the compact and wide tables at 60, 100 and 200 columns, and json, yaml and html
// (which do not depend on the width: the test renders them at every width and requires one text).
// A change of wording anywhere shows here as a diff to review; regenerate after reviewing it with
//   UPDATE_GOLDEN=1 node --import tsx --test test/unit/report/golden.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportDoc } from '../../../src/report/document.ts';
import type { OutputFormat } from '../../../src/report/render.ts';
import { OUTPUT_FORMATS, renderReport } from '../../../src/report/render.ts';
import { activeDoctor, externalIpAudit, healthyPodToPod, rpFilterLan } from './docs.ts';

const DIR = 'test/unit/report/golden';
const WIDTHS = [60, 100, 200] as const;
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

const DOCS: [string, () => Promise<ReportDoc>][] = [
  ['rp-filter-lan', rpFilterLan],
  ['healthy-pod-to-pod', healthyPodToPod],
  ['externalip-audit', externalIpAudit],
  ['active-doctor', activeDoctor],
];

function golden(name: string, actual: string): void {
  const file = join(DIR, name);
  if (UPDATE || !existsSync(file)) {
    assert.ok(UPDATE, `${file} is missing: UPDATE_GOLDEN=1 writes it`);
    mkdirSync(DIR, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `${file} differs (UPDATE_GOLDEN=1 rewrites it after review)`);
}

const EXT: Record<OutputFormat, string> = { table: 'txt', wide: 'txt', json: 'json', yaml: 'yaml', html: 'html' };

for (const [name, make] of DOCS) {
  for (const format of OUTPUT_FORMATS) {
    test(`golden: ${name} -o ${format} at ${WIDTHS.join(', ')} columns`, async () => {
      const doc = await make();
      const out = WIDTHS.map((columns) =>
        renderReport(doc, format, { isTTY: false, columns }, { colour: false, env: {} }),
      );
      if (format === 'table' || format === 'wide') {
        WIDTHS.forEach((w, i) => {
          golden(`${name}.${format}.${w}.${EXT[format]}`, out[i]!);
        });
      } else {
        assert.ok(
          out.every((o) => o === out[0]),
          `-o ${format} does not depend on the width`,
        );
        golden(`${name}.${EXT[format]}`, out[0]!);
      }
    });
  }
}
