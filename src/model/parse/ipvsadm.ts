// Parser for `ipvsadm -S -n` (ipvsadm-save) output. The format is ipvsadm's own FMT_RULE
// printing (ipvsadm.c print_service_entry()):
//   -A -t|-u|--sctp-service ADDR:PORT -s SCHED [-p TIMEOUT [-M NETMASK]] [pe NAME] [ops] [-b FLAGS]
//   -A -f MARK [-6] -s SCHED ...
//   -a <same service> -r ADDR:PORT -m|-g|-i -w WEIGHT [-x UPPER -y LOWER] [--tun-type ...]
// IPv6 addresses are printed in brackets ("[fd00::1]:443"). ipvsadm -R reads the same lines back,
// so the long option names it accepts are recognised too.

import type { IpvsRealServer, IpvsService, Parsed } from '../types.ts';
import { forEachLine } from './lines.ts';
import { clip, excerpt, Warnings } from './warnings.ts';

type Protocol = IpvsService['protocol'];

// Maps, not object literals: a word of the input must never find "constructor" or "toString".
const SERVICE_FLAGS: ReadonlyMap<string, Protocol> = new Map<string, Protocol>([
  ['-t', 'tcp'],
  ['--tcp-service', 'tcp'],
  ['-u', 'udp'],
  ['--udp-service', 'udp'],
  ['--sctp-service', 'sctp'],
  ['-f', 'fwmark'],
  ['--fwmark-service', 'fwmark'],
]);

const METHODS: ReadonlyMap<string, IpvsRealServer['method']> = new Map<string, IpvsRealServer['method']>([
  ['-m', 'masq'],
  ['--masquerading', 'masq'],
  ['-g', 'gate'],
  ['--gatewaying', 'gate'],
  ['-i', 'ipip'],
  ['--ipip', 'ipip'],
]);

/** Options that take one argument and that we record nothing for. */
const IGNORED_WITH_ARG: ReadonlySet<string> = new Set([
  '-M',
  '--netmask',
  '-b',
  '--sched-flags',
  'pe',
  '--pe',
  '-x',
  '--u-threshold',
  '-y',
  '--l-threshold',
  '--tun-type',
  '--tun-port',
]);
const IGNORED_FLAGS: ReadonlySet<string> = new Set([
  '-6',
  '--ipv6',
  'ops',
  '-o',
  '--ops',
  '--tun-nocsum',
  '--tun-csum',
  '--tun-remcsum',
]);

export interface Endpoint {
  address: string;
  port: number;
}

/** "10.0.0.1:443", "[fd00::1]:443", "10.0.0.1" (port omitted → 0). Undefined when unreadable. */
export function parseEndpoint(s: string): Endpoint | undefined {
  let address: string;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close === -1) return undefined;
    address = s.slice(1, close);
    const rest = s.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return undefined;
    portText = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = s.lastIndexOf(':');
    if (colon === -1) {
      address = s;
    } else {
      address = s.slice(0, colon);
      portText = s.slice(colon + 1);
    }
  }
  if (address === '') return undefined;
  if (portText === undefined) return { address, port: 0 };
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  return port > 65535 ? undefined : { address, port };
}

function serviceKey(protocol: Protocol, address: string, port: number): string {
  return `${protocol} ${address} ${port}`;
}

interface ServiceSpec {
  protocol: Protocol;
  address: string;
  port: number;
}

