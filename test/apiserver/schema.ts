// What a strict Kubernetes API server does with a request body before storing it:
// 1. decode: field names and JSON types against the resource's schema. The schema is the one
//    client-node generated from the Kubernetes OpenAPI spec (each model's attributeTypeMap), so
//    a misspelt or misplaced field is an "unknown field" exactly where kube-apiserver with
//    fieldValidation=Strict says so (apimachinery/pkg/runtime/serializer/json strict mode), and a
//    wrong type is Go's json UnmarshalTypeError. Both are 400 BadRequest.
// 2. validate: the rules of k8s.io/kubernetes/pkg/apis/core/validation (names, labels, quantities,
//    enums, required fields) for what netcheck creates, Pods and Namespaces: 422 Invalid with one
//    cause per field error, worded as field.Error prints them.
import * as k8s from '@kubernetes/client-node';

interface Attr {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

function modelAttrs(model: string): Attr[] | undefined {
  const cls = (k8s as unknown as Record<string, { getAttributeTypeMap?: () => Attr[] } | undefined>)[model];
  return cls?.getAttributeTypeMap?.();
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

function goType(type: string, format: string): string {
  if (type === 'string' || type === 'Date') return type === 'Date' ? 'v1.Time' : 'string';
  if (type === 'boolean') return 'bool';
  if (type === 'number') return format === 'int32' ? 'int32' : format === 'int64' ? 'int64' : 'float64';
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr !== null) return `[]${goType(arr[1]!, '')}`;
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map !== null) return `map[string]${goType(map[1]!, '')}`;
  return `v1.${type.replace(/^V\d+(?:(?:alpha|beta)\d+)?/, '')}`;
}

/** quantities must match this (k8s.io/apimachinery/pkg/api/resource/quantity.go). */
export const QUANTITY_RE = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const QUANTITY_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const QUANTITY_FIELDS = new Set([
  'V1ResourceRequirements.limits',
  'V1ResourceRequirements.requests',
  'V1PodSpec.overhead',
]);

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A quantity's value, or undefined when it does not parse. */
export function parseQuantity(q: string | number): number | undefined {
  if (typeof q === 'number') return q;
  const m = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:([eE][-+]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(q);
  if (m === null) return undefined;
  const base = Number(m[1]);
  if (m[2] !== undefined) return base * 10 ** Number(m[2].slice(1));
  return base * (SUFFIX[m[3] ?? ''] ?? NaN);
}

interface DecodeState {
  unknown: string[];
  typeError?: string;
}

function check(
  v: unknown,
  type: string,
  format: string,
  path: string,
  struct: string,
  field: string,
  st: DecodeState,
): void {
  if (v === null || v === undefined || st.typeError !== undefined) return;
  const typeErr = () => {
    st.typeError ??= `json: cannot unmarshal ${jsonType(v)} into Go struct field ${struct}.${path} of type ${goType(type, format)}`;
  };
  if (QUANTITY_FIELDS.has(field)) {
    if (typeof v !== 'object' || Array.isArray(v)) return typeErr();
    for (const q of Object.values(v as Record<string, unknown>)) {
      if (
        (typeof q !== 'string' && typeof q !== 'number') ||
        (typeof q === 'string' && (!QUANTITY_RE.test(q) || parseQuantity(q) === undefined))
      ) {
        st.typeError ??= QUANTITY_ERROR;
        return;
      }
    }
    return;
  }
  switch (type) {
    case 'any':
      return;
    case 'string':
    case 'Date':
      if (typeof v !== 'string') typeErr();
      return;
    case 'boolean':
      if (typeof v !== 'boolean') typeErr();
      return;
    case 'number':
      if (typeof v !== 'number' || ((format === 'int32' || format === 'int64') && !Number.isInteger(v))) typeErr();
      return;
    case 'IntOrString':
      if (typeof v !== 'number' && typeof v !== 'string') typeErr();
      return;
  }
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr !== null) {
    if (!Array.isArray(v)) return typeErr();
    v.forEach((x, i) => check(x, arr[1]!, '', `${path}[${i}]`, struct, field, st));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map !== null) {
    if (typeof v !== 'object' || Array.isArray(v)) return typeErr();
    for (const [k, x] of Object.entries(v as Record<string, unknown>))
      check(x, map[1]!, '', `${path}.${k}`, struct, field, st);
    return;
  }
  const attrs = modelAttrs(type);
  if (attrs === undefined) return;
  if (typeof v !== 'object' || Array.isArray(v)) return typeErr();
  const goStruct = type.replace(/^V\d+(?:(?:alpha|beta)\d+)?/, '');
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const a = attrs.find((at) => at.baseName === k);
    const sub = path === '' ? k : `${path}.${k}`;
    if (a === undefined) {
      st.unknown.push(`unknown field "${sub}"`);
      continue;
    }
    check(x, a.type, a.format, sub, goStruct, `${type}.${k}`, st);
  }
}

