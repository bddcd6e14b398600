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

// The probe reads the kernel's table where the image has no conntrack(8): the real file of this
// machine's kernel (test/fixtures/conntrack/proc-net-stat-nf_conntrack.txt), and the same with
// counters raised on CPU 1 (hex, as the kernel prints them).
describe('parseConntrackStats on /proc/net/stat/nf_conntrack', () => {
  const text = fixture('conntrack/proc-net-stat-nf_conntrack.txt');

  it('one entry per CPU row, named as conntrack -S names them, entries left out', () => {
    const r = parseConntrackStats(text);
    assert.deepEqual(r.warnings, []);
    assert.equal(r.value.cpus.length, text.trim().split('\n').length - 1);
    assert.equal(r.value.totals.get('insert_failed'), 0);
    assert.ok(r.value.totals.has('clash_resolve') && r.value.totals.has('chaintoolong'));
    assert.ok(!r.value.totals.has('entries') && !r.value.totals.has('clashres'));
  });

  it('hex counters summed over CPUs', () => {
    const [header, ...rows] = text.trim().split('\n');
    const names = header!.trim().split(/\s+/);
    const raised = names.map((n) => (n === 'insert_failed' ? '0000001a' : n === 'drop' ? '00000003' : '00000000'));
    const r = parseConntrackStats([header, rows[0], raised.join(' '), ''].join('\n'));
    assert.deepEqual(r.warnings, []);
    assert.equal(r.value.totals.get('insert_failed'), 26);
    assert.equal(r.value.totals.get('drop'), 3);
  });

  it('a row that is not hex counters is a warning, never a number', () => {
    const [header] = text.trim().split('\n');
    const r = parseConntrackStats(`${header}\nzz 00\n`);
    assert.equal(r.value.cpus.length, 0);
    assert.equal(r.warnings.length, 1);
  });
});
