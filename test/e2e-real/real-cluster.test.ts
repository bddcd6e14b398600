// netcheck's installed entry point against a real Kubernetes v1.20.2 control plane and a real node
// (shared/k8s: kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, etcd, containerd +
// runc, bridge CNI, all on loopback), as a ServiceAccount bound to deploy/rbac.yaml. What the API
// server double cannot show: real RBAC evaluation, real discovery (1.20 serves EndpointSlices only
// as v1beta1, Calico only as CRDs, refuses Calico's BGPConfiguration CRD), real server-side
// validation of the probe manifests, real kubelet exec, real pods, real failures of the server.
// After every case: no probe pod is left, and the netcheck namespace only where said.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { readSnapshot } from '../../src/snapshot/io.ts';
import { REPO_ROOT } from '../apiserver/run-cli.ts';
import { clusterRoleRules } from '../helpers/rbac-grants.ts';
import { errorLines, netcheck, startNetcheck } from './cli.ts';
import {
  clusterDown,
  clusterUp,
  componentPid,
  eventually,
  kubectl,
  kubectlOk,
  leftovers,
  locateSharedK8s,
  lockCluster,
  serviceAccountKubeconfig,
  unlockCluster,
  skipReason,
} from './cluster.ts';
import { calicoHealthy } from '../lab/incidents/base.ts';
import { ipvsAttemptRecord, runKubeProxy, runRealKubeProxy, sameRules } from './kube-proxy.ts';
import { featureRun } from './kube-proxy-features.ts';
import { compareDoubleWithReal } from './compare-double.ts';
import { requestCases } from './double-fidelity.ts';
import { KIND_SOURCES } from '../../src/collect/kube/objects.ts';
import { CALICO_OBJECTS, WORKLOAD, calicoCrds } from './workload.ts';

/** What the --active tests read of a report (-o json). */
interface ActiveReport {
  findings: { id: string; summary: string }[];
  active: {
    elapsedMs: number;
    probes: {
      src: string;
      dst: string;
      state: string;
      why?: string;
      path: { dev: string; state: string; answers?: number }[];
    }[];
  };
}

const shared = locateSharedK8s();
const skip = skipReason(shared) ?? lockCluster();
const SA_NS = 'default';

