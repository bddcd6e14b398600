// Parser for `ipvsadm -L -n` (the listing people paste): ipvsadm.c print_service_entry() in its
// default format, after the two header lines of list_all()/list_service():
//   IP Virtual Server version 1.2.1 (size=4096)          (only without -t/-u/-f)
//   Prot LocalAddress:Port Scheduler Flags
//     -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
//   TCP  10.96.0.10:53 rr persistent 10800               ("%s  %s %s", then the flags)
//     -> 10.244.1.5:53                Masq    1      0          0
//   FWM  100 rr
// Flags: "persistent %u" [" mask %s"], " pe %s", " ops", scheduler flags in brackets.
// Forward (fwd_name()): Masq, Local, Tunnel, Route. Only the default columns are read: the
// --stats/--rate/--thresholds/--persistent-conn listings have others, and are refused.
import type { IpvsRealServer, IpvsService, Parsed } from '../types.ts';
import { parseEndpoint } from './ipvsadm.ts';
import { forEachLine } from './lines.ts';
import { clip, excerpt, Warnings } from './warnings.ts';

const PROTOCOLS: ReadonlyMap<string, IpvsService['protocol']> = new Map<string, IpvsService['protocol']>([
  ['TCP', 'tcp'],
  ['UDP', 'udp'],
  ['SCTP', 'sctp'],
  ['FWM', 'fwmark'],
]);

// "Local" is a real server on this host (IP_VS_CONN_F_LOCALNODE): the packet is delivered, not sent.
const FORWARD: ReadonlyMap<string, IpvsRealServer['method'] | 'local'> = new Map<
  string,
  IpvsRealServer['method'] | 'local'
>([
  ['Masq', 'masq'],
  ['Route', 'gate'],
  ['Tunnel', 'ipip'],
  ['Local', 'local'],
]);

const DEFAULT_COLUMNS = /^\s*->\s+RemoteAddress:Port\s+Forward\s+Weight\s+ActiveConn\s+InActConn\s*$/;

/** True when `text` is an `ipvsadm -L` listing rather than `ipvsadm -S` rules. */
export function looksLikeIpvsadmList(text: string): boolean {
  return /^(IP Virtual Server version |Prot LocalAddress:Port )/m.test(text);
}

/** Parses `ipvsadm -L -n`. Never throws; unreadable lines become warnings. */
export function parseIpvsadmList(text: string): Parsed<IpvsService[]> {
  const warnings = new Warnings();
  const services: IpvsService[] = [];
  let current: IpvsService | undefined;
  let columns = false;
  forEachLine(text, (line, lineNo) => {
    const warn = (msg: string): void => warnings.atLine(lineNo, msg);
    const t = line.trim();
    if (t === '' || t.startsWith('IP Virtual Server version ') || t.startsWith('Prot LocalAddress:Port')) return;
    if (t.startsWith('->') && t.includes('RemoteAddress:Port')) {
      columns = DEFAULT_COLUMNS.test(line);
      if (!columns) warn(`not the default columns of ipvsadm -L (Forward Weight ActiveConn InActConn): ${excerpt(t)}`);
      return;
    }
    if (t.startsWith('->')) {
      if (current === undefined) return warn(`real server before any service: ${excerpt(t)}`);
      if (!columns) return;
      const [, ep, fwd, weight] = t.split(/\s+/, 5);
      const server = ep === undefined ? undefined : parseEndpoint(ep);
      const method = fwd === undefined ? undefined : FORWARD.get(fwd);
      if (server === undefined || method === undefined || weight === undefined || !/^\d+$/.test(weight))
        return warn(`unreadable real server line ${excerpt(t)}`);
      if (method === 'local') return warn(`real server ${clip(ep!)} forwards "Local" (this host), not modelled`);
      current.realServers.push({ address: server.address, port: server.port, method, weight: Number(weight), raw: t });
      return;
    }
    const w = t.split(/\s+/, 32);
    const protocol = PROTOCOLS.get(w[0] ?? '');
    if (protocol === undefined || w[1] === undefined || w[2] === undefined) {
      current = undefined;
      return warn(`not an ipvsadm -L line: ${excerpt(t)}`);
    }
    let address: string;
    let port: number;
    if (protocol === 'fwmark') {
      if (!/^\d+$/.test(w[1])) {
        current = undefined;
        return warn(`bad fwmark ${excerpt(w[1])}`);
      }
      address = String(Number(w[1]));
      port = 0;
    } else {
      const ep = parseEndpoint(w[1]);
      if (ep === undefined) {
        current = undefined;
        return warn(`bad service address ${excerpt(w[1])}`);
      }
      address = ep.address;
      port = ep.port;
    }
    current = { protocol, address, port, scheduler: w[2], persistent: false, realServers: [], raw: t };
    const p = w.indexOf('persistent', 3);
    if (p !== -1) {
      const timeout = w[p + 1];
      current.persistent = true;
      if (timeout !== undefined && /^\d+$/.test(timeout)) current.persistenceTimeout = Number(timeout);
      else warn(`"persistent" without a timeout: ${excerpt(t)}`);
    }
    services.push(current);
  });
  return { value: services, warnings: warnings.done() };
}
