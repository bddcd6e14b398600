// Synthetic nodes for the API server double: a command exec'd into a probe pod runs for real, in
// an "image" made of BusyBox applets (the Alpine base of the probe image: sh, awk, sha256sum,
// gzip, ...; a test leaves tools out to model an image without them), where each node's probe
// commands (iptables-nft-save, ip, sysctl, ...) are stand-ins that print the content the test gives
// for that node (bench/gen/cluster.ts at scale). nsenter always fails, as on a node without the
// tool, so the probe script takes the image's copy: the stand-in. Each pod gets its own TMPDIR.
// It counts the bytes the exec streams move: the command (it travels in the exec URL) and every
// frame sent back, with its WebSocket header.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROBE_COMMANDS } from '../../src/snapshot/sections.ts';
import { shellQuote } from '../../src/collect/kube/probe-pod.ts';
import type { HostEntry } from '../../src/snapshot/types.ts';
import type { NodeSpec } from './server.ts';
import type { Obj } from './status.ts';
import type { WsConnection } from './websocket.ts';

const BUSYBOX = '/usr/bin/busybox';

/**
 * The image's tools the probe scripts use, name → binary; an image "without gzip" leaves "gzip"
 * out. BusyBox applets but for sh and timeout: Debian's BusyBox prefers its own applets to PATH
 * (FEATURE_SH_STANDALONE, FEATURE_PREFER_APPLETS), so its sh and timeout would run its "ip" applet
 * instead of the node's stand-in; Alpine's does not, and netshoot ships coreutils' timeout.
 */
export const IMAGE_TOOLS: Readonly<Record<string, string>> = {
  sh: '/bin/dash',
  timeout: '/usr/bin/timeout',
  ...Object.fromEntries(
    ['awk', 'sha256sum', 'gzip', 'base64', 'wc', 'cat', 'ls', 'mkdir', 'rm', 'xargs', 'mktemp', 'grep'].map((t) => [
      t,
      BUSYBOX,
    ]),
  ),
};

/** IMAGE_TOOLS without `tool`. */
export function imageWithout(tool: string): Record<string, string> {
  const { [tool]: _gone, ...rest } = IMAGE_TOOLS;
  return rest;
}

/** Writes a node's command outputs where its stand-in tools read them (`dir` exists). */
export function writeNodeContent(dir: string, e: HostEntry): void {
  // Files (file:<path> sections) are read from this machine's /etc, as the script reads them.
  const commands = new Set(PROBE_COMMANDS.map((c) => c.section));
  for (const [s, text] of Object.entries(e.sections)) if (commands.has(s)) writeFileSync(join(dir, `${s}.out`), text);
  for (const [s, why] of Object.entries(e.errors))
    if (commands.has(s)) writeFileSync(join(dir, `${s}.err`), `${why}\n`);
}

/** WebSocket header bytes of a binary frame of `n` payload bytes (RFC 6455 5.2, unmasked). */
const wsHeader = (n: number): number => (n < 126 ? 2 : n < 65536 ? 4 : 10);

export class SyntheticNodes {
  readonly dir = mkdtempSync(join(tmpdir(), 'netcheck-synth-'));
  private readonly image = join(this.dir, 'image');
  private readonly children = new Set<ChildProcess>();
  private readonly written = new Set<string>();
  /** Bytes sent to the collector over exec streams (frames with headers), and received (commands). */
  sent = 0;
  received = 0;
  execs = 0;

