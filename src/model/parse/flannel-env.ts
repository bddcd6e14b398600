// Parses /run/flannel/subnet.env (section "file:/run/flannel/subnet.env"), which flanneld writes
// as KEY=VALUE lines (pkg/subnet WriteSubnetFile):
//   FLANNEL_NETWORK=10.244.0.0/16   the cluster network
//   FLANNEL_SUBNET=10.244.1.1/24    this node's lease, as the first address (cni0's) and length
//   FLANNEL_IPV6_NETWORK / FLANNEL_IPV6_SUBNET when dual-stack
//   FLANNEL_MTU=1450                FLANNEL_IPMASQ=true|false (Go's %v of a bool)
// Every variable is kept in `vars`; the file is sourced by shell scripts too, so quotes and
// `export ` are tolerated.
import type { FlannelSubnetEnv, Parsed } from '../types.ts';
import { familyOfPrefix } from './ip-text.ts';
import { Warnings, quote } from './warnings.ts';

const SECTION = 'subnet.env';
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

function unquote(v: string): string {
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) return v.slice(1, -1);
  return v;
}

/** A variable that must be "address/len"; anything else is reported and left out of the typed value. */
function cidrVar(vars: Record<string, string>, name: string, w: Warnings): string | undefined {
  const v = vars[name];
  if (v === undefined) return undefined;
  if (v.includes('/') && familyOfPrefix(v) !== undefined && /\/\d{1,3}$/.test(v)) return v;
  w.add(`${SECTION}: ${name} ${quote(v)} is not an address/length`);
  return undefined;
}

export function parseFlannelSubnetEnv(text: string): Parsed<FlannelSubnetEnv> {
  const w = new Warnings();
  const vars: Record<string, string> = {};
  text.split('\n').forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const body = line.startsWith('export ') ? line.slice(7).trimStart() : line;
    const eq = body.indexOf('=');
    const name = eq < 0 ? '' : body.slice(0, eq);
    if (!NAME.test(name)) {
      w.add(`${SECTION} line ${i + 1}: not a NAME=value line: ${quote(line)}`);
      return;
    }
    vars[name] = unquote(body.slice(eq + 1).trim());
  });

  // flanneld ends every line with \n; a last line without one was cut short, value and all.
  if (text !== '' && !text.endsWith('\n'))
    w.add(`${SECTION}: the last line has no line end; the file may be cut short`);

  const env: FlannelSubnetEnv = { raw: text, vars };
  const network = cidrVar(vars, 'FLANNEL_NETWORK', w);
  const subnet = cidrVar(vars, 'FLANNEL_SUBNET', w);
  if (network !== undefined) env.network = network;
  if (subnet !== undefined) env.subnet = subnet;
  const mtu = vars['FLANNEL_MTU'];
  if (mtu !== undefined) {
    if (/^\d{1,6}$/.test(mtu)) env.mtu = Number(mtu);
    else w.add(`${SECTION}: FLANNEL_MTU ${quote(mtu)} is not a number`);
  }
  const ipMasq = vars['FLANNEL_IPMASQ'];
  if (ipMasq !== undefined) {
    if (ipMasq === 'true' || ipMasq === 'false') env.ipMasq = ipMasq === 'true';
    else w.add(`${SECTION}: FLANNEL_IPMASQ ${quote(ipMasq)} is neither true nor false`);
  }
  if (vars['FLANNEL_SUBNET'] === undefined && vars['FLANNEL_IPV6_SUBNET'] === undefined) {
    w.add(`${SECTION}: no FLANNEL_SUBNET: flanneld has not written its lease`);
  }
  return { value: env, warnings: w.done() };
}
