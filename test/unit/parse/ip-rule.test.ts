// parseIpRule on `ip -j rule show` captured by test/fixtures/capture-ip.sh (one rule per selector).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpRule } from '../../../src/model/parse/ip-rule.ts';
import { tableRef } from '../../../src/model/parse/route-table.ts';
import type { PolicyRule } from '../../../src/model/types.ts';
import { fixture } from '../../helpers/fixtures.ts';

const parsed = parseIpRule(fixture('ip/ip-rule.json'));
const calico = tableRef('calico')?.table;

function rule(priority: number): Omit<PolicyRule, 'raw'> {
  const r = parsed.value.find((x) => x.priority === priority);
  assert.ok(r, `rule ${priority}`);
  const { raw: _raw, ...rest } = r;
  return rest;
}

const base = { family: 'inet', invert: false } as const;

describe('parseIpRule: captured rules', () => {
  it('reads every rule, in priority order, without warnings', () => {
    assert.deepEqual(parsed.warnings, []);
    assert.deepEqual(
      parsed.value.map((r) => r.priority),
      [0, ...Array.from({ length: 20 }, (_, i) => 100 + i), 32766, 32767],
    );
  });

  it('the default rules', () => {
    assert.deepEqual(rule(0), { ...base, priority: 0, action: 'table', table: 255, tableName: 'local' });
    assert.deepEqual(rule(32766), { ...base, priority: 32766, action: 'table', table: 254, tableName: 'main' });
    assert.deepEqual(rule(32767), { ...base, priority: 32767, action: 'table', table: 253, tableName: 'default' });
  });

  it('from, not from, to', () => {
    assert.deepEqual(rule(100), { ...base, priority: 100, src: '10.244.0.0/16', action: 'table', table: 100 });
    assert.deepEqual(rule(101), {
      ...base,
      priority: 101,
      invert: true,
      src: '10.244.1.0/24',
      action: 'table',
      table: calico,
      tableName: 'calico',
    });
    assert.deepEqual(rule(102), {
      ...base,
      priority: 102,
      dst: '10.96.0.0/12',
      action: 'table',
      table: 254,
      tableName: 'main',
    });
  });

  it('iif, oif', () => {
    assert.deepEqual(rule(103), { ...base, priority: 103, iif: 'cni0', action: 'table', table: 100 });
    assert.deepEqual(rule(104), {
      ...base,
      priority: 104,
      oif: 'eth0',
      action: 'table',
      table: calico,
      tableName: 'calico',
    });
  });

  it('fwmark with and without a mask; tos', () => {
    assert.deepEqual(rule(105), { ...base, priority: 105, fwmark: 0xa00, fwmask: 0xf00, action: 'table', table: 2004 });
    // ip leaves out a full mask (0xffffffff), which is what the kernel uses without one.
    assert.deepEqual(rule(106), {
      ...base,
      priority: 106,
      fwmark: 0x80000,
      fwmask: 0xffffffff,
      action: 'table',
      table: 100,
    });
    assert.deepEqual(rule(107), { ...base, priority: 107, tos: 0x10, action: 'table', table: 100 });
  });

  it('goto, blackhole, unreachable, prohibit, nop', () => {
    assert.deepEqual(rule(108), {
      ...base,
      priority: 108,
      src: '10.1.0.0/16',
      dst: '10.2.0.0/16',
      action: 'goto',
      gotoPriority: 110,
    });
    assert.deepEqual(rule(109), { ...base, priority: 109, src: '10.3.0.0/16', action: 'blackhole' });
    assert.deepEqual(rule(110), { ...base, priority: 110, src: '10.4.0.0/16', action: 'unreachable' });
    assert.deepEqual(rule(111), { ...base, priority: 111, src: '10.5.0.0/16', action: 'prohibit' });
    assert.deepEqual(rule(112), { ...base, priority: 112, src: '10.6.0.0/16', action: 'nop' });
  });

  it('suppress_prefixlength, lookup local / default, a table id above 2^31', () => {
    assert.deepEqual(rule(113), {
      ...base,
      priority: 113,
      action: 'table',
      table: 254,
      tableName: 'main',
      suppressPrefixLength: 0,
    });
    assert.equal(rule(114).table, 255);
    assert.equal(rule(119).table, 253);
    assert.equal(rule(116).table, 3000000000);
  });

  it('every selector together, inverted', () => {
    assert.deepEqual(rule(115), {
      ...base,
      priority: 115,
      invert: true,
      dst: '10.8.0.0/16',
      iif: 'cni0',
      oif: 'eth0',
      fwmark: 1,
      fwmask: 1,
      action: 'table',
      table: 100,
    });
  });

  it('selectors the model does not represent are listed, so the engine can answer unknown', () => {
    assert.deepEqual(rule(117).unmodeled, ['ipproto', 'dport']);
    assert.deepEqual(rule(118).unmodeled, ['uid_start', 'uid_end']);
    assert.equal(rule(100).unmodeled, undefined);
  });

  it('IPv6 rules (ip -6 rule): family from the address, else from the caller', () => {
    const v6 = parseIpRule(fixture('ip/ip-rule6.json'), { family: 'inet6' });
    assert.deepEqual(v6.warnings, []);
    assert.deepEqual(
      v6.value.map((r) => r.family),
      ['inet6', 'inet6', 'inet6'],
    );
    const r = v6.value.find((x) => x.priority === 120);
    assert.equal(r?.family, 'inet6');
    assert.equal(r?.src, 'fd00:50::/64');
    assert.equal(r?.table, 100);
  });
});
