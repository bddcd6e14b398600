// Each incident is found in its example snapshot (captured from the lab, examples/README.md) with
// the right finding ID, node and evidence; the healthy snapshot of the same topology reports nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analysisContext } from '../../../src/checks/context.ts';
import type { Finding } from '../../../src/checks/finding.ts';
import { doctor } from '../../../src/checks/queries/doctor.ts';
import { externalIpQuery } from '../../../src/checks/queries/externalip.ts';
import { buildModel } from '../../../src/model/model.ts';
import type { ReportDoc } from '../../../src/report/document.ts';
import { exitStatus } from '../../../src/report/verdict.ts';
import { readSnapshot } from '../../../src/snapshot/io.ts';
import type { AnalysisContext } from '../../../src/checks/context.ts';
import { lanRun, podToPodRun, traceRun } from '../../helpers/queries.ts';
import { podToPod } from '../../../src/checks/queries/pod-to-pod.ts';
import { lanQuery } from '../../../src/checks/queries/lan.ts';

interface Expect {
  id: string;
  node?: string;
  /** Every pattern must match some evidence line. */
  evidence?: RegExp[];
}

interface Case {
  name: string;
  run: (ctx: AnalysisContext) => ReportDoc;
  verdict: ReportDoc['verdict'];
  /** The findings of severity warning or worse, exactly (info findings are answers, not problems). */
  problems: Expect[];
}

const lan = lanRun;
const p2p = (source: string, destination: string, port: number) => podToPodRun(source, destination, port);
const doc = (ctx: AnalysisContext) => doctor(ctx);
const audit = (ctx: AnalysisContext) => externalIpQuery(ctx, { namespace: 'default', allNamespaces: true });

/** A healthy installer's example: doctor, the externalIP audit and every ordered pod pair report nothing. */
function healthyInstall(pods: readonly string[]): Case[] {
  const pairs = pods.flatMap((a) => pods.filter((b) => b !== a).map((b) => [a, b] as const));
  return [
    { name: 'doctor', run: doc, verdict: 'healthy', problems: [] },
    { name: 'externalIP audit', run: audit, verdict: 'healthy', problems: [] },
    ...pairs.map(([a, b]): Case => ({ name: `${a} → ${b}`, run: p2p(a, b, 8080), verdict: 'reachable', problems: [] })),
  ];
}

/** client-0 → web-1 over VXLAN, sized by each case (--size, --no-df). */
const BIG = {
  source: 'default/client-0',
  destination: 'default/web-1',
  namespace: 'default',
  protocol: 'udp',
  port: 8080,
} as const;

const THREE_PODS = ['default/client-0', 'default/web-1', 'default/web-0'];
const CILIUM_PODS = ['default/orders-0', 'default/billing-0'];