/** Decodes a body as `model` (e.g. "V1Pod"); returns the 400 message or undefined. */
export function strictDecodeError(body: unknown, model: string, kind: string, version: string): string | undefined {
  const st: DecodeState = { unknown: [] };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return `${kind} in version "${version}" cannot be handled as a ${kind}: json: cannot unmarshal ${jsonType(body)} into Go value of type v1.${kind}`;
  }
  check(body, model, '', '', model.replace(/^V\d+/, ''), model, st);
  if (st.typeError !== undefined)
    return `${kind} in version "${version}" cannot be handled as a ${kind}: ${st.typeError}`;
  if (st.unknown.length > 0)
    return `${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${st.unknown.join(', ')}`;
  return undefined;
}

// ---- validation (422) ----

export interface FieldError {
  /** StatusCause reason: FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, FieldValueDuplicate, FieldValueTooLong. */
  reason: string;
  field: string;
  message: string;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export const MSG_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
export const MSG_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const MSG_QUALIFIED =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const MSG_LABEL_VALUE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

const q = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));
const required = (field: string): FieldError => ({ reason: 'FieldValueRequired', field, message: 'Required value' });
const invalid = (field: string, v: unknown, detail: string): FieldError => ({
  reason: 'FieldValueInvalid',
  field,
  message: `Invalid value: ${q(v)}: ${detail}`,
});
const unsupported = (field: string, v: unknown, allowed: readonly string[]): FieldError => ({
  reason: 'FieldValueNotSupported',
  field,
  message: `Unsupported value: ${q(v)}: supported values: ${allowed.map((a) => `"${a}"`).join(', ')}`,
});

function nameErrors(field: string, name: string, label: boolean): FieldError[] {
  if (label) {
    const out: FieldError[] = [];
    if (name.length > 63) out.push(invalid(field, name, 'must be no more than 63 characters'));
    if (!DNS1123_LABEL.test(name)) out.push(invalid(field, name, MSG_LABEL));
    return out;
  }
  const out: FieldError[] = [];
  if (name.length > 253) out.push(invalid(field, name, 'must be no more than 253 characters'));
  if (!DNS1123_SUBDOMAIN.test(name)) out.push(invalid(field, name, MSG_SUBDOMAIN));
  return out;
}

/** Label and annotation keys: [prefix/]name (apimachinery validation.IsQualifiedName). */
function keyErrors(field: string, key: string): FieldError[] {
  const slash = key.lastIndexOf('/');
  const [prefix, name] = slash >= 0 ? [key.slice(0, slash), key.slice(slash + 1)] : ['', key];
  const out: FieldError[] = [];
  if (slash >= 0 && (prefix === '' || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)))
    out.push(invalid(field, key, `prefix part ${MSG_SUBDOMAIN}`));
  if (name === '') out.push(invalid(field, key, 'name part must be non-empty'));
  else {
    if (name.length > 63) out.push(invalid(field, key, 'name part must be no more than 63 characters'));
    if (!QUALIFIED_NAME.test(name)) out.push(invalid(field, key, MSG_QUALIFIED));
  }
  return out;
}

function metadataErrors(meta: Record<string, unknown> | undefined, labelName: boolean): FieldError[] {
  const out: FieldError[] = [];
  const name = meta?.['name'];
  if (typeof name !== 'string' || name === '') {
    if (typeof meta?.['generateName'] !== 'string')
      out.push({ ...required('metadata.name'), message: 'Required value: name or generateName is required' });
  } else out.push(...nameErrors('metadata.name', name, labelName));
  const labels = (meta?.['labels'] ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(labels)) {
    out.push(...keyErrors('metadata.labels', k));
    if (v.length > 63) out.push(invalid('metadata.labels', v, 'must be no more than 63 characters'));
    if (!LABEL_VALUE.test(v)) out.push(invalid('metadata.labels', v, MSG_LABEL_VALUE));
  }
  const annotations = (meta?.['annotations'] ?? {}) as Record<string, string>;
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    out.push(...keyErrors('metadata.annotations', k));
    size += k.length + v.length;
  }
  if (size > 256 * 1024)
    out.push({
      reason: 'FieldValueTooLong',
      field: 'metadata.annotations',
      message: 'Too long: must have at most 262144 bytes',
    });
  return out;
}

const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

function resourceErrors(field: string, res: Record<string, unknown> | undefined): FieldError[] {
  const out: FieldError[] = [];
  const limits = (res?.['limits'] ?? {}) as Record<string, string | number>;
  const requests = (res?.['requests'] ?? {}) as Record<string, string | number>;
  for (const [kind, list] of [
    ['limits', limits],
    ['requests', requests],
  ] as const) {
    for (const [name, v] of Object.entries(list)) {
      const f = `${field}.${kind}[${name}]`;
      if (!STANDARD_RESOURCES.has(name) && !name.startsWith('hugepages-') && !name.includes('/')) {
        out.push(invalid(`${field}.${kind}[${name}]`, name, 'must be a standard resource type or fully qualified'));
      }
      const n = parseQuantity(v);
      if (n !== undefined && n < 0) out.push(invalid(f, String(v), 'must be greater than or equal to 0'));
    }
  }
  for (const [name, r] of Object.entries(requests)) {
    const l = limits[name];
    if (l === undefined) continue;
    const rn = parseQuantity(r);
    const ln = parseQuantity(l);
    if (rn !== undefined && ln !== undefined && rn > ln)
      out.push(invalid(`${field}.requests`, String(r), `must be less than or equal to ${name} limit of ${String(l)}`));
  }
  return out;
}