  /**
   * @param content each node's sections and errors (read when the node is first exec'd into)
   * @param tools the image's applets
   * @param contentDir where every node's content already is, `<contentDir>/<node>/` as
   *   writeNodeContent writes it (`content` unused, nothing generated while serving)
   */
  constructor(
    private readonly content: (node: string) => HostEntry,
    tools: Readonly<Record<string, string>> = IMAGE_TOOLS,
    private readonly contentDir?: string,
  ) {
    mkdirSync(this.image);
    for (const [t, path] of Object.entries(tools)) symlinkSync(path, join(this.image, t));
    const byTool = new Map<string, { args: string; section: string }[]>();
    for (const c of PROBE_COMMANDS) {
      // "sh -c" sections call the real tool inside (conntrack -S); the node's sh is the image's.
      const argv = c.argv[0] === 'sh' ? (c.section === 'conntrack-stats' ? ['conntrack', '-S'] : []) : c.argv;
      if (argv.length === 0) continue;
      const l = byTool.get(argv[0]!) ?? [];
      l.push({ args: argv.slice(1).join(' '), section: c.section });
      byTool.set(argv[0]!, l);
    }
    for (const [tool, cases] of byTool) {
      const stub = [
        `#!${BUSYBOX} sh`,
        'case "$*" in',
        ...cases.map((c) => `${shellQuote(c.args)}) s=${shellQuote(c.section)} ;;`),
        '*) echo "unexpected: $*" >&2; exit 2 ;;',
        'esac',
        'f=$NETCHECK_NODE/$s',
        'if [ -f "$f.out" ]; then cat "$f.out"; elif [ -f "$f.err" ]; then cat "$f.err" >&2; exit 1;',
        `else echo "${tool}: not found" >&2; exit 127; fi`,
      ].join('\n');
      writeFileSync(join(this.image, tool), `${stub}\n`);
      chmodSync(join(this.image, tool), 0o755);
    }
    writeFileSync(join(this.image, 'nsenter'), `#!${BUSYBOX} sh\nexit 1\n`);
    chmodSync(join(this.image, 'nsenter'), 0o755);
  }

  /** The node's content directory, written on first use. */
  nodeDir(node: string): string {
    if (this.contentDir !== undefined) return join(this.contentDir, node);
    const d = join(this.dir, 'nodes', node);
    if (!this.written.has(node)) {
      this.written.add(node);
      mkdirSync(d, { recursive: true });
      writeNodeContent(d, this.content(node));
    }
    return d;
  }

  /** The pod's TMPDIR on `node` (where the probe keeps its outputs between execs). */
  podTmp(node: string): string {
    const d = join(this.dir, 'tmp', node);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** Forgets a node's content and state (disk), after its collection. */
  drop(node: string): void {
    rmSync(join(this.dir, 'nodes', node), { recursive: true, force: true });
    rmSync(join(this.dir, 'tmp', node), { recursive: true, force: true });
  }

  killAll(): void {
    for (const c of this.children) c.kill('SIGKILL');
  }

  close(): void {
    this.killAll();
    // A killed script may still be writing its pod state: rm retries what it finds not empty.
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 5 });
  }

  private send(ws: WsConnection, ch: number, d: Buffer): boolean {
    this.sent += d.length + 1 + wsHeader(d.length + 1);
    return ws.send(Buffer.concat([Buffer.from([ch]), d]));
  }

  private status(code: number | null): Obj {
    if (code === 0) return { metadata: {}, status: 'Success' };
    return {
      metadata: {},
      status: 'Failure',
      message: `command terminated with non-zero exit code: exit code ${code}`,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
    };
  }

  async run(ws: WsConnection, node: NodeSpec | undefined, command: string[]): Promise<void> {
    this.execs++;
    this.received += command.reduce((n, a) => n + 'command='.length + encodeURIComponent(a).length + 1, 0);
    const exe = join(this.image, command[0] ?? '');
    if (node === undefined || !existsSync(exe)) {
      this.send(ws, 3, Buffer.from(JSON.stringify(this.status(126))));
      ws.close();
      return;
    }
    const child = spawn(exe, command.slice(1), {
      env: { PATH: this.image, TMPDIR: this.podTmp(node.name), NETCHECK_NODE: this.nodeDir(node.name) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    const pump = (stream: NodeJS.ReadableStream, ch: number) =>
      stream.on('data', (d: Buffer) => {
        if (!this.send(ws, ch, d)) {
          stream.pause();
          ws.socket.once('drain', () => stream.resume());
        }
      });
    pump(child.stdout!, 1);
    pump(child.stderr!, 2);
    await new Promise<void>((resolve) =>
      child.on('close', (code) => {
        this.children.delete(child);
        this.send(ws, 3, Buffer.from(JSON.stringify(this.status(code))));
        ws.close();
        resolve();
      }),
    );
  }
}
