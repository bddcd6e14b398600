// A thin JSON client for the Kubernetes REST API. TLS and credentials come from client-node's
// KubeConfig (certificates, tokens, exec and OIDC plugins, proxies); the requests themselves are
// plain HTTPS so that objects reach the snapshot exactly as the API server sent them: client-node's
// typed APIs deserialize into classes that drop unknown fields and turn timestamps into Dates.
// One keep-alive agent serves every request, so a 100-node run does not pay 100s of TLS handshakes.
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../../snapshot/types.ts';
import type { ClusterAccess } from './kubeconfig.ts';

/** metav1.Status, as the API server returns it for every failed request. */
export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
  };
}

/** What a request was, so that a failure can be named in one sentence (errors.ts). */
export interface RequestInfo {
  method: string;
  path: string;
  /** RBAC verb: get, list, create, delete, ... */
  verb: string;
  /** RBAC resource with group, e.g. "pods", "ippools.crd.projectcalico.org", "pods/exec". */
  resource: string;
  namespace?: string;
}

/** The API server answered with an error status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: number,
    readonly status: KubeStatus | undefined,
    readonly body: string,
    readonly info: RequestInfo,
  ) {
    super(`${info.method} ${info.path}: ${code} ${status?.message ?? body.slice(0, 200)}`);
  }
}

/** No answer: connection refused, reset, TLS failure, timeout. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    /** errno or OpenSSL code (ECONNREFUSED, CERT_HAS_EXPIRED, ...) or "TIMEOUT" / "ABORTED". */
    readonly errCode: string,
    message: string,
    readonly info: RequestInfo,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Overrides the access's request timeout; 0 = none. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Maps an API path to its RBAC verb and resource (k8s.io/apiserver RequestInfoFactory). */
export function requestInfo(method: string, path: string, query: RequestOptions['query'] = {}): RequestInfo {
  const parts = path
    .split('?')[0]!
    .split('/')
    .filter((p) => p !== '');
  let group = '';
  let rest: string[];
  if (parts[0] === 'api') rest = parts.slice(2);
  else {
    group = parts[1] ?? '';
    rest = parts.slice(3);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource = '', name, sub] = rest;
  const full = (group === '' ? resource : `${resource}.${group}`) + (sub !== undefined ? `/${sub}` : '');
  let verb: string;
  switch (method) {
    case 'POST':
      verb = 'create';
      break;
    case 'DELETE':
      verb = name === undefined ? 'deletecollection' : 'delete';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    default:
      verb = query?.['watch'] === true || query?.['watch'] === 'true' ? 'watch' : name === undefined ? 'list' : 'get';
  }
  // Exec over a WebSocket is a GET, but the API server authorizes it as "create" on pods/exec.
  if (sub === 'exec') verb = 'create';
  const info: RequestInfo = { method, path, verb, resource: full };
  if (namespace !== undefined) info.namespace = namespace;
  return info;
}

