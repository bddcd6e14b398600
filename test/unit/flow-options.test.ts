// --size and --df of the flow commands: parsed and checked before any I/O (src/cli/options).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flowFlags } from '../../src/cli/options/flow.ts';
import { InputError } from '../../src/lib/errors.ts';

test('--size is a whole number of bytes from 28 to 65535; --no-df clears DF', () => {
  assert.deepEqual(flowFlags({ _: [], $0: '', port: '53', protocol: 'udp', size: '1500', df: false }), {
    protocol: 'udp',
    port: 53,
    size: 1500,
    df: false,
  });
  assert.deepEqual(flowFlags({ _: [], $0: '' }), { protocol: 'icmp' });
  for (const bad of ['27', '65536', '1.5', 'big', ''])
    assert.throws(() => flowFlags({ _: [], $0: '', size: bad }), InputError, bad);
  assert.throws(() => flowFlags({ _: [], $0: '', size: ['100', '200'] }), /given 2 times/);
});
