// Turns API and transport failures into one sentence that says what happened and what to do.
// The Status shapes are the API server's: RBAC denials come from
// k8s.io/apiserver/pkg/endpoints/handlers/responsewriters.ForbiddenStatusError ("<resource> is
// forbidden: User \"u\" cannot <verb> resource ..."), Pod Security denials from
// k8s.io/pod-security-admission ("violates PodSecurity \"restricted:latest\": ...").
import { ClusterError, messageOf } from '../../lib/errors.ts';
import { ApiError, TransportError } from './client.ts';
import type { RequestInfo } from './client.ts';

function where(info: RequestInfo): string {
  return info.namespace !== undefined ? `in namespace "${info.namespace}"` : 'at cluster scope';
}

export function isNotFound(e: unknown): e is ApiError {
  return e instanceof ApiError && e.code === 404;
}

export function isPodSecurityRejection(e: unknown): e is ApiError {
  return e instanceof ApiError && e.code === 403 && /violates PodSecurity/.test(e.status?.message ?? '');
}

/** The transport failure, in words a kubectl user recognises. */
export function transportMessage(e: TransportError, server: string, timeoutMs: number): string {
  switch (e.errCode) {
    case 'ECONNREFUSED':
      return `cannot reach the API server at ${server}: connection refused; check that the cluster is up and that --context/--kubeconfig select it`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot reach the API server at ${server}: its host name does not resolve; check the server URL in your kubeconfig`;
    case 'TIMEOUT':
    case 'ETIMEDOUT':
      return `the API server at ${server} did not answer within ${Math.round(timeoutMs / 1000)} s; check the network path to it, or raise --request-timeout`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `cannot reach the API server at ${server}: no route to it; check your VPN or network`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `the API server at ${server} closed the connection (${e.errCode}); check that it is healthy and retry`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `the API server at ${server} failed TLS verification (${e.errCode}); the kubeconfig's certificate-authority does not match this server`;
    default:
      return `cannot talk to the API server at ${server}: ${e.message}`;
  }
}

const HTTP_REASON: Record<number, string> = {
  200: 'OK',
  401: 'Unauthorized',
  403: 'Forbidden',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** One sentence for an API error, naming the verb and resource for RBAC denials. */
export function apiErrorMessage(e: ApiError, user: string): string {
  const info = e.info;
  const msg = e.status?.message ?? e.body.trim().slice(0, 300);
  // Every answer of the API server itself is JSON (a Status on failure); anything else came from
  // something in front of it, or from another server at that address.
  const html = /^\s*</.test(e.body);
  if (e.status === undefined && (html || e.code === 200)) {
    const what = html ? 'an HTML page' : 'something that is not a list';
    const reason = HTTP_REASON[e.code] === undefined ? '' : ` ${HTTP_REASON[e.code]}`;
    return `the server answered ${e.code}${reason} with ${what} to ${info.verb} ${info.resource} (${info.method} ${info.path.split('?')[0]}), so it is not the Kubernetes API answering; check the server URL in your kubeconfig and any proxy or load balancer in front of the API server`;
  }
  switch (e.code) {
    case 401:
      return `the API server rejected the credentials of user "${user}" (401 Unauthorized); refresh the token or certificate in your kubeconfig`;
    case 403:
      if (isPodSecurityRejection(e)) {
        const level = /violates PodSecurity "([^"]+)"/.exec(msg)?.[1] ?? 'restricted';
        return `Pod Security admission enforces "${level}" ${where(info)} and rejects the probe pod, which needs hostNetwork, hostPID and privileged; label the namespace pod-security.kubernetes.io/enforce=privileged or choose one that allows privileged pods with --probe-namespace`;
      }
      if (/is being terminated/.test(msg)) {
        return `namespace "${info.namespace ?? ''}" is being deleted; wait for it to go (kubectl get ns ${info.namespace ?? ''}) and run again`;
      }
      // Exec over a WebSocket is authorized as "get" before Kubernetes 1.35 and also as "create"
      // from 1.35 (kubernetes#134577): name both, deploy/rbac.yaml grants both.
      return info.resource === 'pods/exec'
        ? `user "${user}" may not exec into pods ${where(info)} (RBAC: ${msg}); ask a cluster admin to grant "get" and "create" on "pods/exec" (deploy/rbac.yaml)`
        : `user "${user}" may not ${info.verb} ${info.resource} ${where(info)} (RBAC: ${msg}); ask a cluster admin to grant "${info.verb}" on "${info.resource}"`;
    case 404:
      return `${info.resource} ${info.verb}: not found ${where(info)} (${msg})`;
    case 409:
      return `${info.resource} ${info.verb} conflicts with an existing object ${where(info)}: ${msg}`;
    case 422:
    case 400:
      return `the API server refused the ${info.resource} netcheck sent ${where(info)} (${e.code} ${e.status?.reason ?? ''}: ${msg}); this is a netcheck bug, please report it`;
    case 429:
      return `the API server is rate-limiting netcheck (429); retry later or lower --concurrency`;
    default:
      return e.code >= 500
        ? `the API server failed to ${info.verb} ${info.resource} ${where(info)} (${e.code} ${e.status?.reason ?? ''}: ${msg}); check its health (kubectl get --raw /readyz?verbose) and its log, and retry`
        : `the API server failed to ${info.verb} ${info.resource} ${where(info)} (${e.code}: ${msg})`;
  }
}

/** Any failure as a ClusterError (exit 3) with a one-sentence message. */
export function toClusterError(e: unknown, server: string, user: string, timeoutMs: number): ClusterError {
  if (e instanceof ClusterError) return e;
  if (e instanceof TransportError) return new ClusterError(transportMessage(e, server, timeoutMs));
  if (e instanceof ApiError) return new ClusterError(apiErrorMessage(e, user));
  return new ClusterError(messageOf(e));
}