function queryString(q: RequestOptions['query']): string {
  if (q === undefined) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

/** REST sockets kept alive at most: also how many dead idle ones a request can meet in turn. */
const REST_SOCKETS = 64;

/** TLS shared by every connection of a client: one parsed SecureContext and one session cache. */
interface SharedTls {
  /** Keep-alive agent for REST requests. */
  rest: http.Agent;
  /** Agent for exec WebSockets: an upgraded socket is never reused, but its TLS session is. */
  ws: http.Agent;
  secureContext?: tls.SecureContext;
  proxied: boolean;
}

/**
 * client-node's Exec asks its KubeConfig for connection options on every call and gets a fresh
 * agent and freshly parsed certificates each time: a full TLS handshake per command, which for
 * 100 nodes x 13 commands costs seconds of CPU. This KubeConfig hands Exec the shared agent and
 * secure context instead, so handshakes resume the cached TLS session.
 */
class SharedTlsKubeConfig extends KubeConfig {
  constructor(
    private readonly base: KubeConfig,
    private readonly shared: () => Promise<SharedTls>,
  ) {
    super();
    this.loadFromOptions({
      clusters: base.getClusters(),
      users: base.getUsers(),
      contexts: base.getContexts(),
      currentContext: base.getCurrentContext(),
    });
  }

  override async applyToHTTPSOptions(opts: Parameters<KubeConfig['applyToHTTPSOptions']>[0]): Promise<void> {
    await this.base.applyToHTTPSOptions(opts);
    const t = await this.shared();
    if (t.proxied || t.secureContext === undefined) return;
    const o = opts as https.RequestOptions & { secureContext?: tls.SecureContext };
    o.agent = t.ws;
    o.secureContext = t.secureContext;
    delete o.ca;
    delete o.cert;
    delete o.key;
    delete o.pfx;
    delete o.passphrase;
  }
}

export class KubeClient {
  private tls: Promise<SharedTls> | undefined;
  private execKc: KubeConfig | undefined;

  constructor(readonly access: ClusterAccess) {}

  get server(): string {
    return this.access.server;
  }

  /** The KubeConfig to give client-node's Exec (shares this client's TLS). */
  get execConfig(): KubeConfig {
    this.execKc ??= new SharedTlsKubeConfig(this.access.kc, () => this.sharedTls());
    return this.execKc;
  }

  private sharedTls(): Promise<SharedTls> {
    this.tls ??= (async () => {
      const opts: https.RequestOptions = {};
      await this.access.kc.applyToHTTPSOptions(opts);
      const cluster = this.access.kc.getCurrentCluster();
      if (cluster?.proxyUrl) {
        // client-node builds the proxy agent (HTTP CONNECT or SOCKS); use it as it is.
        return { rest: opts.agent as http.Agent, ws: opts.agent as http.Agent, proxied: true };
      }
      if (this.server.startsWith('http:'))
        return {
          rest: new http.Agent({ keepAlive: true, maxSockets: REST_SOCKETS }),
          ws: new http.Agent(),
          proxied: false,
        };
      const ctx: tls.SecureContextOptions = {};
      if (opts.ca !== undefined) ctx.ca = opts.ca;
      if (opts.cert !== undefined) ctx.cert = opts.cert;
      if (opts.key !== undefined) ctx.key = opts.key;
      if (opts.pfx !== undefined) ctx.pfx = opts.pfx;
      if (opts.passphrase !== undefined) ctx.passphrase = opts.passphrase;
      const secureContext = tls.createSecureContext(ctx);
      const agentOpts: https.AgentOptions = { secureContext, maxCachedSessions: 1000 };
      if (opts.rejectUnauthorized !== undefined) agentOpts.rejectUnauthorized = opts.rejectUnauthorized;
      if (cluster?.skipTLSVerify) agentOpts.rejectUnauthorized = false;
      if (cluster?.tlsServerName) agentOpts.servername = cluster.tlsServerName;
      return {
        rest: new https.Agent({ ...agentOpts, keepAlive: true, maxSockets: REST_SOCKETS }),
        ws: new https.Agent(agentOpts),
        secureContext,
        proxied: false,
      };
    })();
    return this.tls;
  }

  /** Credentials for one request; client-node refreshes plugin tokens here. */
  private async connectionOptions(): Promise<{ agent: http.Agent; headers: Record<string, string> }> {
    const opts: https.RequestOptions & { headers?: Record<string, string> } = {};
    await this.access.kc.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k] = String(v);
    if (typeof opts.auth === 'string' && opts.auth !== '')
      headers['Authorization'] = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    return { agent: (await this.sharedTls()).rest, headers };
  }

  /** One request; resolves with the parsed JSON body, rejects with ApiError or TransportError. */
  async request(method: string, path: string, o: RequestOptions = {}): Promise<unknown> {
    return this.attempt(method, path, o, REST_SOCKETS);
  }

  /** `resends`: how many more times a request reset on a reused socket may be sent again. */
  private async attempt(method: string, path: string, o: RequestOptions, resends: number): Promise<unknown> {
    const info = requestInfo(method, path, o.query);
    const { agent, headers } = await this.connectionOptions();
    const url = new URL(this.server + path + queryString(o.query));
    const body = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
    const timeoutMs = o.timeoutMs ?? this.access.requestTimeoutMs;
    const mod = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (code: string, message: string) => {
        if (settled) return;
        settled = true;
        reject(new TransportError(code, message, info));
      };
      const req = mod.request(
        url,
        {
          method,
          agent,
          headers: {
            ...headers,
            Accept: 'application/json',
            'User-Agent': 'kubectl-netcheck',
            ...(body !== undefined
              ? { 'Content-Type': 'application/json', 'Content-Length': String(body.length) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? 'ECONNRESET', e.message));
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text === '' ? {} : JSON.parse(text);
            } catch {
              json = undefined;
            }
            const code = res.statusCode ?? 0;
            if (code >= 200 && code < 300 && json !== undefined) resolve(json);
            else {
              const status =
                json !== undefined && typeof json === 'object' && (json as KubeStatus).kind === 'Status'
                  ? (json as KubeStatus)
                  : undefined;
              reject(new ApiError(code, status, text, info));
            }
          });
        },
      );
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              fail('TIMEOUT', `no answer within ${timeoutMs} ms`);
              req.destroy();
            }, timeoutMs)
          : undefined;
      const onAbort = () => {
        fail('ABORTED', 'aborted');
        req.destroy();
      };
      if (o.signal?.aborted) onAbort();
      o.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // A kept-alive socket the server closed as idle (Go's IdleTimeout sends no Keep-Alive hint)
        // while this process was busy: after a long hold, timers run before the close is read, so
        // the request went out on a dead socket, unread. Sent again once on a new socket, as Node's
        // docs advise (http, request.reusedSocket) and Go's transport does (issue #15: a 1,000-node
        // collection whose event loop stalled for seconds ended in ECONNRESET). Every idle socket
        // may be dead alike (the agent hands out the next one): sent again while the reset one was
        // reused, each time one dead socket fewer; a fresh socket's reset is the server's answer.
        if (resends > 0 && req.reusedSocket && e.code === 'ECONNRESET' && !settled && !o.signal?.aborted) {
          settled = true;
          o.signal?.removeEventListener('abort', onAbort);
          resolve(this.attempt(method, path, o, resends - 1));
          return;
        }
        fail(e.code ?? 'ECONNRESET', e.message);
      });
      req.on('close', () => {
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
      });
      req.end(body);
    });
  }

  /** Lists every item, following `continue` tokens in pages of 500 (what kubectl get does). */
  async list(path: string, query: RequestOptions['query'] = {}, signal?: AbortSignal): Promise<KubeObject[]> {
    const items: KubeObject[] = [];
    let cont: string | undefined;
    do {
      const o: RequestOptions = { query: { ...query, limit: 500, continue: cont } };
      if (signal !== undefined) o.signal = signal;
      const page = (await this.request('GET', path, o)) as { items?: unknown; metadata?: { continue?: string } };
      // A list always carries items (possibly []): anything else is not the Kubernetes API
      // answering (a proxy's or portal's JSON), and reading it as "no objects" would be wrong.
      if (!Array.isArray(page.items)) {
        const info = requestInfo('GET', path, o.query);
        throw new ApiError(200, undefined, JSON.stringify(page).slice(0, 300), info);
      }
      items.push(...(page.items as KubeObject[]));
      cont = page.metadata?.continue || undefined;
    } while (cont !== undefined);
    return items;
  }

  /** Closes idle keep-alive connections so the process can exit. */
  close(): void {
    void this.tls?.then((t) => {
      t.rest.destroy();
      t.ws.destroy();
    });
  }
}
