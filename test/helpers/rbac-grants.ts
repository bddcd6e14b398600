// Does deploy/rbac.yaml allow a request? The RBAC rule semantics of k8s.io/apiserver's
// authorizer (plugin/pkg/auth/authorizer/rbac: RuleAllows): group, resource[/subresource], verb,
// and resourceNames when the request names an object, a list with fieldSelector=metadata.name=X
// counting as naming X (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { requestInfo } from '../../src/collect/kube/client.ts';
import { REPO_ROOT } from '../apiserver/run-cli.ts';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
}

export function clusterRoleRules(file = join(REPO_ROOT, 'deploy/rbac.yaml')): Rule[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8')).map(
    (d) => d.toJSON() as { kind?: string; rules?: Rule[] },
  );
  return docs.find((d) => d.kind === 'ClusterRole')?.rules ?? [];
}

/** The verb and group/resource/name of a logged request, as the authorizer sees it. */
export function authzAttributes(
  method: string,
  pathWithQuery: string,
): { verb: string; group: string; resource: string; name?: string } {
  const [path = '', query = ''] = pathWithQuery.split('?');
  const q = new URLSearchParams(query);
  const info = requestInfo(method, path, Object.fromEntries(q));
  const [res = '', sub] = info.resource.split('/');
  const dot = res.indexOf('.');
  const group = dot < 0 ? '' : res.slice(dot + 1);
  const resource = (dot < 0 ? res : res.slice(0, dot)) + (sub !== undefined ? `/${sub}` : '');
  const parts = path.split('/').filter((p) => p !== '');
  const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  const tail = rest[0] === 'namespaces' && rest.length >= 3 ? rest.slice(2) : rest;
  let name = tail[1];
  const sel = /^metadata\.name=([^,]+)$/.exec(q.get('fieldSelector') ?? '');
  if (name === undefined && sel !== null) name = sel[1];
  return name === undefined ? { verb: info.verb, group, resource } : { verb: info.verb, group, resource, name };
}

export function allowed(rules: readonly Rule[], method: string, path: string): boolean {
  const a = authzAttributes(method, path);
  return rules.some(
    (r) =>
      (r.apiGroups ?? []).some((g) => g === '*' || g === a.group) &&
      (r.resources ?? []).some((x) => x === '*' || x === a.resource) &&
      (r.verbs ?? []).some((v) => v === '*' || v === a.verb) &&
      (r.resourceNames === undefined ||
        r.resourceNames.length === 0 ||
        (a.name !== undefined && r.resourceNames.includes(a.name))),
  );
}