describe('the real cluster (shared/k8s, Kubernetes 1.20)', { skip: skip ?? false, concurrency: false }, () => {
  let admin = '';
  let dir = '';
  /** ServiceAccount "netcheck", bound to deploy/rbac.yaml's ClusterRole. */
  let sa = '';
  let t0 = 0;
  const file = (name: string) => join(dir, name);

  async function assertNothingLeft(namespace: boolean): Promise<void> {
    // Pods deleted with grace period 0 leave the API at once; a namespace takes its time to go.
    const want = `no probe pod, ${namespace ? 'the netcheck namespace kept' : 'no netcheck namespace'}`;
    await eventually(want, 60_000, async () => {
      const l = await leftovers(admin);
      return l.pods.length === 0 && l.namespace === namespace ? true : undefined;
    });
  }

  async function removeProbeNamespace(): Promise<void> {
    await kubectl(admin, ['delete', 'namespace', 'netcheck', '--ignore-not-found', '--wait=true', '--timeout=60s']);
  }

  before(async () => {
    t0 = Date.now();
    dir = mkdtempSync(join(tmpdir(), 'netcheck-real-'));
    clusterDown(shared.dir!); // a clean start, whatever an earlier run left
    admin = clusterUp(shared.dir!);
    const rbac = readFileSync(join(REPO_ROOT, 'deploy', 'rbac.yaml'), 'utf8').replace(
      /subjects:\n(?: {2}- .*\n?| {4}.*\n?)+/,
      `subjects:\n  - kind: ServiceAccount\n    name: netcheck\n    namespace: ${SA_NS}\n`,
    );
    await kubectlOk(admin, ['apply', '-f', '-'], rbac);
    sa = file('sa.kubeconfig');
    await serviceAccountKubeconfig(admin, SA_NS, 'netcheck', sa);
  });

  after(async () => {
    if (admin !== '') clusterDown(shared.dir!);
    unlockCluster();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`# real-cluster suite: ${((Date.now() - t0) / 1000).toFixed(1)} s wall\n`);
  });

  // Before the workload, whose Services kube-proxy would also write rules for.
  test('the real kube-proxy v1.20.2 in a lab node namespace writes the rules of the recorded fixture', async () => {
    const d = calicoHealthy();
    const run = await runRealKubeProxy(admin, d, d.nodes[0]!);
    assert.equal(run.version, 'Kubernetes v1.20.2');
    // default/kubernetes depends on the API server that answered; everything else is compared.
    const own = (t: string) =>
      t
        .split('\n')
        .filter((l) => !l.includes('default/kubernetes'))
        .join('\n')
        .trimEnd();
    const fixture = readFileSync(
      join(REPO_ROOT, 'test/fixtures/kube-proxy/v1.20.2-iptables-calico-healthy-node-a.txt'),
      'utf8',
    );
    assert.equal(own(run.rules), own(fixture));
  });

  test('the real kube-proxy v1.20.2 writes the feature fixtures; in IPVS mode it falls back to iptables here', async () => {
    const fixture = (name: string) => readFileSync(join(REPO_ROOT, 'test/fixtures/kube-proxy', name), 'utf8');
    const plain = await runKubeProxy(admin, featureRun('iptables'));
    assert.equal(sameRules(plain.rules, fixture('v1.20.2-iptables-features-node-a.txt')), true);
    const npa = await runKubeProxy(admin, featureRun('iptables', ['--nodeport-addresses=192.168.1.0/24']));
    assert.equal(sameRules(npa.rules, fixture('v1.20.2-iptables-features-nodeport-addresses-node-a.txt')), true);
    const ipvs = await runKubeProxy(admin, featureRun('ipvs'));
    assert.equal(sameRules(ipvs.rules, plain.rules), true);
    assert.equal(ipvsAttemptRecord(ipvs), fixture('v1.20.2-ipvs-mode-without-ip_vs.txt'));
  });

  test('the workload: pods Ready on the real node, Calico CRDs served (but BGPConfiguration refused)', async () => {
    await kubectlOk(admin, ['apply', '-f', '-'], WORKLOAD);
    // 1.20 drops the CEL rules (--validate=false) and refuses Calico's bgpconfigurations CRD.
    const crds = await kubectl(admin, ['apply', '--validate=false', '-f', '-'], calicoCrds(shared.dir!));
    assert.match(crds.stderr, /bgpconfigurations\.crd\.projectcalico\.org" is invalid/);
    await eventually('Calico CRDs established', 30_000, async () =>
      (await kubectl(admin, ['get', 'ippools.crd.projectcalico.org'])).code === 0 ? true : undefined,
    );
    await kubectlOk(admin, ['apply', '-f', '-'], CALICO_OBJECTS);
    await kubectlOk(admin, ['wait', '--for=condition=Ready', 'pod/web', 'pod/client', '--timeout=90s']);
  });

  test('the API server double answers every request netcheck makes as the real 1.20 server does', async () => {
    const cases = requestCases('localhost');
    // Every object path the live source reads is among the cases.
    for (const k of KIND_SOURCES)
      for (const p of k.paths)
        assert.ok(
          cases.some((c) => c.path === p.path),
          p.path,
        );
    await serviceAccountKubeconfig(admin, SA_NS, 'fidelity-unbound', file('unbound.kubeconfig'));
    const t = Date.now();
    const r = await compareDoubleWithReal(admin, sa, file('unbound.kubeconfig'), 'localhost');
    process.stderr.write(`# double fidelity: ${r.requests} requests compared in ${Date.now() - t} ms\n`);
    assert.deepEqual(r.differences, []);
    await assertNothingLeft(false);
  });

  test('collect --dry-run: the real API server accepts every manifest (kubectl create --dry-run=server)', async () => {
    const r = await netcheck(sa, ['collect', '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJSON() as { kind?: string } | null);
    const ns = docs.filter((d) => d?.kind === 'Namespace');
    const pods = docs.filter((d) => d?.kind === 'Pod');
    assert.equal(ns.length, 1);
    assert.equal(pods.length, 1);
    // The namespace first (a dry-run namespace does not exist for the pods), then created for
    // real as netcheck itself would, then the pods, all as the ServiceAccount.
    const yaml = (o: unknown) => stringify(o);
    const nsCheck = await kubectl(sa, ['create', '--dry-run=server', '-o', 'name', '-f', '-'], yaml(ns[0]));
    assert.equal(nsCheck.code, 0, nsCheck.stderr);
    await kubectlOk(sa, ['create', '-f', '-'], yaml(ns[0]));
    const podCheck = await kubectl(
      sa,
      ['create', '--dry-run=server', '-o', 'name', '-f', '-'],
      pods.map((p) => `---\n${yaml(p)}`).join(''),
    );
    assert.equal(podCheck.code, 0, podCheck.stderr);
    assert.match(podCheck.stdout, /^pod\/netcheck-dryrun-localhost-/m);
    await assertNothingLeft(true);
  });

  test('collect: the real node probed over WebSocket exec; v1beta1 EndpointSlices and Calico CRDs read', async () => {
    const r = await netcheck(sa, ['collect', '-o', file('snap.json')]);
    assert.equal(r.code, 0, r.stderr);
    const snap = await readSnapshot(file('snap.json'));
    assert.deepEqual(Object.keys(snap.hosts), ['localhost']);
    const host = snap.hosts['localhost']!;
    assert.equal(host.errors['probe'], undefined);
    for (const s of ['ip-addr', 'ip-route', 'ip-rule', 'sysctl'])
      assert.ok((host.sections[s] ?? '') !== '', `section ${s}`);
    assert.match(host.sections['ip-addr'] ?? '', /rk-cni0/);
    const names = (k: keyof typeof snap.objects) =>
      snap.objects[k].map((o) => (o['metadata'] as { name: string }).name).sort();
    assert.deepEqual(names('pods'), ['client', 'web']);
    assert.deepEqual(names('ipPools'), ['default-ipv4-ippool']);
    assert.deepEqual(names('networkPolicies'), ['web-from-client']);
    assert.deepEqual(names('configMaps'), ['kube-proxy']);
    // The web Service's backends (the EndpointSlice controller's v1beta1 slice) with their node,
    // and the hand-written slice of the selector-less Service.
    const web = snap.objects.endpointSlices.find(
      (o) => (o['metadata'] as { labels?: Record<string, string> }).labels?.['kubernetes.io/service-name'] === 'web',
    );
    assert.ok(web, `no EndpointSlice of Service web; warnings: ${snap.warnings?.join(' | ')}`);
    const ep = (web['endpoints'] as { nodeName?: string; addresses: string[] }[])[0]!;
    assert.equal(ep.nodeName, 'localhost');
    assert.ok(names('endpointSlices').includes('lan-db-1'));
    assert.ok(snap.warnings?.some((w) => /^bgpConfigurations: this cluster does not serve/.test(w)));
    await assertNothingLeft(true);
  });

  // The CNI bridge (rk-cni0) holds the gateway of the node's pod range: a pod-side device
  // recognised from the node's state (model/cni/pod-side.ts), so no ippool-overlap.
  test('doctor as the ServiceAccount: HEALTHY, exit 0, no warnings', async () => {
    const r = await netcheck(sa, ['doctor']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /HEALTHY\s+1 node\(s\)/);
    assert.doesNotMatch(r.stdout, /^(WARNING|ERROR|CRITICAL) /m);
    await assertNothingLeft(true);
  });

  test('pod-to-pod between the two real pods: reachable, and the kernel agrees', async () => {
    const r = await netcheck(sa, ['pod-to-pod', 'default/client', 'default/web', '--port', '8080']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /REACHABLE\s+default\/client → default\/web tcp\/8080/);
    const ip = await kubectlOk(admin, ['get', 'pod', 'web', '-o', 'jsonpath={.status.podIP}']);
    // The kernel's answer: an HTTP exchange from the client pod (busybox nc; its wget crashes here).
    const real = await kubectl(admin, [
      'exec',
      'client',
      '--',
      'sh',
      '-c',
      `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} 8080`,
    ]);
    assert.match(real.stdout, /^HTTP\/1\.[01] \d{3}/, `${real.code} ${real.stderr}`);
    await assertNothingLeft(true);
  });

  describe('--active on the one node', () => {
    // The node learns a pod's MAC (and the bridge its port) when the pod talks to it; kubelet's
    // probes do that on a real cluster, these pods have none: each pings its gateway once.
    before(async () => {
      for (const pod of ['client', 'web'])
        await kubectlOk(admin, ['exec', pod, '--', 'ping', '-c', '1', '-W', '2', '10.244.1.1']);
    });
    const pair = ['pod-to-pod', 'default/client', 'default/web', '--port', '8080', '--active'];

    test('doctor --active: nothing to probe between nodes, and said so; exit 0', async () => {
      const r = await netcheck(sa, ['doctor', '--active']);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /Active probes \(0, /);
      assert.match(r.stdout, /not probed: one probed node: no pair of nodes to probe between/);
      await assertNothingLeft(true);
    });

    test('the netshoot stand-in (no python3, no tcpdump): every probe unknown naming both, nothing concluded, exit 1', async () => {
      const r = await netcheck(sa, [...pair, '-o', 'json']);
      assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
      const doc = JSON.parse(r.stdout) as ActiveReport;
      assert.equal(doc.active.probes.length, 3);
      for (const p of doc.active.probes) {
        assert.equal(p.state, 'unknown');
        assert.match(p.why ?? '', /python3 is missing on localhost .*; tcpdump is missing on localhost/);
      }
      // One for the echoes, one for the flow itself (sent from client's namespace): neither was sent.
      assert.deepEqual(
        doc.findings.map((f) => f.id),
        ['active-not-observed', 'active-not-observed'],
      );
      assert.match(doc.findings.map((f) => f.summary).join('\n'), /^3 probe\(s\) not observed: .*python3/m);
      assert.match(doc.findings.map((f) => f.summary).join('\n'), /^the flow .* was not sent: /m);
      await assertNothingLeft(true);
    });

    test('a probe image with python3 and tcpdump: node → pod and pod ↔ pod sent, captured on the real bridge ports, answered', async () => {
      const t = Date.now();
      const image = spawnSync(join(REPO_ROOT, 'test/e2e-real/observe-image.sh'), [shared.dir!], { encoding: 'utf8' });
      assert.equal(image.status, 0, image.stderr);
      process.stderr.write(`# probe image with tcpdump and python3 ready in ${Date.now() - t} ms\n`);
      const r = await netcheck(sa, [...pair, '--image', image.stdout.trim(), '-o', 'json']);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const doc = JSON.parse(r.stdout) as ActiveReport;
      process.stderr.write(`# pod-to-pod --active: ${r.ms} ms, probing ${doc.active.elapsedMs} ms\n`);
      // Each pod's host-side veth, as the kernel pairs them (the pod's eth0 iflink is its ifindex).
      const veth = async (pod: string) => {
        const ifindex = (await kubectlOk(admin, ['exec', pod, '--', 'cat', '/sys/class/net/eth0/iflink'])).trim();
        const line = spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout.split('\n');
        return /^\d+: ([^@:]+)/.exec(line.find((l) => l.startsWith(`${ifindex}: `)) ?? '')?.[1];
      };
      const [client, web] = [await veth('client'), await veth('web')];
      // The pods' addresses are host-local's, in the order the two sandboxes asked: either way round.
      const ip = (pod: string) => kubectlOk(admin, ['get', 'pod', pod, '-o', 'jsonpath={.status.podIP}']);
      const [clientIp, webIp] = [await ip('client'), await ip('web')];
      assert.deepEqual(
        doc.active.probes.map((p) => [p.src, p.dst, p.state, p.path.map((x) => `${x.dev} ${x.state} ${x.answers}`)]),
        [
          ['10.244.1.1', webIp, 'arrived', ['rk-cni0 captured 2', `${web} captured 2`]],
          [clientIp, webIp, 'arrived', [`${client} captured 2`, `${web} captured 2`]],
          [webIp, clientIp, 'arrived', [`${web} captured 2`, `${client} captured 2`]],
        ],
      );
      assert.deepEqual(doc.findings, []);
      await assertNothingLeft(true);
    });
  });

  test('externalip -A: no externalIPs, exit 0', async () => {
    const r = await netcheck(sa, ['externalip', '-A']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    await assertNothingLeft(true);
  });

  test('docs/install.md: every `kubectl auth can-i` line answers yes for the bound ServiceAccount', async () => {
    const lines = readFileSync(join(REPO_ROOT, 'docs', 'install.md'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('kubectl auth can-i '));
    assert.ok(lines.length >= 3);
    for (const line of lines) {
      const args = line
        .replace(/#.*$/, '')
        .replace(/--as \S+/, '')
        .trim()
        .split(/\s+/)
        .slice(1);
      const r = await kubectl(sa, args);
      assert.equal(r.stdout.trim(), 'yes', `${line}: ${r.stdout}${r.stderr}`);
    }
    // The form the docs warn about asks for a pod named "exec".
    assert.equal((await kubectl(sa, ['auth', 'can-i', 'get', 'pods/exec', '-n', 'netcheck'])).stdout.trim(), 'no');
  });

  test('cleanup: removes the netcheck namespace', async () => {
    const r = await netcheck(sa, ['cleanup']);
    assert.equal(r.code, 0, r.stderr);
    await eventually('namespace netcheck gone', 60_000, async () =>
      (await leftovers(admin)).namespace ? undefined : true,
    );
    await assertNothingLeft(false);
  });

  test('a ServiceAccount without RBAC: exit 3 with one sentence naming the verb, no snapshot written', async () => {
    const none = file('none.kubeconfig');
    await serviceAccountKubeconfig(admin, SA_NS, 'nobody', none);
    const d = await netcheck(none, ['doctor']);
    assert.equal(d.code, 3, `${d.stdout}\n${d.stderr}`);
    assert.doesNotMatch(d.stdout, /HEALTHY/);
    assert.deepEqual(errorLines(d.stderr).length, 1, d.stderr);
    assert.match(
      d.stderr,
      /error: cannot collect nodes, which every analysis needs: user "nobody" may not list nodes at cluster scope \(RBAC: .*User "system:serviceaccount:default:nobody" cannot list resource "nodes".*grant "list" on "nodes"/,
    );
    const c = await netcheck(none, ['collect', '-o', file('none.json')]);
    assert.equal(c.code, 3, c.stderr);
    assert.equal(existsSync(file('none.json')), false);
    const e = await netcheck(none, ['externalip', '-A']);
    assert.equal(e.code, 3, e.stderr);
    const p = await netcheck(none, ['pod-to-pod', 'default/client', 'default/web']);
    assert.equal(p.code, 3, p.stderr);
    assert.doesNotMatch(p.stderr, /no namespace/);
    await assertNothingLeft(false);
  });

  describe('deploy/rbac.yaml less one verb at a time', () => {
    const rules = clusterRoleRules();
    const partial = () => file('partial.kubeconfig');
    before(async () => {
      await serviceAccountKubeconfig(admin, SA_NS, 'partial', partial());
      await kubectlOk(admin, [
        'create',
        'clusterrolebinding',
        'netcheck-partial',
        '--clusterrole=netcheck-partial',
        `--serviceaccount=${SA_NS}:partial`,
      ]);
    });
    /** What a run without VERB on RULE's resources says: exit status and the sentence expected. */
    const expectation = (resources: string[], verb: string): { code: number; says?: RegExp; command?: string } => {
      const r = resources.join(',');
      if (verb === 'list' && r.startsWith('nodes'))
        return { code: 3, says: /error: cannot collect nodes.*may not list nodes/ };
      if (verb === 'list' && r === 'endpointslices')
        return {
          code: 0,
          says: /warning: endpointSlices: read from \/api\/v1\/endpoints because .*may not list endpointslices/,
        };
      if (verb === 'list' && r === 'pods') return { code: 3, says: /error: cannot collect pods.*may not list pods/ };
      if (verb === 'create' && r === 'pods')
        return { code: 3, says: /error: user .* may not create pods in namespace "netcheck"/ };
      if (verb === 'delete' && r === 'pods')
        return { code: 3, says: /error: user .* may not delete pods in namespace "netcheck"/ };
      if (verb === 'get' && r === 'pods/exec')
        return { code: 3, says: /may not exec into pods in namespace "netcheck"/ };
      if (verb === 'create' && r === 'namespaces')
        return { code: 3, says: /error: user .* may not create namespaces at cluster scope/ };
      if (verb === 'delete' && r === 'namespaces')
        return { code: 3, command: 'cleanup', says: /error: user .* may not delete namespaces/ };
      if (verb === 'list' && ['networkpolicies', 'ippools', 'ciliumnodes'].some((k) => r.startsWith(k)))
        return { code: 0, says: new RegExp(`warning: \\w+: not collected: .*may not list ${resources[0]}`) };
      // Not needed on this path: exec is authorized as "get" before 1.35; ConfigMaps are listed by
      // name or got; a missing "get" on the namespace falls back to creating it.
      return { code: 0 };
    };
    for (const [i, rule] of rules.entries()) {
      for (const verb of rule.verbs ?? []) {
        const what = `${verb} ${(rule.resources ?? []).join(',')}${rule.resourceNames ? ` (${rule.resourceNames.join(',')})` : ''}`;
        test(`without ${what}`, async () => {
          const less = rules
            .map((r, j) => (j === i ? { ...r, verbs: (r.verbs ?? []).filter((v) => v !== verb) } : r))
            .filter((r) => (r.verbs ?? []).length > 0);
          const role = {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRole',
            metadata: { name: 'netcheck-partial' },
            rules: less,
          };
          await kubectlOk(admin, ['apply', '-f', '-'], JSON.stringify(role));
          const exp = expectation(rule.resources ?? [], verb);
          if (verb === 'create' && rule.resources?.includes('namespaces')) await removeProbeNamespace();
          // cleanup needs the namespace there to delete it: a full collect makes it.
          if (exp.command === 'cleanup') await netcheck(sa, ['collect', '-o', file('before-cleanup.json')]);
          // Listing needs no probe pod: objects only (--nodes ''), which is faster.
          const collect = ['collect', '-o', file('partial.json'), ...(verb === 'list' ? ['--objects-only'] : [])];
          const r = await netcheck(partial(), exp.command === 'cleanup' ? ['cleanup'] : collect);
          assert.equal(r.code, exp.code, r.stderr);
          if (exp.says !== undefined) assert.match(r.stderr, exp.says);
          if (exp.code === 3) assert.equal(errorLines(r.stderr).length, 1, r.stderr);
          const left = await eventually('probe pods gone', 10_000, async () => {
            const l = await leftovers(admin);
            return l.pods.length === 0 ? l : undefined;
          });
          assert.ok(left);
        });
      }
    }
    after(async () => {
      await kubectl(admin, ['delete', 'clusterrolebinding', 'netcheck-partial']);
      await kubectl(admin, ['delete', 'clusterrole', 'netcheck-partial']);
    });
  });

  describe('nodes that cannot run a probe pod', () => {
    const ghost = (name: string) => `apiVersion: v1\nkind: Node\nmetadata: {name: ${name}}\n`;

    test('a NotReady node: named with its reason, the real node still probed, snapshot written, exit 3', async () => {
      await kubectlOk(admin, ['create', '-f', '-'], ghost('ghost-notready'));
      const now = new Date().toISOString();
      const status = {
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'KubeletNotReady',
            message: 'PLEG is not healthy',
            lastHeartbeatTime: now,
            lastTransitionTime: now,
          },
        ],
      };
      const node = JSON.parse(await kubectlOk(admin, ['get', 'node', 'ghost-notready', '-o', 'json'])) as Record<
        string,
        unknown
      >;
      await kubectlOk(
        admin,
        ['replace', '--raw', '/api/v1/nodes/ghost-notready/status', '-f', '-'],
        JSON.stringify({ ...node, status }),
      );
      try {
        const r = await netcheck(sa, ['collect', '-o', file('notready.json'), '--timeout', '30']);
        assert.equal(r.code, 3, r.stderr);
        assert.match(r.stderr, /node ghost-notready is NotReady \(KubeletNotReady: PLEG is not healthy\)/);
        const snap = await readSnapshot(file('notready.json'));
        assert.equal(snap.hosts['localhost']?.errors['probe'], undefined);
        assert.match(snap.hosts['ghost-notready']?.errors['probe'] ?? '', /NotReady/);
        assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
      } finally {
        await kubectl(admin, ['delete', 'node', 'ghost-notready']);
      }
      await assertNothingLeft(true);
    });

    test('a node that never reported: said at once, not after --timeout; objects written when no node could be probed', async () => {
      await kubectlOk(admin, ['create', '-f', '-'], ghost('ghost-never'));
      try {
        const r = await netcheck(sa, ['collect', '-o', file('never.json'), '--timeout', '30']);
        assert.equal(r.code, 3, r.stderr);
        assert.match(r.stderr, /no kubelet has ever reported for node ghost-never/);
        assert.doesNotMatch(r.stderr, /did not start within/);
        assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
        // Only that node: nothing probed, yet the objects are worth a snapshot.
        const only = await netcheck(sa, ['collect', '-o', file('never-only.json'), '--nodes', 'ghost-never']);
        assert.equal(only.code, 3, only.stderr);
        assert.equal(errorLines(only.stderr).length, 1, only.stderr);
        const snap = await readSnapshot(file('never-only.json'));
        assert.deepEqual(Object.keys(snap.hosts), ['ghost-never']);
        assert.match(snap.hosts['ghost-never']?.errors['probe'] ?? '', /no kubelet has ever reported/);
        assert.equal(snap.objects.pods.length, 2);
      } finally {
        await kubectl(admin, ['delete', 'node', 'ghost-never']);
      }
      await assertNothingLeft(true);
    });
  });

  describe('interruptions', () => {
    /** Starts collect and resolves once its probe pod exists. */
    async function collectUntilPod(out: string) {
      const run = startNetcheck(sa, ['collect', '-o', out]);
      const pod = await eventually('a probe pod', 30_000, async () => (await leftovers(admin)).pods[0]);
      return { run, pod };
    }

    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      test(`${signal} while the probe pod runs: exit ${code}, the pod deleted`, async () => {
        const { run } = await collectUntilPod(file(`${signal}.json`));
        run.child.kill(signal);
        const r = await run.done;
        assert.equal(r.code, code, r.stderr);
        assert.match(r.stderr, new RegExp(`interrupted by ${signal}; every probe pod was deleted`));
        await assertNothingLeft(true);
      });
    }

    test('kill -9, then the next run deletes the stale probe pod', async () => {
      const { run, pod } = await collectUntilPod(file('killed.json'));
      run.child.kill('SIGKILL');
      await run.done;
      assert.deepEqual((await leftovers(admin)).pods, [pod]);
      const r = await netcheck(sa, ['collect', '-o', file('after-kill.json')]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /removed 1 probe pod\(s\) left by an earlier netcheck run/);
      await assertNothingLeft(true);
    });

    test('the API server killed mid-collection: exit 3 naming the pod left; cleanup removes it once back', async () => {
      const { run, pod } = await collectUntilPod(file('lost.json'));
      const pid = componentPid('kube-apiserver');
      assert.ok(pid !== undefined);
      process.kill(pid, 'SIGKILL');
      const r = await run.done;
      assert.equal(r.code, 3, r.stderr);
      assert.equal(errorLines(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, /error: (lost the API server|cannot reach the API server)/);
      assert.ok(r.stderr.includes(pod), r.stderr);
      assert.match(r.stderr, /kubectl netcheck cleanup/);
      assert.equal(existsSync(file('lost.json')), false);
      clusterUp(shared.dir!);
      const c = await netcheck(sa, ['cleanup']);
      assert.equal(c.code, 0, c.stderr);
      await assertNothingLeft(false);
    });
  });
});