const EXAMPLES: Record<string, Case[]> = {
  'kubeadm-calico-vxlan': healthyInstall(THREE_PODS),
  'kubeadm-calico-ipip': healthyInstall(THREE_PODS),
  'kubeadm-flannel': healthyInstall(THREE_PODS),
  'k3s-flannel': healthyInstall(THREE_PODS),
  'canal-healthy': healthyInstall(['kube-system/coredns-5dd5756b68-7xq2k', 'default/api-1', 'default/api-0']),
  'cilium-kubernetes': healthyInstall(CILIUM_PODS),
  'cilium-cluster-pool': healthyInstall(CILIUM_PODS),
  // default/client-from-web admits the web pods to client-0 on UDP only: TCP is refused on node-a.
  'kubeadm-kube-router': healthyInstall(THREE_PODS).map((c) =>
    /^default\/web-\d → default\/client-0$/.test(c.name)
      ? {
          ...c,
          verdict: 'unreachable',
          problems: [
            {
              id: 'netfilter-reject',
              node: 'node-a',
              evidence: [/"default\/client-from-web policy" -j KUBE-NWPLCY-/, /"default\/client-0 reject"/],
            },
          ],
        }
      : c,
  ),
  'nodeport-cluster-policy': healthyInstall(THREE_PODS),
  'nodeport-local-no-endpoint': [
    {
      name: 'doctor',
      run: doc,
      verdict: 'problems',
      problems: [
        {
          id: 'service-no-local-endpoint',
          node: 'node-a',
          evidence: [
            /^Service default\/web: type NodePort, externalTrafficPolicy Local/,
            /^EndpointSlice default\/web-\w+: 10\.65\.0\.130 ready on node-c$/,
            /"default\/web:http has no local endpoints" .* --dport 30080 -j DROP$/,
          ],
        },
      ],
    },
    {
      name: 'client-0 → web-0 (pod traffic is not affected)',
      run: p2p('default/client-0', 'default/web-0', 8080),
      verdict: 'reachable',
      problems: [],
    },
  ],
  healthy: [
    { name: 'doctor', run: doc, verdict: 'healthy', problems: [] },
    {
      name: 'LAN → web-0 via node-a',
      run: lan('192.168.1.50', 'default/web-0', 8080, 'node-a'),
      verdict: 'reachable',
      problems: [],
    },
    {
      name: 'client-0 → web-1',
      run: p2p('default/client-0', 'default/web-1', 8080),
      verdict: 'reachable',
      problems: [],
    },
    {
      name: 'web-0 → client-0',
      run: p2p('default/web-0', 'default/client-0', 8080),
      verdict: 'reachable',
      problems: [],
    },
    {
      name: "client-0 → web-1 at 1451 bytes with DF: client-0's own device (MTU 1450, its veth shows) refuses it",
      run: (ctx) => podToPod(ctx, { ...BIG, size: 1451 }),
      verdict: 'unreachable',
      problems: [{ id: 'mtu-exceeded', node: 'node-a', evidence: [/^\d+: cali56a6d256ab4: mtu 1450 /] }],
    },
    {
      name: 'client-0 → web-1 at 1450 bytes: fits',
      run: (ctx) => podToPod(ctx, { ...BIG, size: 1450 }),
      verdict: 'reachable',
      problems: [],
    },
    {
      name: 'client-0 → web-1 at 1500 bytes without DF: fragmented, delivered',
      run: (ctx) => podToPod(ctx, { ...BIG, size: 1500, df: false }),
      verdict: 'reachable',
      problems: [],
    },
    { name: 'externalIP audit', run: audit, verdict: 'healthy', problems: [] },
  ],
  'rp-filter-tunnel': [
    {
      name: 'doctor',
      run: doc,
      verdict: 'problems',
      problems: [
        {
          id: 'rp-filter-strict-tunnel',
          node: 'node-c',
          evidence: [
            /^net\.ipv4\.conf\.vxlan\/calico\.rp_filter = 1$/,
            /^reverse route for 192\.168\.1\.\d+: 192\.168\.1\.0\/24 dev eth0/,
          ],
        },
      ],
    },
    {
      name: 'LAN → web-0 via node-a',
      run: lan('192.168.1.50', 'default/web-0', 8080, 'node-a'),
      verdict: 'partial',
      problems: [
        {
          id: 'rp-filter-drop',
          node: 'node-c',
          evidence: [
            /^net\.ipv4\.conf\.vxlan\/calico\.rp_filter = 1$/,
            /reverse route to 192\.168\.1\.50 is "192\.168\.1\.0\/24 dev eth0/,
          ],
        },
        { id: 'rp-filter-strict-tunnel', node: 'node-c' },
      ],
    },
    {
      name: 'LAN → client-0 (on the entry node)',
      run: lan('192.168.1.50', 'default/client-0', 8080, 'node-a'),
      verdict: 'reachable',
      problems: [],
    },
    {
      name: 'client-0 → web-0 (pods still reach it)',
      run: p2p('default/client-0', 'default/web-0', 8080),
      verdict: 'reachable',
      problems: [],
    },
  ],
  'tunnel-next-hop': [
    {
      name: 'doctor',
      run: doc,
      verdict: 'problems',
      problems: [
        {
          id: 'tunnel-next-hop-wrong',
          node: 'node-c',
          evidence: [
            /^10\.65\.0\.0\/26 via 10\.65\.0\.130 dev vxlan\.calico/,
            /BlockAffinity node-a: cidr 10\.65\.0\.0\/26/,
          ],
        },
      ],
    },
    {
      name: 'web-0 (node-c) → client-0 (node-a): lost on node-c',
      run: p2p('default/web-0', 'default/client-0', 8080),
      verdict: 'unreachable',
      problems: [
        { id: 'no-neighbor', node: 'node-c', evidence: [/via 10\.65\.0\.130 dev vxlan\.calico/] },
        { id: 'tunnel-next-hop-wrong', node: 'node-c' },
      ],
    },
    {
      name: 'web-1 (node-b) → web-0 (node-c): works',
      run: p2p('default/web-1', 'default/web-0', 8080),
      verdict: 'reachable',
      problems: [],
    },
  ],
  'tunnel-outer-source': [
    {
      name: 'doctor',
      run: doc,
      verdict: 'problems',
      problems: [
        {
          id: 'tunnel-source-mismatch',
          node: 'node-b',
          evidence: [
            /^outer source: src of the route "192\.168\.1\.0\/24 dev eth0/,
            /annotation projectcalico\.org\/IPv4Address=192\.168\.3\.12/,
            /ipset cali40all-vxlan-net/,
          ],
        },
        { id: 'tunnel-source-mismatch', node: 'node-b' },
      ],
    },
    {
      name: "web-1 (node-b) → web-0 (node-c): dropped by node-c's allow-list",
      run: p2p('default/web-1', 'default/web-0', 8080),
      verdict: 'unreachable',
      problems: [
        { id: 'netfilter-drop', node: 'node-c', evidence: [/Drop IPv4 VXLAN packets from non-allowed hosts/] },
        { id: 'tunnel-source-mismatch', node: 'node-b' },
        { id: 'tunnel-source-mismatch', node: 'node-b' },
      ],
    },
    {
      name: 'client-0 (node-a) → web-0 (node-c): works',
      run: p2p('default/client-0', 'default/web-0', 8080),
      verdict: 'reachable',
      problems: [],
    },
  ],
  'externalip-node-address': [
    {
      name: 'doctor',
      run: doc,
      verdict: 'problems',
      problems: [
        {
          id: 'externalip-node-address',
          node: 'node-a',
          evidence: [
            /Service default\/web: spec\.externalIPs: \["192\.168\.1\.11"\]/,
            /kube-proxy mode: ipvs/,
            /nodes carrying 192\.168\.1\.11 on kube-ipvs0: .*node-b/,
          ],
        },
        { id: 'externalip-control-plane', node: 'node-a', evidence: [/API server endpoint 192\.168\.1\.11/] },
      ],
    },
    {
      name: 'externalIP audit',
      run: audit,
      verdict: 'problems',
      problems: [
        { id: 'externalip-node-address', node: 'node-a' },
        { id: 'externalip-control-plane', node: 'node-a' },
      ],
    },
    {
      // IPVS itself is not in the lab kernel: this is the engine's reading of the recorded virtual
      // server. node-a's VXLAN packets to the backends' nodes come from 192.168.1.11, which node-b
      // and node-c hold on kube-ipvs0: a martian source there.
      name: "externalIP from the LAN host: the backends' nodes drop node-a's tunnel packets as martian",
      run: (ctx) => externalIpQuery(ctx, { namespace: 'default', allNamespaces: true, from: '192.168.1.50' }),
      verdict: 'unreachable',
      problems: [
        { id: 'externalip-node-address', node: 'node-a' },
        { id: 'externalip-control-plane', node: 'node-a' },
        { id: 'martian-source', node: 'node-b', evidence: [/^node-b: inet 192\.168\.1\.11\/32 .*kube-ipvs0/] },
        { id: 'martian-source', node: 'node-c' },
      ],
    },
  ],
  'pod-egress-masquerade': [
    {
      // The deprecated keys agree with the ones the running release reads (masquerade and
      // enable-ipv4-masquerade both "true", both native-routing CIDRs 10.0.0.0/16): nothing is
      // ignored that would mean something else, so doctor has nothing to warn about (issue #10.5).
      name: 'doctor: the deprecated keys agree with the current ones',
      run: doc,
      verdict: 'healthy',
      problems: [],
    },
    {
      name: 'orders-0 → MySQL: seen as node-c, by which rule and key',
      run: lan('192.168.1.50', 'default/orders-0', 3306),
      verdict: 'reachable',
      problems: [
        {
          id: 'pod-egress-masquerade',
          node: 'node-c',
          evidence: [
            /-A CILIUM_POST_nat -s 10\.0\.3\.0\/24 ! -d 10\.0\.0\.0\/16 ! -o cilium_\+ .*-j MASQUERADE/,
            /cilium-config: enable-ipv4-masquerade: "true"/,
            /masquerade: "true" \(deprecated/,
          ],
        },
      ],
    },
    {
      name: 'orders-0 → billing-0 keeps the pod address',
      run: p2p('default/orders-0', 'default/billing-0', 8080),
      verdict: 'reachable',
      problems: [],
    },
  ],
  'node-no-default-route': [
    {
      name: 'doctor: node-c routes nothing for the ClusterIPs',
      run: doc,
      verdict: 'problems',
      problems: [
        { id: 'node-no-service-route', node: 'node-c', evidence: [/Service default\/client: clusterIP 10\.96\.33\.3/] },
      ],
    },
    {
      name: 'node-c → Service client: no route before DNAT, said as such',
      run: traceRun('node/node-c', 'svc/client'),
      verdict: 'unreachable',
      problems: [
        { id: 'no-route', node: 'node-c', evidence: [/no route in table main/, /clusterIP 10\.96\.33\.3/] },
        { id: 'node-no-service-route', node: 'node-c' },
      ],
    },
    {
      name: 'node-c → client-0 works',
      run: traceRun('node/node-c', 'default/client-0', 8080),
      verdict: 'reachable',
      problems: [],
    },
    {
      name: 'node-a → Service client works',
      run: traceRun('node/node-a', 'svc/client'),
      verdict: 'reachable',
      problems: [],
    },
  ],
  'host-netmask-swallows-services': [
    {
      name: "doctor: eth1's /8 covers the ClusterIPs on node-b",
      run: doc,
      verdict: 'problems',
      problems: [
        { id: 'ippool-overlap' },
        {
          id: 'host-route-covers-cluster-range',
          node: 'node-b',
          evidence: [/^10\.0\.0\.0\/8 dev eth1 proto kernel scope link src 10\.10\.0\.12$/],
        },
      ],
    },
    {
      // The answer to 10.10.0.12 leaves node-a for the LAN router, which is not probed: unknown,
      // with the node finding that explains it.
      name: 'node-b → Service client: leaves with 10.10.0.12 and the answer is lost beyond node-a',
      run: traceRun('node/node-b', 'svc/client'),
      verdict: 'unknown',
      problems: [
        { id: 'path-unknown', node: 'node-a' },
        { id: 'host-route-covers-cluster-range', node: 'node-b' },
      ],
    },
    {
      name: 'web-1 on node-b → Service client works',
      run: traceRun('default/web-1', 'svc/client'),
      verdict: 'reachable',
      problems: [],
    },
  ],
  'networkpolicy-allow': [
    { name: 'doctor', run: doc, verdict: 'healthy', problems: [] },
    {
      name: 'client-0 → web-0: admitted by the policy, in the objects and the datapath',
      run: traceRun('default/client-0', 'default/web-0', 8080, 'udp'),
      verdict: 'reachable',
      problems: [],
    },
    {
      name: 'client-0 → Service web: every endpoint admitted',
      run: traceRun('default/client-0', 'svc/web'),
      verdict: 'unreachable',
      // The Service is TCP and the policy admits UDP only: felix drops both branches, and the
      // objects say the same for both backends.
      problems: [
        { id: 'netfilter-drop', node: 'node-b', evidence: [/Policy default\/knp\.default\.web-from-client ingress/] },
        { id: 'netfilter-drop', node: 'node-c', evidence: [/Policy default\/knp\.default\.web-from-client ingress/] },
        { id: 'networkpolicy-denies', node: 'node-b', evidence: [/its ports do not include tcp\/8080/] },
        { id: 'networkpolicy-denies', node: 'node-c', evidence: [/its ports do not include tcp\/8080/] },
      ],
    },
  ],
  'networkpolicy-deny': [
    { name: 'doctor', run: doc, verdict: 'healthy', problems: [] },
    {
      name: 'client-0 → web-0: felix drops it, named after the policy; the objects deny it too',
      run: traceRun('default/client-0', 'default/web-0', 8080, 'udp'),
      verdict: 'unreachable',
      problems: [
        {
          id: 'netfilter-drop',
          node: 'node-c',
          evidence: [
            /End of tier default\. Drop if no policies passed packet/,
            /^cali-pi-_\S+: .*"Policy default\/knp\.default\.web-from-frontend ingress"/,
          ],
        },
        {
          id: 'networkpolicy-denies',
          node: 'node-c',
          evidence: [/spec\.ingress\[0\] \{ from: \[ \{ podSelector: \{ matchLabels: \{ app: frontend \} \} \} \]/],
        },
      ],
    },
    {
      name: 'web-0 → client-0 works (client-0 is isolated by nothing)',
      run: traceRun('default/web-0', 'default/client-0', 8080, 'udp'),
      verdict: 'reachable',
      problems: [],
    },
  ],
  'canal-subnet-mismatch': [
    {
      name: 'doctor',
      run: doc,
      verdict: 'problems',
      problems: [
        {
          id: 'pod-subnet-mismatch',
          node: 'node-c',
          evidence: [
            /differs: node-c: \/etc\/cni\/net\.d\/10-canal\.conflist calico ipam subnet 10\.1\.9\.1\/24/,
            /agrees: node-c: \/run\/flannel\/subnet\.env FLANNEL_SUBNET=10\.1\.3\.1\/24/,
            /differs: node-c: Pod default\/api-0: podIP 10\.1\.9\.5/,
          ],
        },
      ],
    },
    {
      name: 'api-0 → CoreDNS: the answer is lost beyond the nodes; the node finding explains it',
      run: (ctx) =>
        podToPod(ctx, {
          source: 'default/api-0',
          destination: 'kube-system/coredns-5dd5756b68-7xq2k',
          namespace: 'default',
          protocol: 'udp',
          port: 53,
        }),
      verdict: 'unknown',
      problems: [
        { id: 'path-unknown', node: 'node-a' },
        { id: 'pod-subnet-mismatch', node: 'node-c' },
      ],
    },
    {
      name: 'api-1 → CoreDNS works',
      run: (ctx) =>
        podToPod(ctx, {
          source: 'default/api-1',
          destination: 'kube-system/coredns-5dd5756b68-7xq2k',
          namespace: 'default',
          protocol: 'udp',
          port: 53,
        }),
      verdict: 'reachable',
      problems: [],
    },
  ],
  'iptables-split-backends': [
    {
      name: 'doctor',
      run: doc,
      verdict: 'problems',
      problems: ['node-a', 'node-b', 'node-c'].map((node) => ({
        id: 'iptables-split-backends',
        node,
        evidence: [/^iptables-nft-save: Calico/, /^iptables-legacy-save: kube-proxy/, /KUBE-FORWARD/],
      })),
    },
    {
      name: 'web-1 → client-0: both backends walked, it works',
      run: p2p('default/web-1', 'default/client-0', 8080),
      verdict: 'reachable',
      problems: [],
    },
  ],
  'egress-no-way-back': [
    {
      name: 'web-0 → LAN host without --via: the way back is an assumption, said as a finding',
      run: lan('192.168.1.50', 'default/web-0', 8080),
      verdict: 'partial',
      problems: [
        {
          id: 'egress-no-return-route',
          node: 'node-c',
          evidence: [
            /^seen by 192\.168\.1\.50 as 10\.65\.0\.130:/,
            /^IPPool default-ipv4-ippool \(10\.65\.0\.0\/16\): natOutgoing: false$/,
            /^assumed: the LAN sends 10\.65\.0\.0\/16 to node-c/,
          ],
        },
      ],
    },
    {
      name: 'with --via node-a (the route the LAN needs) the way back is walked: udp works',
      run: (ctx) =>
        lanQuery(ctx, {
          lanHost: '192.168.1.50',
          target: 'default/web-0',
          namespace: 'default',
          protocol: 'udp',
          port: 8080,
          via: 'node-a',
        }),
      verdict: 'reachable',
      problems: [],
    },
    {
      name: 'with --via node-a, tcp: the SYN-ACK reaches node-a without its SYN (asymmetric), KUBE-FORWARD drops it as INVALID',
      run: lan('192.168.1.50', 'default/web-0', 8080, 'node-a'),
      verdict: 'partial',
      problems: [{ id: 'netfilter-drop', node: 'node-a', evidence: [/--ctstate INVALID -j DROP/] }],
    },
    { name: 'doctor', run: doc, verdict: 'healthy', problems: [] },
  ],
  'vtep-mac-mismatch': [
    {
      name: 'doctor',
      run: doc,
      verdict: 'problems',
      problems: [
        {
          id: 'vtep-mac-mismatch',
          node: 'node-a',
          evidence: [
            /^node-a: 10\.65\.0\.128 dev vxlan\.calico lladdr 66:8e:3a:1c:0a:99 PERMANENT$/,
            /^node-c: .*vxlan\.calico.* link\/ether 66:8e:3a:1c:0a:13$/,
          ],
        },
      ],
    },
    {
      name: 'client-0 (node-a) → web-0 (node-c): dropped by node-c as not its MAC',
      run: p2p('default/client-0', 'default/web-0', 8080),
      verdict: 'unreachable',
      problems: [
        { id: 'vtep-mac-mismatch', node: 'node-c', evidence: [/^inner frame: destination MAC 66:8e:3a:1c:0a:99/] },
        { id: 'vtep-mac-mismatch', node: 'node-a' },
      ],
    },
    {
      name: 'web-1 (node-b) → web-0 (node-c): works',
      run: p2p('default/web-1', 'default/web-0', 8080),
      verdict: 'reachable',
      problems: [],
    },
  ],
  'hairpin-mode-on': [
    ...healthyInstall(THREE_PODS),
    {
      name: 'client-0 → its own Service: bridged back through its hairpin port, masqueraded',
      run: traceRun('default/client-0', 'svc/client', 8080, 'udp'),
      verdict: 'reachable',
      problems: [],
    },
  ],
  'hairpin-mode-off': [
    {
      name: "doctor: every node's pod ports without hairpin, br_netfilter on",
      run: doc,
      verdict: 'problems',
      problems: ['node-a', 'node-b', 'node-c'].map((node) => ({
        id: 'hairpin-mode-off',
        node,
        evidence: [/^net\.bridge\.bridge-nf-call-iptables = 1$/, /master cni0 .* bridge_slave hairpin off$/],
      })),
    },
    {
      name: 'client-0 → its own Service: dropped by cni0, its port named',
      run: traceRun('default/client-0', 'svc/client', 8080, 'udp'),
      verdict: 'unreachable',
      problems: [
        { id: 'hairpin-mode-off', node: 'node-a', evidence: [/^\d+: veth\w+: .*master cni0 .* hairpin off$/] },
        // The node check on the failing path says it too.
        { id: 'hairpin-mode-off', node: 'node-a' },
      ],
    },
    {
      name: 'web-1 → Service client: another pod reaches client-0',
      run: traceRun('default/web-1', 'svc/client', 8080, 'udp'),
      verdict: 'reachable',
      problems: [],
    },
  ],
  'pod-mtu-above-tunnel': [
    {
      name: "doctor: every node's pod veths at 1500, vxlan.calico at 1450",
      run: doc,
      verdict: 'problems',
      problems: ['node-a', 'node-b', 'node-c'].map((node) => ({
        id: 'pod-mtu-above-tunnel',
        node,
        evidence: [/^\d+: vxlan\.calico: mtu 1450 /, /^\d+: cali\w+: mtu 1500 /],
      })),
    },
    {
      name: 'a 1500-byte packet with DF: dropped at node-a vxlan.calico',
      run: (ctx) => podToPod(ctx, { ...BIG, size: 1500, df: true }),
      verdict: 'unreachable',
      problems: [
        { id: 'mtu-exceeded', node: 'node-a' },
        { id: 'pod-mtu-above-tunnel', node: 'node-a' },
        { id: 'pod-mtu-above-tunnel', node: 'node-b' },
      ],
    },
  ],
  'conntrack-pressure': [
    {
      name: 'doctor',
      run: doc,
      verdict: 'problems',
      problems: [
        {
          id: 'conntrack-table-full',
          node: 'node-b',
          evidence: [/^net\.netfilter\.nf_conntrack_count = 250000$/, /^net\.netfilter\.nf_conntrack_max = 262144$/],
        },
        {
          id: 'conntrack-insert-failed',
          node: 'node-c',
          evidence: [/^conntrack -S: cpu=1 .*insert_failed=57 drop=57/],
        },
      ],
    },
  ],
};

function problemsOf(d: ReportDoc): Finding[] {
  return d.findings.filter((f) => f.severity !== 'info');
}

for (const [example, cases] of Object.entries(EXAMPLES)) {
  const file = `examples/${example}.json`;
  test(`example ${example}`, async (t) => {
    const ctx = analysisContext(buildModel(await readSnapshot(file)));
    for (const c of cases) {
      await t.test(c.name, () => {
        const d = c.run(ctx);
        // Every word and quoted item of the engine reached the document as text (model/said.ts).
        assert.doesNotMatch(JSON.stringify(d), /\[object Object\]/);
        const got = problemsOf(d);
        const explain = JSON.stringify(
          got.map((f) => ({ id: f.id, node: f.node, summary: f.summary, evidence: f.evidence })),
          null,
          1,
        );
        assert.equal(d.verdict, c.verdict, explain);
        assert.deepEqual(
          got.map((f) => `${f.id}@${f.node ?? ''}`).sort(),
          c.problems.map((e) => `${e.id}@${e.node ?? ''}`).sort(),
          explain,
        );
        for (const e of c.problems) {
          // Each pattern must match a line of some finding with this ID and node (an ID may be reported twice).
          const same = got.filter((x) => x.id === e.id && x.node === e.node);
          for (const re of e.evidence ?? [])
            assert.ok(
              same.some((f) => f.evidence.some((l) => re.test(l))),
              `${e.id}: no evidence line matches ${re}\n${same.map((f) => f.evidence.join('\n')).join('\n--\n')}`,
            );
        }
        assert.equal(
          exitStatus(d),
          c.problems.length === 0 && (c.verdict === 'reachable' || c.verdict === 'healthy') ? 0 : 1,
        );
      });
    }
  });
}
