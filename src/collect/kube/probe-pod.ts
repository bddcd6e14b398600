// The probe pod and its namespace, as manifests: what `collect --dry-run` prints for a security
// review and exactly what the runner creates. The pod only sleeps; netcheck execs each read-only
// command of src/snapshot/sections.ts into it and streams the output back.
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeObject } from '../../snapshot/types.ts';
import type { PiecedSection } from '../../snapshot/pieced.ts';

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
  const slug = node
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 30)
    .replace(/-+$/, '');
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

/** Quotes one word for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface BatchCommand {
  section: string;
  argv: readonly string[];
}

export interface BatchRequest {
  commands: readonly BatchCommand[];
  dirs: readonly { dir: string; suffixes: readonly string[] }[];
  files: readonly string[];
  maxFileBytes: number;
  commandTimeoutSeconds: number;
}

/**
 * The one script exec'd into a probe pod: it runs every probe command and reads every probe file,
 * and frames the results so that each keeps its own stdout, stderr and exit code. One exec per node
 * instead of one per command: 13x fewer streams through the API server and kubelet, and fewer
 * `runc exec`s on the node. Everything it runs only prints.
 *
 * Commands prefer the node's own binary: when the node's root (PID 1's mount namespace, reached
 * with nsenter(1) thanks to hostPID) has the command, it runs there, so iptables-save is the
 * version that wrote the rules; otherwise the image's copy runs. Output goes through temporary
 * files in the container so that its size is known before it is sent:
 *   "@@netcheck C <section> <exit> <stdout bytes> <stderr bytes>" + stdout + stderr
 * Files are read in the node's mount namespace when the node has a shell (absolute symlinks then
 * resolve as on the node), else through /proc/1/root, and sent in base64:
 *   "@@netcheck D <OK|errno> <dir>" + names, one a line + "."
 *   "@@netcheck F <OK|errno> <path>" + base64 lines + "."
 */
export function batchScript(r: BatchRequest): string {
  const q = shellQuote;
  const script = [
    'export LC_ALL=C',
    't=$(mktemp -d 2>/dev/null) || { t=/tmp/netcheck.$$; mkdir -p "$t"; }',
    `trap 'rm -rf "$t"' EXIT`,
    ...execFunction(r.commandTimeoutSeconds),
    'run() {',
    '  s=$1; shift',
    '  x "$@" >"$t/o" 2>"$t/e"; rc=$?',
    '  echo "@@netcheck C $s $rc $(($(wc -c <"$t/o"))) $(($(wc -c <"$t/e")))"',
    '  cat "$t/o" "$t/e"',
    '}',
    ...r.commands.map((c) => `run ${q(c.section)} ${c.argv.map(q).join(' ')}`),
    ...FILES_PART,
  ];
  return `${fileArguments(r)}\n${script.join('\n')}`;
}

/**
 * The shell function `x ARGV...` that runs a probe command through the node's own binary when the
 * node has it, else the image's, else says "not found" on stderr with status 127.
 */
export function execFunction(commandTimeoutSeconds: number): string[] {
  return [
    `tmo=''; command -v timeout >/dev/null 2>&1 && tmo='timeout ${commandTimeoutSeconds}'`,
    'x() {',
    `  if nsenter -t 1 -m -- sh -c 'command -v "$1"' netcheck "$1" >/dev/null 2>&1; then $tmo nsenter -t 1 -m -u -n -- "$@"`,
    '  elif command -v "$1" >/dev/null 2>&1; then $tmo "$@"',
    '  else echo "$1: not found" >&2; return 127; fi',
    '}',
  ];
}

/** The file requests as the script's own arguments: MAX, an empty ROOT, then one per dir or file. */
function fileArguments(r: BatchRequest): string {
  const requests = [...r.dirs.map((d) => `D:${d.dir}|${d.suffixes.join(',')}`), ...r.files.map((f) => `F:${f}`)];
  return `set -- ${r.maxFileBytes} '' ${requests.map(shellQuote).join(' ')}`;
}

/** A script that only lists the probe directories and reads the probe files (the D and F records). */
export function filesScript(r: BatchRequest): string {
  return `${fileArguments(r)}\nexport LC_ALL=C\n${FILES_PART.join('\n')}`;
}