/** Parses `ipvsadm -S -n`. Never throws; unreadable lines become warnings. */
export function parseIpvsadmSave(text: string): Parsed<IpvsService[]> {
  const warnings = new Warnings();
  const services: IpvsService[] = [];
  const byKey = new Map<string, IpvsService>();
  forEachLine(text, (line, lineNo) => {
    if (line.length === 0) return;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    // A save line has under 20 words; the limit only bounds the work a hostile line causes.
    const w = trimmed.split(/[ \t]+/, 64);
    const cmd = w[0];
    const warn = (msg: string): void => warnings.atLine(lineNo, msg);

    if (cmd !== '-A' && cmd !== '--add-service' && cmd !== '-a' && cmd !== '--add-server') {
      warn(`not an ipvsadm -S line: ${excerpt(line)}`);
      return;
    }
    const spec = readServiceSpec(w, 1, warn);
    if (spec === undefined) return;
    const { protocol, address, port } = spec.spec;
    let k = spec.next;

    if (cmd === '-A' || cmd === '--add-service') {
      const svc: IpvsService = {
        protocol,
        address,
        port,
        scheduler: 'wlc',
        persistent: false,
        realServers: [],
        raw: line,
      };
      while (k < w.length) {
        const opt = w[k] as string;
        if (opt === '-s' || opt === '--scheduler') {
          const sched = w[k + 1];
          if (sched === undefined) warn(`"${clip(opt)}" without a scheduler`);
          else svc.scheduler = sched;
          k += 2;
        } else if (opt === '-p' || opt === '--persistent') {
          svc.persistent = true;
          const t = w[k + 1];
          if (t !== undefined && /^\d+$/.test(t)) {
            svc.persistenceTimeout = Number(t);
            k += 2;
          } else {
            // "-p" without a value: ipvsadm's default persistence timeout is 300 s (ipvsadm(8)).
            svc.persistenceTimeout = 300;
            k += 1;
          }
        } else if (IGNORED_WITH_ARG.has(opt)) {
          k += 2;
        } else if (IGNORED_FLAGS.has(opt)) {
          k += 1;
        } else {
          warn(`unknown service option ${excerpt(opt)}`);
          k += 1;
        }
      }
      const key = serviceKey(protocol, address, port);
      if (byKey.has(key)) {
        warn(`service ${protocol} ${clip(address)}:${port} defined twice; the first is kept`);
        return;
      }
      services.push(svc);
      byKey.set(key, svc);
      return;
    }

    // -a: a real server of an existing service.
    const svc = byKey.get(serviceKey(protocol, address, port));
    if (svc === undefined) {
      warn(`real server for service ${protocol} ${clip(address)}:${port} that was not defined before`);
      return;
    }
    let server: Endpoint | undefined;
    // ipvsadm's default forwarding method is direct routing (ipvsadm(8), "-g").
    let method: IpvsRealServer['method'] = 'gate';
    let weight = 1;
    while (k < w.length) {
      const opt = w[k] as string;
      if (opt === '-r' || opt === '--real-server') {
        const ep = w[k + 1];
        server = ep === undefined ? undefined : parseEndpoint(ep);
        if (server === undefined) warn(`bad real server address ${excerpt(ep ?? '')}`);
        else if (server.port === 0 && protocol !== 'fwmark') server = { address: server.address, port };
        k += 2;
      } else if (METHODS.has(opt)) {
        method = METHODS.get(opt) ?? method;
        k += 1;
      } else if (opt === '-w' || opt === '--weight') {
        const n = w[k + 1];
        if (n !== undefined && /^\d+$/.test(n)) weight = Number(n);
        else warn(`bad weight ${excerpt(n ?? '')}`);
        k += 2;
      } else if (IGNORED_WITH_ARG.has(opt)) {
        k += 2;
      } else if (IGNORED_FLAGS.has(opt)) {
        k += 1;
      } else {
        warn(`unknown real server option ${excerpt(opt)}`);
        k += 1;
      }
    }
    if (server === undefined) {
      if (!w.includes('-r') && !w.includes('--real-server')) warn('real server line without -r');
      return;
    }
    svc.realServers.push({ address: server.address, port: server.port, method, weight, raw: line });
  });
  return { value: services, warnings: warnings.done() };
}

function readServiceSpec(
  w: string[],
  k: number,
  warn: (msg: string) => void,
): { spec: ServiceSpec; next: number } | undefined {
  const flag = w[k];
  const protocol = flag === undefined ? undefined : SERVICE_FLAGS.get(flag);
  const arg = w[k + 1];
  if (protocol === undefined || arg === undefined) {
    warn(`expected a service (-t|-u|--sctp-service ADDR:PORT or -f MARK), found ${excerpt(flag ?? '')}`);
    return undefined;
  }
  if (protocol === 'fwmark') {
    if (!/^\d+$/.test(arg)) {
      warn(`bad fwmark ${excerpt(arg)}`);
      return undefined;
    }
    return { spec: { protocol, address: String(Number(arg)), port: 0 }, next: k + 2 };
  }
  const ep = parseEndpoint(arg);
  if (ep === undefined) {
    warn(`bad service address ${excerpt(arg)}`);
    return undefined;
  }
  return { spec: { protocol, address: ep.address, port: ep.port }, next: k + 2 };
}
