// parseCniConfig and parseFlannelSubnetEnv on the files listed in test/fixtures/SOURCES.md.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCniConfig } from '../../../src/model/parse/cni.ts';
import { parseFlannelSubnetEnv } from '../../../src/model/parse/flannel-env.ts';
import { fixture } from '../../helpers/fixtures.ts';

function cni(name: string, path = `/etc/cni/net.d/${name}`) {
  return parseCniConfig(path, fixture(`cni/${name}`));
}

describe('parseCniConfig', () => {
  it("flannel's 10-flannel.conflist: the subnet is not in the file", () => {
    const r = cni('10-flannel.conflist');
    assert.deepEqual(r.warnings, []);
    assert.equal(r.value.path, '/etc/cni/net.d/10-flannel.conflist');
    assert.equal(r.value.name, 'cbr0');
    assert.equal(r.value.cniVersion, '0.3.1');
    assert.deepEqual(
      r.value.plugins.map((p) => [p.type, p.ipamType, p.ipamSubnets]),
      [
        ['flannel', undefined, []],
        ['portmap', undefined, []],
      ],
    );
    assert.deepEqual(r.value.plugins[0]?.config['delegate'], { hairpinMode: true, isDefaultGateway: true });
    assert.equal(r.value.raw, fixture('cni/10-flannel.conflist'));
  });

  it("Canal's 10-canal.conflist from the manifest: host-local with usePodCidr", () => {
    const r = cni('10-canal.conflist');
    assert.deepEqual(r.warnings, []);
    assert.equal(r.value.name, 'k8s-pod-network');
    const [calico, portmap] = r.value.plugins;
    assert.equal(calico?.type, 'calico');
    assert.equal(calico?.ipamType, 'host-local');
    assert.deepEqual(calico?.ipamSubnets, ['usePodCidr']);
    assert.equal(calico?.config['nodename'], 'node-a');
    assert.equal(calico?.config['mtu'], 0);
    assert.equal(portmap?.type, 'portmap');
  });

  it('the real 10-canal.conflist of incident 004: a concrete subnet', () => {
    const r = cni('10-canal.conflist', '/etc/cni/net.d/10-canal.conflist');
    const cdk = parseCniConfig('/etc/cni/net.d/10-canal.conflist', fixture('cni/10-canal-cdk.conflist'));
    assert.deepEqual(cdk.warnings, []);
    assert.equal(cdk.value.name, 'cdk-canal');
    assert.equal(cdk.value.cniVersion, '0.3.0');
    assert.deepEqual(cdk.value.plugins[0]?.ipamSubnets, ['10.1.94.1/24']);
    assert.notDeepEqual(cdk.value.plugins[0]?.ipamSubnets, r.value.plugins[0]?.ipamSubnets);
  });

  it("Calico's 10-calico.conflist: calico-ipam, no subnet in the file", () => {
    const r = cni('10-calico.conflist');
    assert.deepEqual(r.warnings, []);
    assert.equal(r.value.plugins[0]?.ipamType, 'calico-ipam');
    assert.deepEqual(r.value.plugins[0]?.ipamSubnets, []);
  });

  it("Cilium's 05-cilium.conflist", () => {
    const r = cni('05-cilium.conflist');
    assert.deepEqual(r.warnings, []);
    assert.equal(r.value.name, 'cilium');
    assert.deepEqual(
      r.value.plugins.map((p) => p.type),
      ['cilium-cni'],
    );
    assert.equal(r.value.plugins[0]?.config['log-file'], '/var/run/cilium/cilium-cni.log');
    assert.equal(r.value.plugins[0]?.ipamType, undefined);
  });

  it('single-plugin .conf: calico-ipam pools, IPv4 and IPv6, CIDRs and names', () => {
    const r = cni('10-calico-pools.conf');
    assert.deepEqual(r.warnings, []);
    assert.equal(r.value.name, 'any_name');
    assert.equal(r.value.plugins.length, 1);
    assert.equal(r.value.plugins[0]?.type, 'calico');
    assert.deepEqual(r.value.plugins[0]?.ipamSubnets, [
      '10.0.0.0/24',
      '20.0.0.0/16',
      'default-ipv4-ippool',
      '2001:db8::1/120',
      'default-ipv6-ippool',
    ]);
  });

  it('host-local ranges[][] are flattened', () => {
    const r = cni('10-calico-host-local.conf');
    assert.deepEqual(r.warnings, []);
    assert.equal(r.value.plugins[0]?.ipamType, 'host-local');
    assert.deepEqual(r.value.plugins[0]?.ipamSubnets, ['usePodCidr', 'usePodCidrIPv6']);
  });

  it('a .conflist that holds a single plugin is read, with a warning', () => {
    const r = parseCniConfig('/etc/cni/net.d/10-x.conflist', fixture('cni/10-calico-pools.conf'));
    assert.equal(r.value.plugins.length, 1);
    assert.deepEqual(r.warnings, ['/etc/cni/net.d/10-x.conflist: a .conflist without "plugins"']);
  });

  it('a file cut short: a warning, no plugins, the text kept', () => {
    const text = fixture('cni/10-canal-cdk.conflist').slice(0, 200);
    const r = parseCniConfig('/etc/cni/net.d/10-canal.conflist', text);
    assert.equal(r.value.plugins.length, 0);
    assert.equal(r.value.raw, text);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0] ?? '', /not valid JSON/);
  });
});

describe('parseFlannelSubnetEnv', () => {
  it('the real subnet.env of incident 004', () => {
    const r = parseFlannelSubnetEnv(fixture('flannel/subnet.env'));
    assert.deepEqual(r.warnings, []);
    assert.equal(r.value.network, '10.1.0.0/16');
    assert.equal(r.value.subnet, '10.1.94.1/24');
    assert.equal(r.value.mtu, 8908);
    assert.equal(r.value.ipMasq, true);
    assert.deepEqual(Object.keys(r.value.vars), ['FLANNEL_NETWORK', 'FLANNEL_SUBNET', 'FLANNEL_MTU', 'FLANNEL_IPMASQ']);
    assert.equal(r.value.raw, fixture('flannel/subnet.env'));
  });

  it('a file cut mid-line keeps what it read and says what is cut', () => {
    const whole = fixture('flannel/subnet.env');
    const r = parseFlannelSubnetEnv(whole.slice(0, whole.indexOf('94.1/24') + 3)); // "...SUBNET=10.1.94."
    assert.equal(r.value.network, '10.1.0.0/16');
    assert.equal(r.value.subnet, undefined);
    assert.equal(r.value.vars['FLANNEL_SUBNET'], '10.1.94.');
    assert.equal(r.value.mtu, undefined);
    assert.deepEqual(r.warnings, [
      'subnet.env: the last line has no line end; the file may be cut short',
      'subnet.env: FLANNEL_SUBNET "10.1.94." is not an address/length',
    ]);
  });
});
