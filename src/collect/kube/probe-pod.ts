// The probe pod and its namespace, as manifests: what `collect --dry-run` prints for a security
// review and exactly what the runner creates. The pod only sleeps; netcheck execs each read-only
// command of probe-commands.ts into it and streams the output back.
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeObject } from '../../snapshot/types.ts';

/**
 * Default probe image. nicolaka/netshoot's Dockerfile (github.com/nicolaka/netshoot) installs
 * iproute2, iptables, ipset, ipvsadm, nftables, util-linux (nsenter) and coreutils on Alpine, and
 * it is the image kubectl users already pull for network debugging. Pinned to a tag so that every
 * run on every node uses the same tools. Its iptables is the nft flavour; iptables-legacy lives in
 * a separate Alpine package since 3.19, which is one more reason the probe prefers the node's own
 * binaries (nsenter into PID 1's mount namespace, see RUN_SCRIPT): the rules are then read by the
 * very iptables version that wrote them. Air-gapped clusters mirror it and pass --image.
 */
export const DEFAULT_PROBE_IMAGE = 'nicolaka/netshoot:v0.13';
export const DEFAULT_PROBE_NAMESPACE = 'netcheck';
export const PROBE_CONTAINER = 'probe';

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_RUN = 'netcheck.dev/run';
export const ANNOTATION_NODE = 'netcheck.dev/node';
export const ANNOTATION_OWNER = 'netcheck.dev/owner';
export const ANNOTATION_EXPIRES = 'netcheck.dev/expires-at';
export const MANAGED_BY = 'netcheck';
/** Selects every probe pod netcheck ever created, for `cleanup` and stale-pod removal. */
export const PROBE_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_COMPONENT}=probe`;

/** Backstop: the kubelet kills a probe pod this long after it started, even if netcheck died. */
export const DEFAULT_DEADLINE_SECONDS = 600;

export interface ProbePodOptions {
  node: string;
  namespace: string;
  image: string;
  imagePullSecrets: readonly string[];
  runId: string;
  deadlineSeconds: number;
  /** host/pid of this netcheck, so the next run on this machine can tell a dead run's pods. */
  owner: string;
  /** Creation time, to compute the expiry annotation. */
  now: Date;
}

/** Short random id shared by the pods of one run (label value and pod-name part). */
export function newRunId(): string {
  return randomBytes(4).toString('hex').slice(0, 6);
}

/** host/pid of this process. */
export function ownerId(): string {
  return `${hostname()}/${process.pid}`;
}

/**
 * A DNS-1123 pod name for the node: node names may be 253 characters of any DNS subdomain,
 * so the readable part is cut and a hash of the full name keeps it unique.
 */
export function probePodName(node: string, runId: string): string {
  const slug = node.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 30).replace(/-+$/, '');
  const hash = createHash('sha256').update(node).digest('hex').slice(0, 6);
  return `netcheck-${runId}-${slug === '' ? 'node' : slug}-${hash}`;
}

/** The namespace netcheck creates when it owns the probe namespace. */
export function probeNamespaceManifest(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        [LABEL_MANAGED_BY]: MANAGED_BY,
        // The probe needs hostNetwork, hostPID and privileged, which only "privileged" admits
        // (kubernetes.io/docs/concepts/security/pod-security-standards).
        'pod-security.kubernetes.io/enforce': 'privileged',
        'pod-security.kubernetes.io/audit': 'privileged',
        'pod-security.kubernetes.io/warn': 'privileged',
      },
    },
  };
}

export function probePodManifest(o: ProbePodOptions): KubeObject {
  const expires = new Date(o.now.getTime() + o.deadlineSeconds * 1000).toISOString();
  const spec: Record<string, unknown> = {
    nodeName: o.node,
    hostNetwork: true,
    hostPID: true,
    dnsPolicy: 'ClusterFirstWithHostNet',
    restartPolicy: 'Never',
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: 1,
    activeDeadlineSeconds: o.deadlineSeconds,
    // nodeName skips the scheduler, but NoExecute taints still evict: tolerate every taint.
    tolerations: [{ operator: 'Exists' }],
    containers: [
      {
        name: PROBE_CONTAINER,
        image: o.image,
        imagePullPolicy: 'IfNotPresent',
        // Idles until netcheck has exec'd every command; exits at once on SIGTERM when deleted.
        command: ['sh', '-c', `trap 'exit 0' TERM; sleep ${o.deadlineSeconds} & wait`],
        securityContext: { privileged: true },
        resources: {
          requests: { cpu: '10m', memory: '32Mi' },
          // iptables-save of a 100k-rule table needs well under 256 MiB.
          limits: { cpu: '1', memory: '512Mi' },
        },
      },
    ],
  };
  if (o.imagePullSecrets.length > 0) spec['imagePullSecrets'] = o.imagePullSecrets.map((name) => ({ name }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: probePodName(o.node, o.runId),
      namespace: o.namespace,
      labels: { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_COMPONENT]: 'probe', [LABEL_RUN]: o.runId },
      annotations: { [ANNOTATION_NODE]: o.node, [ANNOTATION_OWNER]: o.owner, [ANNOTATION_EXPIRES]: expires },
    },
    spec,
  };
}

/**
 * Runs one probe command, preferring the node's binary: when the node's root (PID 1's mount
 * namespace, reached with nsenter(1) thanks to hostPID) has the command, it runs there, so
 * iptables-save is the version that wrote the rules; otherwise the image's copy runs. Exit 127
 * with "not found" means neither has it. Argument $1... is the command's argv.
 */
export const RUN_SCRIPT = [
  'export LC_ALL=C',
  'if nsenter -t 1 -m -- sh -c \'command -v "$1"\' netcheck "$1" >/dev/null 2>&1; then',
  '  exec nsenter -t 1 -m -u -n -- "$@"',
  'fi',
  'exec "$@"',
].join('\n');

/**
 * Lists directories ("D:/dir") and prints files ("F:/path") of the node, framed for parsing:
 * a header line "<D|F> <OK|errno> <path>", then (OK) the names, one a line, or the file in base64,
 * then a line ".". Base64 keeps any byte intact and never prints a "." line. It runs in the node's
 * mount namespace when the node has a shell, so that absolute symlinks resolve as on the node;
 * otherwise in the image, through /proc/1/root. $1 is the size limit, then the requests.
 */
export const FILES_SCRIPT = [
  'export LC_ALL=C',
  "body='max=$1; root=$2; shift 2",
  'for a in "$@"; do',
  '  p=${a#?:}; f=$root$p',
  '  case $a in',
  '  D:*) if [ ! -e "$f" ]; then echo "D ENOENT $p"; elif [ ! -d "$f" ]; then echo "D ENOTDIR $p"; elif [ ! -r "$f" ]; then echo "D EACCES $p";',
  '       else echo "D OK $p"; ls -1A "$f"; fi ;;',
  '  F:*) if [ ! -e "$f" ]; then echo "F ENOENT $p"; elif [ -d "$f" ]; then echo "F EISDIR $p"; elif [ ! -r "$f" ]; then echo "F EACCES $p";',
  '       elif [ $(($(wc -c < "$f"))) -gt "$max" ]; then echo "F TOOBIG $p"; else echo "F OK $p"; base64 < "$f"; fi ;;',
  '  esac',
  '  echo .',
  "done'",
  'max=$1; shift',
  "if nsenter -t 1 -m -- sh -c 'command -v base64 && command -v wc && command -v ls' >/dev/null 2>&1; then",
  '  exec nsenter -t 1 -m -- sh -c "$body" netcheck "$max" "" "$@"',
  'fi',
  'exec sh -c "$body" netcheck "$max" /proc/1/root "$@"',
].join('\n');

/** The argv exec'd into the probe container for one probe command. */
export function runArgv(argv: readonly string[]): string[] {
  return ['sh', '-c', RUN_SCRIPT, 'netcheck', ...argv];
}

/** The argv that lists directories and reads files; requests are "D:/dir" or "F:/path". */
export function filesArgv(maxBytes: number, requests: readonly string[]): string[] {
  return ['sh', '-c', FILES_SCRIPT, 'netcheck-files', String(maxBytes), ...requests];
}

export interface FramedRecord {
  type: 'D' | 'F';
  path: string;
  /** "OK" or an errno-style code (ENOENT, EISDIR, EACCES, ENOTDIR, TOOBIG). */
  code: string;
  lines: string[];
}

/** Parses FILES_SCRIPT output into one record per request. */
export function parseFramed(stdout: string): FramedRecord[] {
  const out: FramedRecord[] = [];
  let cur: FramedRecord | undefined;
  for (const line of stdout.split('\n')) {
    if (cur === undefined) {
      const m = /^([DF]) (\S+) (.*)$/.exec(line);
      if (m !== null) cur = { type: m[1] as 'D' | 'F', code: m[2]!, path: m[3]!, lines: [] };
      continue;
    }
    if (line === '.') {
      out.push(cur);
      cur = undefined;
    } else cur.lines.push(line);
  }
  return out;
}
