// parseConntrackStats on `conntrack -S` captured by test/fixtures/capture-conntrack.sh.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConntrackStats } from '../../../src/model/parse/conntrack-stats.ts';
import { fixture } from '../../helpers/fixtures.ts';

describe('parseConntrackStats', () => {
  const text = fixture('conntrack/conntrack-S.txt');

  it('one entry per CPU line, every counter, summed', () => {
    const r = parseConntrackStats(text);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(
      r.value.cpus.map((c) => c.cpu),
      [0, 1],
    );
    assert.deepEqual(
      [...r.value.totals.keys()],
      [
        'found',
        'invalid',
        'insert',
        'insert_failed',
        'drop',
        'early_drop',
        'error',
        'search_restart',
        'clash_resolve',
        'chaintoolong',
      ],
    );
    assert.equal(r.value.totals.get('insert_failed'), 0);
    assert.equal(r.value.cpus[0]!.raw, text.split('\n')[0]!.trimEnd());
  });

  it('sums a counter over the CPUs', () => {
    const raised = text
      .replace(/^(cpu=0.*?)insert_failed=0/m, '$1insert_failed=3')
      .replace(/^(cpu=1.*?)insert_failed=0/m, '$1insert_failed=4');
    assert.equal(parseConntrackStats(raised).value.totals.get('insert_failed'), 7);
  });

  it('output cut mid-number is flagged, not read as a smaller count', () => {
    const cut = `${text.slice(0, text.indexOf('search_restart=0') + 'search_restart='.length)}1`;
    const r = parseConntrackStats(cut);
    assert.match(r.warnings.at(-1)!, /last line has no line end/);
  });

  it('a line that is not a CPU line, or a counter that is not name=number, is a warning', () => {
    const r = parseConntrackStats(
      `${text}conntrack v1.4.7 (conntrack-tools): Operation not permitted\ncpu=2 found=x drop=1\n`,
    );
    assert.equal(r.warnings.length, 2);
    assert.match(r.warnings[0]!, /not a "cpu=N/);
    assert.match(r.warnings[1]!, /found=x/);
    assert.equal(r.value.totals.get('drop'), 1);
  });
});
