// A strict Kubernetes API server test double: HTTPS on 127.0.0.1 with client-certificate or
// bearer-token authentication, the REST paths netcheck uses (list/get with label and field
// selectors and paging, create/delete of pods and namespaces, pod status, exec over WebSocket
// with the v5/v4.channel.k8s.io protocol), request validation as kube-apiserver does it
// (schema.ts), Pod Security admission (admission.ts), RBAC denials as injected faults, and a
// "kubelet" that runs probe pods (kubelet.ts): a pod on node N becomes Running after a start
// delay, and a command exec'd into it runs inside the network namespace that stands for node N
// (exec-runtime.ts). Selectors are in selectors.ts, Status bodies in status.ts.
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { stringify } from 'yaml';
import { enforcePolicy, podSecurityViolation } from './admission.ts';
import type { Level } from './admission.ts';
import { makePki } from './certs.ts';
import type { TestPki } from './certs.ts';
import { invalidMessage, strictDecodeError, validateNamespace, validatePod } from './schema.ts';
import { ExecRuntime } from './exec-runtime.ts';
import { pendingStatus, runPod } from './kubelet.ts';
import type { PodSpecSubset } from './kubelet.ts';
import { FIELD_SELECTABLE, fieldValue, parseLabelSelector } from './selectors.ts';
import { refuseUpgrade, status } from './status.ts';
import type { Obj } from './status.ts';
import { acceptWebSocket } from './websocket.ts';

export interface NodeSpec {
  name: string;
  /** Network namespace that stands for the node; exec'd commands run in it. */
  netns?: string;
  /** Network namespaces of the pods on this node, visible to exec as processes (pod-processes.ts). */
  podNetns?: string[];
  ready?: boolean;
  internalIP?: string;
  /** Overrides the server-wide start delay for pods on this node. */
  startDelayMs?: number;
  taints?: { key: string; effect: string; value?: string }[];
}

export interface ForbidRule {
  verb: string;
  /** "pods", "pods/exec", "ippools.crd.projectcalico.org", ... */
  resource: string;
  namespace?: string;
}

export interface DoubleOptions {
  nodes: NodeSpec[];
  user?: string;
  group?: string;
  /** A bearer token also accepted, for the user `${user}-token`. */
  token?: string;
  /** Pod Security level of namespaces without an enforce label. */
  defaultPodSecurity?: Level;
  /** Images the fake registry has; any other image fails to pull. */
  availableImages?: string[];
  startDelayMs?: number;
  /** "netns": every exec runs for real; "cached": each distinct command runs once, in the first node's namespace, then is replayed. */
  execBackend?: 'netns' | 'cached';
  /** Runs exec'd commands instead of the netns runtime (synthetic-nodes.ts). */
  execRuntime?: Pick<ExecRuntime, 'run' | 'killAll'>;
  calico?: 'v3' | 'crd' | 'none';
  cilium?: boolean;
  /** discovery.k8s.io version served: v1 (1.21+, default), v1beta1 (1.17-1.24), or none. */
  endpointSlices?: 'v1' | 'v1beta1' | 'none';
  /**
   * Exec over a WebSocket (a GET) is authorized as "get" on pods/exec; from Kubernetes 1.35
   * also as "create" (AuthorizePodWebsocketUpgradeCreatePermission). Default true (1.35).
   */
  execAuthorizesCreate?: boolean;
  /** Resources the server does not serve although their group is, as "plural.group" (1.20 refuses Calico's bgpconfigurations CRD). */
  unserved?: string[];
  /** How long a deleted namespace stays Terminating before the namespace controller removes it (ms). */
  namespaceFinalizeMs?: number;
}

/** An injected answer: what the server (or a proxy in front of it) sends instead. */
export interface FaultAnswer {
  code: number;
  contentType: string;
  body: string;
}

interface Resource {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
}

const CORE = (resource: string, kind: string, namespaced: boolean): Resource => ({
  group: '',
  version: 'v1',
  resource,
  kind,
  namespaced,
});
const calicoKinds = (group: string, version: string): Resource[] =>
  [
    ['ippools', 'IPPool'],
    ['blockaffinities', 'BlockAffinity'],
    ['felixconfigurations', 'FelixConfiguration'],
    ['bgpconfigurations', 'BGPConfiguration'],
  ].map(([resource, kind]) => ({ group, version, resource: resource!, kind: kind!, namespaced: false }));

