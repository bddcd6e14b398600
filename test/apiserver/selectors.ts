// Label and field selectors as kube-apiserver parses them (k8s.io/apimachinery pkg/labels,
// pkg/fields), for the double's list requests.
import type { Obj } from './status.ts';

type Requirement = (labels: Record<string, string>) => boolean;

/** labels.Parse for the equality- and set-based selector syntax. */
export function parseLabelSelector(sel: string): Requirement[] | string {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of sel) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') parts.push(cur);
  const reqs: Requirement[] = [];
  for (const raw of parts) {
    const p = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p)) !== null) {
      const [, k, op, vs] = m;
      const set = new Set(vs!.split(',').map((v) => v.trim()));
      reqs.push(
        op === 'in' ? (l) => l[k!] !== undefined && set.has(l[k!]!) : (l) => l[k!] === undefined || !set.has(l[k!]!),
      );
    } else if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(p)) !== null) {
      const [, k, op, v] = m;
      reqs.push(op === '!=' ? (l) => l[k!] !== v : (l) => l[k!] === v);
    } else if ((m = /^!([\w./-]+)$/.exec(p)) !== null) {
      const k = m[1]!;
      reqs.push((l) => l[k] === undefined);
    } else if ((m = /^([\w./-]+)$/.exec(p)) !== null) {
      const k = m[1]!;
      reqs.push((l) => l[k] !== undefined);
    } else return `unable to parse requirement: ${JSON.stringify(p)}`;
  }
  return reqs;
}

export function fieldValue(o: Obj, path: string): string | undefined {
  let cur: unknown = o;
  for (const k of path.split('.')) cur = cur !== null && typeof cur === 'object' ? (cur as Obj)[k] : undefined;
  return cur === undefined ? undefined : String(cur);
}

/** Fields each resource allows in a field selector besides metadata.name/namespace. */
export const FIELD_SELECTABLE: Record<string, string[]> = {
  pods: [
    'spec.nodeName',
    'status.phase',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.podIP',
  ],
};