// $files runs with: MAX ROOT REQUEST...; a request is "D:<dir>|<suffix>,<suffix>" (list the
// directory, then send its files with those suffixes) or "F:<path>".
const FILES_PART = [
  `files='max=$1; root=$2; shift 2`,
  'file() { f=$root$1',
  '  if [ ! -e "$f" ]; then echo "@@netcheck F ENOENT $1"; elif [ -d "$f" ]; then echo "@@netcheck F EISDIR $1"; elif [ ! -r "$f" ]; then echo "@@netcheck F EACCES $1";',
  '  elif [ $(($(wc -c < "$f"))) -gt "$max" ]; then echo "@@netcheck F TOOBIG $1"; else echo "@@netcheck F OK $1"; base64 < "$f"; fi; echo .; }',
  'for a in "$@"; do',
  '  case $a in',
  '  D:*) spec=${a#D:}; p=${spec%%|*}; sufs=${spec#*|}; f=$root$p',
  '       if [ ! -e "$f" ]; then echo "@@netcheck D ENOENT $p"; echo .; elif [ ! -d "$f" ]; then echo "@@netcheck D ENOTDIR $p"; echo .;',
  '       elif [ ! -r "$f" ]; then echo "@@netcheck D EACCES $p"; echo .;',
  '       else echo "@@netcheck D OK $p"; ls -1A "$f"; echo .',
  '         ls -1A "$f" | while IFS= read -r n; do',
  '           old=$IFS; IFS=,; for s in $sufs; do case $n in *"$s") file "$p/$n";; esac; done; IFS=$old',
  '         done; fi ;;',
  '  F:*) file "${a#F:}" ;;',
  '  esac',
  `done'`,
  `if nsenter -t 1 -m -- sh -c 'command -v base64 && command -v wc && command -v ls' >/dev/null 2>&1; then`,
  '  nsenter -t 1 -m -- sh -c "$files" netcheck "$@"',
  'else m=$1; shift 2; sh -c "$files" netcheck "$m" /proc/1/root "$@"; fi',
];

/** The argv exec'd into the probe container. */
export function batchArgv(r: BatchRequest): string[] {
  return ['sh', '-c', batchScript(r)];
}

export interface BatchCommandResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The output held in the pieces it was moved in (stdout is then ''): see CommandResult.pieced. */
  pieced?: PiecedSection;
}

export interface FramedRecord {
  type: 'D' | 'F';
  path: string;
  /** "OK" or an errno-style code (ENOENT, EISDIR, EACCES, ENOTDIR, TOOBIG). */
  code: string;
  lines: string[];
}

export interface BatchResult {
  commands: Map<string, BatchCommandResult>;
  records: FramedRecord[];
}

const MARK = Buffer.from('@@netcheck ');

/** Parses batchScript output; byte counts frame command output, so any byte survives. */
export function parseBatch(out: Buffer): BatchResult {
  const commands = new Map<string, BatchCommandResult>();
  const records: FramedRecord[] = [];
  let pos = 0;
  let cur: FramedRecord | undefined;
  while (pos < out.length) {
    const nl = out.indexOf(0x0a, pos);
    const end = nl < 0 ? out.length : nl;
    const line = out.subarray(pos, end).toString('utf8');
    pos = end + 1;
    if (cur !== undefined) {
      if (line === '.') {
        records.push(cur);
        cur = undefined;
      } else cur.lines.push(line);
      continue;
    }
    if (
      !out
        .subarray(end - line.length, end)
        .subarray(0, MARK.length)
        .equals(MARK)
    )
      continue;
    const c = /^@@netcheck C (\S+) (\d+) (\d+) (\d+)$/.exec(line);
    if (c !== null) {
      const [o, e] = [Number(c[3]), Number(c[4])];
      commands.set(c[1]!, {
        code: Number(c[2]),
        stdout: out.subarray(pos, pos + o).toString('utf8'),
        stderr: out.subarray(pos + o, pos + o + e).toString('utf8'),
      });
      pos += o + e;
      continue;
    }
    const r = /^@@netcheck ([DF]) (\S+) (.*)$/.exec(line);
    if (r !== null) cur = { type: r[1] as 'D' | 'F', code: r[2]!, path: r[3]!, lines: [] };
  }
  return { commands, records };
}
