// parseSysctl on `sysctl -a --pattern '^net\.(ipv4|bridge)\.'` captured by capture-ip.sh.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSysctl } from '../../../src/model/parse/sysctl.ts';
import { fixture } from '../../helpers/fixtures.ts';

describe('parseSysctl', () => {
  const text = fixture('ip/sysctl.txt');
  const r = parseSysctl(text);
  const s = r.value;

  it('reads every line without warnings', () => {
    assert.deepEqual(r.warnings, []);
    assert.equal(s.size, text.split('\n').filter((l) => l !== '').length);
  });

  it('the values the capture set', () => {
    assert.equal(s.get('net.ipv4.ip_forward'), '1');
    assert.equal(s.get('net.ipv4.conf.all.rp_filter'), '0');
    assert.equal(s.get('net.ipv4.conf.default.rp_filter'), '1');
    assert.equal(s.get('net.ipv4.conf.eth0.rp_filter'), '2');
    assert.equal(s.get('net.ipv4.conf.cni0.forwarding'), '1');
    assert.equal(s.get('net.ipv4.conf.vethdown.forwarding'), '0');
  });

  it("keeps sysctl's spelling of a device with a dot: flannel.1 → flannel/1", () => {
    assert.equal(s.get('net.ipv4.conf.flannel/1.rp_filter'), '1');
    assert.equal(s.has('net.ipv4.conf.flannel.1.rp_filter'), false);
  });

  it('values with tabs, empty values, bridge keys', () => {
    assert.match(s.get('net.ipv4.ip_local_port_range') ?? '', /^\d+\t\d+$/);
    assert.equal(s.get('net.ipv4.ip_local_reserved_ports'), '');
    assert.equal(s.get('net.bridge.bridge-nf-call-iptables'), '1');
  });
});

describe('parseSysctl: cut short', () => {
  it('keeps the lines before the cut and flags the last one', () => {
    const text = fixture('ip/sysctl.txt');
    const cut = text.slice(0, text.indexOf('net.ipv4.ip_forward = ') + 'net.ipv4.ip_forward = '.length);
    const r = parseSysctl(cut);
    assert.equal(r.value.get('net.ipv4.ip_forward'), '');
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0] ?? '', /last line has no line end.*ip_forward/);
    assert.equal(r.value.size, cut.split('\n').length);
  });
});