interface Route {
  res: Resource;
  namespace?: string;
  /** The namespace a cluster-scoped request is authorized in: the name of a Namespace it reads or deletes. */
  scope?: string;
  name?: string;
  sub?: string;
}

interface User {
  name: string;
  groups: string[];
}

export class ApiServerDouble {
  readonly pki: TestPki;
  readonly kubeconfigPath: string;
  readonly user: string;
  readonly token: string;
  port = 0;
  private server: https.Server | undefined;
  private readonly sockets = new Set<Socket | Duplex>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly store = new Map<string, Map<string, Obj>>();
  private readonly resources: Resource[];
  private readonly forbidden: ForbidRule[] = [];
  private readonly nodes = new Map<string, NodeSpec>();
  private readonly exec: Pick<ExecRuntime, 'run' | 'killAll'>;
  private rv = 1;
  /** Every request seen: method, path (with query), user. */
  readonly log: { method: string; path: string; user: string }[] = [];
  /** Called for each exec, before it runs (tests inject faults here). */
  onExec: (pod: string, node: string, command: string[]) => void = () => undefined;
  /** Called for each REST request before anything else; an answer replaces the server's. */
  onRequest: (method: string, path: string) => FaultAnswer | undefined = () => undefined;

  private constructor(readonly opts: DoubleOptions) {
    this.user = opts.user ?? 'netcheck-e2e';
    this.token = opts.token ?? randomUUID();
    this.pki = makePki(this.user, opts.group ?? 'system:masters');
    this.kubeconfigPath = join(this.pki.dir, 'kubeconfig');
    this.exec = opts.execRuntime ?? new ExecRuntime(opts.execBackend ?? 'netns', () => [...this.nodes.values()]);
    this.resources = [
      CORE('pods', 'Pod', true),
      CORE('namespaces', 'Namespace', false),
      CORE('nodes', 'Node', false),
      CORE('services', 'Service', true),
      CORE('configmaps', 'ConfigMap', true),
      CORE('endpoints', 'Endpoints', true),
      {
        group: 'networking.k8s.io',
        version: 'v1',
        resource: 'networkpolicies',
        kind: 'NetworkPolicy',
        namespaced: true,
      },
    ];
    const slices = opts.endpointSlices ?? 'v1';
    if (slices !== 'none')
      this.resources.push({
        group: 'discovery.k8s.io',
        version: slices,
        resource: 'endpointslices',
        kind: 'EndpointSlice',
        namespaced: true,
      });
    this.resources.push({
      group: 'authorization.k8s.io',
      version: 'v1',
      resource: 'selfsubjectaccessreviews',
      kind: 'SelfSubjectAccessReview',
      namespaced: false,
    });
    const calico = opts.calico ?? 'crd';
    if (calico !== 'none') this.resources.push(...calicoKinds('crd.projectcalico.org', 'v1'));
    if (calico === 'v3') this.resources.push(...calicoKinds('projectcalico.org', 'v3'));
    if (opts.cilium === true)
      this.resources.push({
        group: 'cilium.io',
        version: 'v2',
        resource: 'ciliumnodes',
        kind: 'CiliumNode',
        namespaced: false,
      });
    const unserved = new Set(opts.unserved ?? []);
    this.resources = this.resources.filter(
      (r) => !unserved.has(r.group === '' ? r.resource : `${r.resource}.${r.group}`),
    );
    for (const n of opts.nodes) this.addNode(n);
    for (const ns of ['default', 'kube-system', 'kube-public']) {
      const labels: Record<string, string> = { 'kubernetes.io/metadata.name': ns };
      if (ns === 'kube-system') labels['pod-security.kubernetes.io/enforce'] = 'privileged';
      this.put(
        CORE('namespaces', 'Namespace', false),
        this.stamp({
          metadata: { name: ns, labels },
          spec: { finalizers: ['kubernetes'] },
          status: { phase: 'Active' },
        }),
      );
    }
  }

