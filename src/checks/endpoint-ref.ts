// An endpoint as `trace` names it on the command line, parsed but not yet looked up: the forms are
// checked before anything is read (src/cli/options/endpoint.ts), and resolved against the Model
// by the query (queries/trace.ts).
export type EndpointRef =
  /** [namespace/]name or pod/[namespace/]name. */
  | { kind: 'pod'; ref: string }
  /** node/NAME: the node's own network namespace. */
  | { kind: 'node'; name: string }
  /** svc/[namespace/]name[:port|:portName]: the ClusterIP, then each endpoint. */
  | { kind: 'service'; ref: string; port?: number | string }
  /** nodeport/NODE:PORT: a node's address and a NodePort. */
  | { kind: 'nodeport'; node: string; port: number }
  /** An IPv4 address: a pod's, a node's, a Service's, or a host outside the cluster. */
  | { kind: 'ip'; ip: string };

export function describeRef(r: EndpointRef): string {
  switch (r.kind) {
    case 'pod':
      return r.ref;
    case 'node':
      return `node/${r.name}`;
    case 'service':
      return `svc/${r.ref}${r.port !== undefined ? `:${r.port}` : ''}`;
    case 'nodeport':
      return `nodeport/${r.node}:${r.port}`;
    case 'ip':
      return r.ip;
  }
}