interface ContainerLike {
  name?: string;
  image?: string;
  imagePullPolicy?: string;
  resources?: Record<string, unknown>;
  securityContext?: { privileged?: boolean; allowPrivilegeEscalation?: boolean };
}

/** core/validation ValidatePodCreate, for the fields a probe pod uses. */
export function validatePod(pod: Record<string, unknown>, urlNamespace: string): FieldError[] {
  const meta = pod['metadata'] as Record<string, unknown> | undefined;
  const out = metadataErrors(meta, false);
  const spec = (pod['spec'] ?? {}) as Record<string, unknown>;
  const containers = (spec['containers'] ?? []) as ContainerLike[];
  if (containers.length === 0) out.push(required('spec.containers'));
  const seen = new Set<string>();
  containers.forEach((c, i) => {
    const f = `spec.containers[${i}]`;
    if (c.name === undefined || c.name === '') out.push(required(`${f}.name`));
    else {
      out.push(...nameErrors(`${f}.name`, c.name, true));
      if (seen.has(c.name))
        out.push({ reason: 'FieldValueDuplicate', field: `${f}.name`, message: `Duplicate value: ${q(c.name)}` });
      seen.add(c.name);
    }
    if (c.image === undefined || c.image.trim() === '') out.push(required(`${f}.image`));
    if (c.imagePullPolicy !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(c.imagePullPolicy)) {
      out.push(unsupported(`${f}.imagePullPolicy`, c.imagePullPolicy, ['Always', 'IfNotPresent', 'Never']));
    }
    out.push(...resourceErrors(`${f}.resources`, c.resources));
    if (c.securityContext?.privileged === true && c.securityContext.allowPrivilegeEscalation === false) {
      out.push(
        invalid(
          `${f}.securityContext`,
          'false',
          'cannot set `allowPrivilegeEscalation` to false and `privileged` to true',
        ),
      );
    }
  });
  const rp = spec['restartPolicy'];
  if (rp !== undefined && !['Always', 'OnFailure', 'Never'].includes(rp as string))
    out.push(unsupported('spec.restartPolicy', rp, ['Always', 'OnFailure', 'Never']));
  const dp = spec['dnsPolicy'];
  const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
  if (dp !== undefined && !dnsPolicies.includes(dp as string)) out.push(unsupported('spec.dnsPolicy', dp, dnsPolicies));
  const ads = spec['activeDeadlineSeconds'];
  if (typeof ads === 'number' && (ads < 1 || ads > 2147483647))
    out.push(invalid('spec.activeDeadlineSeconds', ads, 'must be between 1 and 2147483647, inclusive'));
  const tgs = spec['terminationGracePeriodSeconds'];
  if (typeof tgs === 'number' && tgs < 0)
    out.push(invalid('spec.terminationGracePeriodSeconds', tgs, 'must be greater than or equal to 0'));
  const node = spec['nodeName'];
  if (typeof node === 'string' && node !== '') out.push(...nameErrors('spec.nodeName', node, false));
  (
    (spec['tolerations'] ?? []) as {
      key?: string;
      operator?: string;
      value?: string;
      effect?: string;
      tolerationSeconds?: number;
    }[]
  ).forEach((t, i) => {
    const f = `spec.tolerations[${i}]`;
    const op = t.operator ?? 'Equal';
    if (!['Equal', 'Exists'].includes(op)) out.push(unsupported(`${f}.operator`, op, ['Equal', 'Exists']));
    if ((t.key ?? '') === '' && op !== 'Exists')
      out.push(
        invalid(
          `${f}.operator`,
          op,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    if (op === 'Exists' && (t.value ?? '') !== '')
      out.push(invalid(`${f}.operator`, t.value, "value must be empty when `operator` is 'Exists'"));
    if ((t.key ?? '') !== '') out.push(...keyErrors(`${f}.key`, t.key ?? ''));
    if (
      t.effect !== undefined &&
      t.effect !== '' &&
      !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)
    ) {
      out.push(unsupported(`${f}.effect`, t.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']));
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      out.push(invalid(`${f}.effect`, t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
  });
  ((spec['imagePullSecrets'] ?? []) as { name?: string }[]).forEach((s, i) => {
    if ((s.name ?? '') === '') out.push(required(`spec.imagePullSecrets[${i}].name`));
  });
  void urlNamespace;
  return out;
}

export function validateNamespace(ns: Record<string, unknown>): FieldError[] {
  return metadataErrors(ns['metadata'] as Record<string, unknown> | undefined, true);
}

/** `Pod "x" is invalid: ...`, with brackets around several errors, as StatusError prints them. */
export function invalidMessage(kind: string, name: string, errs: readonly FieldError[]): string {
  const each = errs.map((e) => `${e.field}: ${e.message}`);
  return `${kind} "${name}" is invalid: ${each.length === 1 ? each[0] : `[${each.join(', ')}]`}`;
}