  static async start(opts: DoubleOptions): Promise<ApiServerDouble> {
    const d = new ApiServerDouble(opts);
    await d.listen(0);
    d.writeKubeconfig();
    return d;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  private writeKubeconfig(): void {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const cfg = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'double', cluster: { server: this.url, 'certificate-authority-data': b64(this.pki.caCert) } }],
      users: [
        {
          name: this.user,
          user: { 'client-certificate-data': b64(this.pki.clientCert), 'client-key-data': b64(this.pki.clientKey) },
        },
        { name: `${this.user}-token`, user: { token: this.token } },
      ],
      contexts: [
        { name: 'double', context: { cluster: 'double', user: this.user } },
        { name: 'double-token', context: { cluster: 'double', user: `${this.user}-token` } },
      ],
      'current-context': 'double',
    };
    writeFileSync(this.kubeconfigPath, stringify(cfg));
  }

  private listen(port: number): Promise<void> {
    const server = https.createServer(
      {
        key: this.pki.serverKey,
        cert: this.pki.serverCert,
        ca: this.pki.caCert,
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => this.handle(req, res),
    );
    server.on('upgrade', (req: IncomingMessage, socket: Duplex) => this.handleUpgrade(req, socket));
    server.on('secureConnection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const a = server.address();
        this.port = typeof a === 'object' && a !== null ? a.port : port;
        resolve();
      });
    });
  }

  /** The API server goes away: the port is closed and every connection dropped. State is kept. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    this.exec.killAll();
    for (const sock of this.sockets) sock.destroy();
    if (s !== undefined) await new Promise<void>((r) => s.close(() => r()));
  }

  /** Comes back on the same port with the same state. */
  async restart(): Promise<void> {
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    await this.stop();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    rmSync(this.pki.dir, { recursive: true, force: true });
  }

  forbid(rule: ForbidRule): void {
    this.forbidden.push(rule);
  }

  // ---- state ----

  private key(res: Resource): string {
    return `${res.group}/${res.version}/${res.resource}`;
  }

  private table(res: Resource): Map<string, Obj> {
    let t = this.store.get(this.key(res));
    if (t === undefined) {
      t = new Map();
      this.store.set(this.key(res), t);
    }
    return t;
  }

  private objKey(o: Obj): string {
    const m = (o['metadata'] ?? {}) as { namespace?: string; name?: string };
    return `${m.namespace ?? ''}/${m.name ?? ''}`;
  }

  private put(res: Resource, o: Obj): void {
    this.table(res).set(this.objKey(o), o);
  }

  private stamp(o: Obj): Obj {
    const meta = (o['metadata'] ?? {}) as Obj;
    meta['uid'] ??= randomUUID();
    meta['creationTimestamp'] ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    meta['resourceVersion'] = String(this.rv++);
    o['metadata'] = meta;
    return o;
  }

  private findResource(group: string, version: string, resource: string): Resource | undefined {
    return this.resources.find((r) => r.group === group && r.version === version && r.resource === resource);
  }

  addNode(n: NodeSpec): void {
    this.nodes.set(n.name, n);
    const ready = n.ready !== false;
    this.put(
      CORE('nodes', 'Node', false),
      this.stamp({
        metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux' } },
        spec: n.taints !== undefined ? { taints: n.taints } : {},
        status: {
          conditions: [
            ready
              ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }
              : {
                  type: 'Ready',
                  status: 'Unknown',
                  reason: 'NodeStatusUnknown',
                  message: 'Kubelet stopped posting node status.',
                },
          ],
          addresses: [
            { type: 'InternalIP', address: n.internalIP ?? '192.0.2.1' },
            { type: 'Hostname', address: n.name },
          ],
        },
      }),
    );
  }

  /** Adds an object as if applied by someone else, e.g. seed('/api/v1', 'configmaps', cm). */
  seed(group: string, version: string, resource: string, o: Obj): void {
    const res = this.findResource(group, version, resource);
    if (res === undefined) throw new Error(`double does not serve ${group}/${version}/${resource}`);
    this.put(res, this.stamp(structuredClone(o)));
  }

  /** Pods currently stored, optionally in one namespace. */
  pods(namespace?: string): Obj[] {
    return [...this.table(CORE('pods', 'Pod', true)).values()].filter(
      (p) => namespace === undefined || (p['metadata'] as Obj)['namespace'] === namespace,
    );
  }

  namespaces(): Obj[] {
    return [...this.table(CORE('namespaces', 'Namespace', false)).values()];
  }

  // ---- HTTP ----

  private authenticate(req: IncomingMessage): User | undefined {
    const auth = req.headers.authorization;
    if (typeof auth === 'string' && auth.startsWith('Bearer ')) {
      return auth.slice(7) === this.token
        ? { name: `${this.user}-token`, groups: ['system:authenticated'] }
        : undefined;
    }
    const tls = req.socket as TLSSocket;
    if (tls.authorized) {
      const subject = tls.getPeerCertificate().subject as unknown as Record<string, string | string[]>;
      const cn = subject['CN'];
      const o = subject['O'];
      if (typeof cn === 'string')
        return { name: cn, groups: [...(Array.isArray(o) ? o : o !== undefined ? [o] : []), 'system:authenticated'] };
    }
    return undefined;
  }

  private route(path: string): Route | 'no-group' | 'no-resource' {
    const parts = path.split('/').filter((p) => p !== '');
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api' && parts[1] === 'v1') {
      group = '';
      version = 'v1';
      rest = parts.slice(2);
    } else if (parts[0] === 'apis' && parts.length >= 3) {
      group = parts[1]!;
      version = parts[2]!;
      rest = parts.slice(3);
      // A group the server does not serve is the mux's plain-text 404; a version it does not
      // serve of a group it does is a Status (1.20 for discovery.k8s.io/v1).
      if (!this.resources.some((r) => r.group === group)) return 'no-group';
      if (!this.resources.some((r) => r.group === group && r.version === version)) return 'no-resource';
    } else return 'no-group';
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const res = this.findResource(group, version, rest[0] ?? '');
    // A resource a custom resource group does not define falls through the CRD handler to the
    // mux's plain-text 404 (1.20, bgpconfigurations.crd.projectcalico.org); a built-in group's is a Status.
    if (res === undefined && !(group === '' || group.endsWith('.k8s.io'))) return 'no-group';
    if (res === undefined || (namespace !== undefined && !res.namespaced)) return 'no-resource';
    const r: Route = { res };
    if (namespace !== undefined) r.namespace = namespace;
    // RequestInfoFactory: a request for namespace N is "in the namespace N" (RBAC and its messages).
    else if (res.resource === 'namespaces' && group === '' && rest[1] !== undefined) r.scope = rest[1];
    if (rest[1] !== undefined) r.name = rest[1];
    if (rest[2] !== undefined) r.sub = rest[2];
    return r;
  }

  /** The route a path would have if its group and resource were served (for authorization). */
  private unservedRoute(path: string): Route | undefined {
    const parts = path.split('/').filter((p) => p !== '');
    const core = parts[0] === 'api';
    let rest = parts.slice(core ? 2 : 3);
    const group = core ? '' : (parts[1] ?? '');
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    if (rest[0] === undefined) return undefined;
    const r: Route = {
      res: { group, version: parts[core ? 1 : 2] ?? '', resource: rest[0], kind: '', namespaced: true },
    };
    if (namespace !== undefined) r.namespace = namespace;
    if (rest[1] !== undefined) r.name = rest[1];
    if (rest[2] !== undefined) r.sub = rest[2];
    return r;
  }

  private verbOf(method: string, r: Route, watch: boolean): string {
    switch (method) {
      case 'POST':
        return 'create';
      case 'DELETE':
        return r.name === undefined ? 'deletecollection' : 'delete';
      case 'PUT':
        return 'update';
      case 'PATCH':
        return 'patch';
      default:
        return watch ? 'watch' : r.name === undefined ? 'list' : 'get';
    }
  }

  /** RBAC-style denial (k8s.io/apiserver responsewriters.ForbiddenStatusError wording). */
  private authorize(user: User, verb: string, r: Route): Obj | undefined {
    const resource = r.res.resource + (r.sub !== undefined ? `/${r.sub}` : '');
    const full =
      r.res.group === '' ? resource : `${r.res.resource}.${r.res.group}${r.sub !== undefined ? `/${r.sub}` : ''}`;
    const denied = this.forbidden.some(
      (f) => f.verb === verb && f.resource === full && (f.namespace === undefined || f.namespace === r.namespace),
    );
    if (!denied) return undefined;
    const subject = `${r.res.group === '' ? r.res.resource : `${r.res.resource}.${r.res.group}`}${r.name !== undefined ? ` "${r.name}"` : ''}`;
    const ns = r.namespace ?? r.scope;
    const scope = ns !== undefined ? `in the namespace "${ns}"` : 'at the cluster scope';
    const details: Obj = { group: r.res.group, kind: r.res.resource };
    if (r.name !== undefined) details['name'] = r.name;
    return status(
      403,
      'Forbidden',
      `${subject} is forbidden: User "${user.name}" cannot ${verb} resource "${resource}" in API group "${r.res.group}" ${scope}`,
      details,
    );
  }

  private send(res: ServerResponse, code: number, body: Obj): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const fault = this.onRequest(req.method ?? 'GET', req.url ?? '/');
        if (fault !== undefined) {
          res.writeHead(fault.code, { 'Content-Type': fault.contentType });
          res.end(fault.body);
          return;
        }
        const [code, body, raw] = this.dispatch(req, Buffer.concat(chunks).toString('utf8'));
        if (raw !== undefined) {
          res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end(raw);
        } else this.send(res, code, body);
      } catch (e) {
        this.send(res, 500, status(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`));
      }
    });
  }

  private dispatch(req: IncomingMessage, text: string): [number, Obj, string?] {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const user = this.authenticate(req);
    this.log.push({ method: req.method ?? '', path: url.pathname + url.search, user: user?.name ?? '' });
    if (user === undefined) return [401, status(401, 'Unauthorized', 'Unauthorized')];
    const r = this.route(url.pathname);
    // Authorization runs before the mux (k8s.io/apiserver DefaultBuildHandlerChain): a denied
    // request for a group the server does not serve is 403, not 404.
    if (typeof r === 'string') {
      const unserved = this.unservedRoute(url.pathname);
      const denied = unserved && this.authorize(user, this.verbOf(req.method ?? 'GET', unserved, false), unserved);
      if (denied) return [403, denied];
    }
    // An unknown group/version is the mux's plain-text 404; an unknown resource is a Status.
    if (r === 'no-group') return [404, {}, '404 page not found\n'];
    if (r === 'no-resource')
      return [404, status(404, 'NotFound', 'the server could not find the requested resource', {})];
    const q = url.searchParams;
    const verb = this.verbOf(req.method ?? 'GET', r, q.get('watch') === 'true' || q.get('watch') === '1');
    const denied = this.authorize(user, verb, r);
    if (denied !== undefined) return [403, denied];
    switch (verb) {
      case 'list':
        return this.list(r, q);
      case 'get':
        return this.get(r);
      case 'create':
        if (r.res.resource === 'selfsubjectaccessreviews') return this.accessReview(user, text);
        return this.create(r, text, q);
      case 'delete':
        return this.remove(r);
      default:
        return [
          405,
          status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}),
        ];
    }
  }

  private notFound(r: Route): [number, Obj] {
    const plural = r.res.group === '' ? r.res.resource : `${r.res.resource}.${r.res.group}`;
    return [
      404,
      status(404, 'NotFound', `${plural} "${r.name ?? ''}" not found`, {
        name: r.name ?? '',
        group: r.res.group,
        kind: r.res.resource,
      }),
    ];
  }

  private list(r: Route, q: URLSearchParams): [number, Obj] {
    let items = [...this.table(r.res).values()].filter(
      (o) => r.namespace === undefined || (o['metadata'] as Obj)['namespace'] === r.namespace,
    );
    const ls = q.get('labelSelector');
    if (ls !== null && ls !== '') {
      const reqs = parseLabelSelector(ls);
      if (typeof reqs === 'string') return [400, status(400, 'BadRequest', reqs)];
      items = items.filter((o) => {
        const labels = ((o['metadata'] as Obj)['labels'] ?? {}) as Record<string, string>;
        return reqs.every((f) => f(labels));
      });
    }
    const fs = q.get('fieldSelector');
    if (fs !== null && fs !== '') {
      for (const term of fs.split(',')) {
        const m = /^([\w.]+)(==|=|!=)(.*)$/.exec(term.trim());
        if (m === null)
          return [400, status(400, 'BadRequest', `invalid selector: '${fs}'; can't understand '${term}'`)];
        const [, field, op, value] = m;
        const allowed = ['metadata.name', 'metadata.namespace', ...(FIELD_SELECTABLE[r.res.resource] ?? [])];
        if (!allowed.includes(field!)) return [400, status(400, 'BadRequest', `field label not supported: ${field}`)];
        items = items.filter((o) => (op === '!=' ? fieldValue(o, field!) !== value : fieldValue(o, field!) === value));
      }
    }
    items.sort((a, b) => this.objKey(a).localeCompare(this.objKey(b)));
    const limit = Number(q.get('limit') ?? 0);
    const start = Number(Buffer.from(q.get('continue') ?? '', 'base64').toString() || 0);
    const builtin = r.res.group === '' || r.res.group.endsWith('.k8s.io');
    // A custom resource's list always has "continue" (empty on the last page); a built-in's only
    // when there is more, with remainingItemCount.
    const meta: Obj = builtin
      ? { resourceVersion: String(this.rv) }
      : { continue: '', resourceVersion: String(this.rv) };
    if (limit > 0) {
      if (start + limit < items.length) {
        meta['continue'] = Buffer.from(String(start + limit)).toString('base64');
        meta['remainingItemCount'] = items.length - start - limit;
      }
      items = items.slice(start, start + limit);
    }
    const out = items.map((o) => {
      const c = structuredClone(o);
      if (builtin) {
        delete c['kind'];
        delete c['apiVersion'];
      }
      return c;
    });
    return [
      200,
      {
        kind: `${r.res.kind}List`,
        apiVersion: r.res.group === '' ? 'v1' : `${r.res.group}/${r.res.version}`,
        metadata: meta,
        items: out,
      },
    ];
  }

  private get(r: Route): [number, Obj] {
    const o = this.table(r.res).get(`${r.namespace ?? ''}/${r.name ?? ''}`);
    if (o === undefined) return this.notFound(r);
    return [200, structuredClone(o)];
  }

  private remove(r: Route): [number, Obj] {
    const key = `${r.namespace ?? ''}/${r.name ?? ''}`;
    const t = this.table(r.res);
    const o = t.get(key);
    if (o === undefined) return this.notFound(r);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (r.res.resource === 'namespaces') {
      // A namespace is Terminating until the namespace controller has removed what is in it and
      // its "kubernetes" finalizer: it can still be read, and a second delete finds it.
      const meta = o['metadata'] as Obj;
      if (meta['deletionTimestamp'] === undefined) {
        meta['deletionTimestamp'] = now;
        meta['deletionGracePeriodSeconds'] = 0;
        o['status'] = { phase: 'Terminating' };
        this.stamp(o);
        this.later(this.opts.namespaceFinalizeMs ?? 1000, () => {
          for (const [k, p] of this.table(CORE('pods', 'Pod', true)))
            if ((p['metadata'] as Obj)['namespace'] === r.name) this.table(CORE('pods', 'Pod', true)).delete(k);
          if (t.get(key) === o) t.delete(key);
        });
      }
      return [200, structuredClone(o)];
    }
    t.delete(key);
    const out = structuredClone(o);
    (out['metadata'] as Obj)['deletionTimestamp'] = now;
    return [200, out];
  }

  /** SelfSubjectAccessReview: the forbid rules answer (k8s.io/kubernetes pkg/registry/authorization). */
  private accessReview(user: User, text: string): [number, Obj] {
    const review = JSON.parse(text) as { spec?: { resourceAttributes?: Obj } };
    const a = review.spec?.resourceAttributes ?? {};
    const str = (k: string) => (typeof a[k] === 'string' ? (a[k] as string) : undefined);
    const res: Resource = {
      group: str('group') ?? '',
      version: '',
      resource: str('resource') ?? '',
      kind: '',
      namespaced: true,
    };
    const route: Route = { res };
    const ns = str('namespace');
    if (ns !== undefined && ns !== '') route.namespace = ns;
    const sub = str('subresource');
    if (sub !== undefined && sub !== '') route.sub = sub;
    const allowed = this.authorize(user, str('verb') ?? '', route) === undefined;
    return [
      201,
      { ...review, apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', status: { allowed } },
    ];
  }

  private create(r: Route, text: string, q: URLSearchParams): [number, Obj] {
    if (r.name !== undefined || !['pods', 'namespaces'].includes(r.res.resource) || r.res.group !== '') {
      return [
        405,
        status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}),
      ];
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      return [400, status(400, 'BadRequest', `couldn't get version/kind; json parse error: ${(e as Error).message}`)];
    }
    const kind = r.res.kind;
    const o = body as Obj;
    if (typeof o !== 'object' || o === null || Array.isArray(o))
      return [400, status(400, 'BadRequest', `couldn't get version/kind; json parse error: expected an object`)];
    if (o['apiVersion'] !== undefined && o['apiVersion'] !== 'v1') {
      return [
        400,
        status(
          400,
          'BadRequest',
          `the API version in the data (${String(o['apiVersion'])}) does not match the expected API version (v1)`,
        ),
      ];
    }
    if (o['kind'] !== undefined && o['kind'] !== kind) {
      return [
        400,
        status(
          400,
          'BadRequest',
          `the kind in the data (${String(o['kind'])}) does not match the expected kind (${kind})`,
        ),
      ];
    }
    // Strict decoding: unknown fields are rejected whatever fieldValidation says (a strict server).
    void q;
    const decodeErr = strictDecodeError(o, `V1${kind}`, kind, 'v1');
    if (decodeErr !== undefined) return [400, status(400, 'BadRequest', decodeErr)];
    const meta = (o['metadata'] ?? {}) as Obj;
    if (r.namespace !== undefined) {
      if (meta['namespace'] !== undefined && meta['namespace'] !== r.namespace) {
        return [
          400,
          status(
            400,
            'BadRequest',
            'the namespace of the provided object does not match the namespace sent on the request',
          ),
        ];
      }
      meta['namespace'] = r.namespace;
    }
    o['metadata'] = meta;
    const errs = kind === 'Pod' ? validatePod(o, r.namespace ?? '') : validateNamespace(o);
    const name = String(meta['name'] ?? meta['generateName'] ?? '');
    if (errs.length > 0) {
      return [
        422,
        status(422, 'Invalid', invalidMessage(kind, name, errs), {
          name,
          kind,
          causes: errs.map((e) => ({ reason: e.reason, message: e.message, field: e.field })),
        }),
      ];
    }
    const plural = r.res.resource;
    if (kind === 'Pod') {
      const ns = this.table(CORE('namespaces', 'Namespace', false)).get(`/${r.namespace ?? ''}`);
      if (ns === undefined)
        return [
          404,
          status(404, 'NotFound', `namespaces "${r.namespace ?? ''}" not found`, {
            name: r.namespace ?? '',
            kind: 'namespaces',
          }),
        ];
      const terminating = `unable to create new content in namespace ${r.namespace ?? ''} because it is being terminated`;
      if ((ns['metadata'] as Obj)['deletionTimestamp'] !== undefined)
        return [
          403,
          status(403, 'Forbidden', `${plural} "${name}" is forbidden: ${terminating}`, {
            name,
            kind: plural,
            causes: [{ reason: 'NamespaceTerminating', message: terminating, field: 'metadata.namespace' }],
          }),
        ];
      if (this.table(r.res).has(`${r.namespace}/${name}`))
        return [409, status(409, 'AlreadyExists', `${plural} "${name}" already exists`, { name, kind: plural })];
      const labels = ((ns['metadata'] as Obj)['labels'] ?? {}) as Record<string, string>;
      const violation = podSecurityViolation(
        (o['spec'] ?? {}) as never,
        enforcePolicy(labels, this.opts.defaultPodSecurity ?? 'restricted'),
      );
      if (violation !== undefined)
        return [
          403,
          status(403, 'Forbidden', `${plural} "${name}" is forbidden: ${violation}`, { name, kind: plural }),
        ];
      const pod = this.stamp(o);
      pod['apiVersion'] = 'v1';
      pod['kind'] = 'Pod';
      this.startPod(pod);
      this.put(r.res, pod);
      return [201, structuredClone(pod)];
    }
    if (this.table(r.res).has(`/${name}`))
      return [409, status(409, 'AlreadyExists', `${plural} "${name}" already exists`, { name, kind: plural })];
    const labels = (meta['labels'] ?? {}) as Record<string, string>;
    labels['kubernetes.io/metadata.name'] = name;
    meta['labels'] = labels;
    o['spec'] = { finalizers: ['kubernetes'] };
    o['status'] = { phase: 'Active' };
    const created = this.stamp(o);
    this.put(r.res, created);
    return [201, structuredClone(created)];
  }

  // ---- the kubelet ----

  private later(ms: number, f: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      f();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private startPod(pod: Obj): void {
    const spec = pod['spec'] as PodSpecSubset;
    const node = this.nodes.get(spec.nodeName ?? '');
    pod['status'] = pendingStatus(spec);
    if (node === undefined || node.ready === false) return; // nobody runs it
    const key = this.objKey(pod);
    const table = this.table(CORE('pods', 'Pod', true));
    const update = (f: (p: Obj) => void) => {
      const p = table.get(key);
      if (p === undefined || (p['metadata'] as Obj)['uid'] !== (pod['metadata'] as Obj)['uid']) return;
      f(p);
      this.stamp(p);
    };
    runPod(spec, node, this.opts, update, (ms, f) => this.later(ms, f));
  }

  // ---- exec ----

  private handleUpgrade(req: IncomingMessage, socket: Duplex): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const user = this.authenticate(req);
    this.log.push({ method: 'GET', path: url.pathname + url.search, user: user?.name ?? '' });
    if (user === undefined) return refuseUpgrade(socket, 401, status(401, 'Unauthorized', 'Unauthorized'));
    const r = this.route(url.pathname);
    if (typeof r === 'string' || r.res.resource !== 'pods' || r.sub !== 'exec' || r.name === undefined) {
      return refuseUpgrade(
        socket,
        404,
        status(404, 'NotFound', 'the server could not find the requested resource', {}),
      );
    }
    // A GET is authorized as "get" (k8s.io/apiserver RequestInfoFactory); 1.35 adds "create".
    const verbs = this.opts.execAuthorizesCreate === false ? ['get'] : ['get', 'create'];
    for (const verb of verbs) {
      const denied = this.authorize(user, verb, r);
      if (denied !== undefined) return refuseUpgrade(socket, 403, denied);
    }
    const pod = this.table(r.res).get(`${r.namespace ?? ''}/${r.name}`);
    if (pod === undefined) return refuseUpgrade(socket, 404, this.notFound(r)[1]);
    const q = url.searchParams;
    const command = q.getAll('command');
    if (command.length === 0)
      return refuseUpgrade(socket, 400, status(400, 'BadRequest', 'you must specify at least 1 command'));
    const spec = pod['spec'] as { nodeName?: string; containers: { name: string }[] };
    const container = q.get('container') ?? (spec.containers.length === 1 ? spec.containers[0]!.name : '');
    if (!spec.containers.some((c) => c.name === container)) {
      return refuseUpgrade(
        socket,
        400,
        status(400, 'BadRequest', `container ${container} is not valid for pod ${r.name}`),
      );
    }
    const phase = (pod['status'] as { phase?: string }).phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      return refuseUpgrade(
        socket,
        400,
        status(400, 'BadRequest', `cannot exec into a container in a completed pod; current phase is ${phase}`),
      );
    }
    if (phase !== 'Running')
      return refuseUpgrade(
        socket,
        400,
        status(400, 'BadRequest', `unable to upgrade connection: container not found ("${container}")`),
      );
    const ws = acceptWebSocket(req, socket, ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    if (ws === undefined)
      return refuseUpgrade(
        socket,
        400,
        status(400, 'BadRequest', 'unable to upgrade connection: missing or unsupported Sec-WebSocket-Protocol'),
      );
    const node = this.nodes.get(spec.nodeName ?? '');
    this.onExec(r.name, node?.name ?? '', command);
    void this.exec.run(ws, node, command);
  }
}
