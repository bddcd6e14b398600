// The SRC and DST of `trace`: any endpoint, checked by its form alone (no I/O). A form that names
// nothing netcheck can trace is a usage error saying which forms there are.
import type { EndpointRef } from '../../checks/endpoint-ref.ts';
import { unusableHostAddress } from '../../checks/resolve.ts';
import { isIpv4 } from '../../lib/ipv4.ts';
import { InputError } from '../../lib/errors.ts';
import { namespaceName, objectName, wholeNumber } from './values.ts';

export const ENDPOINT_FORMS =
  '[namespace/]pod, pod IP, node/NAME, svc/[namespace/]NAME[:port|:portName], nodeport/NODE:PORT or a LAN IP';

/** What completion offers for SRC and DST: the prefixes of the endpoint kinds. */
export const ENDPOINT_PREFIXES = ['node/', 'svc/', 'nodeport/', 'pod/'] as const;

/** kubectl kinds that are not endpoints: named, so the error says what to give instead. */
const WORKLOAD_KINDS =
  /^(?:deploy|deployment|deployments|sts|statefulset|statefulsets|ds|daemonset|daemonsets|rs|replicaset|replicasets|job|jobs|ing|ingress|ingresses)\//;

// IANA_SVC_NAME (apimachinery validation.IsValidPortName): what a Service port's name may be.
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function nsAndName(what: string, ref: string): string {
  const parts = ref.split('/');
  if (parts.length > 2 || parts.some((p) => p === ''))
    throw new InputError(`${what} ${JSON.stringify(ref)} is not [namespace/]name`);
  if (parts.length === 2) namespaceName(what, parts[0]!);
  objectName(what, parts[parts.length - 1]!);
  return ref;
}

function servicePort(what: string, p: string): number | string {
  if (/^\d+$/.test(p)) return wholeNumber(what, p, 1, 65535, 'a port')!;
  if (p.length > 15 || p.includes('--') || !PORT_NAME.test(p))
    throw new InputError(`${what} port ${JSON.stringify(p)} is neither a port number nor a Service port name`);
  return p;
}

export function endpointRef(what: 'SRC' | 'DST', s: string): EndpointRef {
  if (isIpv4(s)) {
    const bad = unusableHostAddress(s);
    if (bad !== undefined) throw new InputError(`${what} ${s} is ${bad}`);
    return { kind: 'ip', ip: s };
  }
  const m = /^(node|nodes|svc|service|services|nodeport|pod|pods)\/(.*)$/.exec(s);
  const kind = m?.[1];
  const rest = m?.[2] ?? '';
  if (kind === 'node' || kind === 'nodes') return { kind: 'node', name: objectName(what, rest) };
  if (kind === 'nodeport') {
    const np = /^([^:]+):(.*)$/.exec(rest);
    if (np === null) throw new InputError(`${what} ${JSON.stringify(s)} is not nodeport/NODE:PORT`);
    return {
      kind: 'nodeport',
      node: objectName(what, np[1]!),
      port: wholeNumber(`${what} NodePort`, np[2]!, 1, 65535, 'a port')!,
    };
  }
  if (kind === 'svc' || kind === 'service' || kind === 'services') {
    const colon = rest.lastIndexOf(':');
    const ref = nsAndName(what, colon < 0 ? rest : rest.slice(0, colon));
    return colon < 0
      ? { kind: 'service', ref }
      : { kind: 'service', ref, port: servicePort(what, rest.slice(colon + 1)) };
  }
  if (kind === undefined && WORKLOAD_KINDS.test(s))
    throw new InputError(`${what} ${JSON.stringify(s)}: name one pod of it, or its Service (${ENDPOINT_FORMS})`);
  if (/^\d+(\.\d+){0,3}$/.test(s) || s.includes(':'))
    throw new InputError(`${what} ${JSON.stringify(s)} is not an endpoint: give ${ENDPOINT_FORMS}`);
  return { kind: 'pod', ref: nsAndName(what, rest === '' && kind === undefined ? s : rest) };
}
