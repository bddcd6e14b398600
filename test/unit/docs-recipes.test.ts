// The documentation's "how to add" recipes, applied exactly as written to a copy of src/: a new
// iptables match (docs/architecture.md) and a new doctor check (docs/design-notes.md) are each one
// file plus its registration. The copy must typecheck, the match must decide packets on both
// sides of its threshold, and the check must run in `doctor` and report what it is for. A recipe
// the code no longer accepts fails here, not in a contributor's hands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface RecipeFile {
  path: string;
  text: string;
}
interface Registration {
  path: string;
  /** The line the entries go after (its start). */
  after: string;
  lines: string[];
}

/** The recipe blocks of a Markdown document: `<!-- recipe:file P -->` and `<!-- recipe:register P after "X" -->`, each followed by a ```ts block. */
function recipes(doc: string): { files: RecipeFile[]; registrations: Registration[] } {
  const files = [...doc.matchAll(/<!-- recipe:file (\S+) -->\n```ts\n([\s\S]*?)```/g)].map((m) => ({
    path: m[1]!,
    text: m[2]!,
  }));
  const registrations = [...doc.matchAll(/<!-- recipe:register (\S+) after "([^"]+)" -->\n```ts\n([\s\S]*?)```/g)].map(
    (m) => ({ path: m[1]!, after: m[2]!, lines: m[3]!.split('\n').filter((l) => l.trim() !== '') }),
  );
  return { files, registrations };
}

/** Inserts import lines after the file's last import and the other lines after the anchor line. */
function register(source: string, r: Registration): string {
  const lines = source.split('\n');
  const imports = r.lines.filter((l) => l.startsWith('import '));
  const entries = r.lines.filter((l) => !l.startsWith('import '));
  const anchor = lines.findIndex((l) => l.startsWith(r.after));
  assert.ok(anchor >= 0, `${r.path} has no line starting with "${r.after}"`);
  lines.splice(anchor + 1, 0, ...entries);
  const lastImport = lines.reduce((last, l, i) => (/^(import .*|\}) from '[^']+';$/.test(l) ? i : last), -1);
  lines.splice(lastImport + 1, 0, ...imports);
  return lines.join('\n');
}

function applyRecipes(dir: string, doc: string): void {
  const r = recipes(readFileSync(join(ROOT, doc), 'utf8'));
  assert.ok(r.files.length === 1 && r.registrations.length === 1, `${doc}: one file and one registration`);
  for (const f of r.files) writeFileSync(join(dir, f.path), f.text);
  for (const g of r.registrations)
    writeFileSync(join(dir, g.path), register(readFileSync(join(dir, g.path), 'utf8'), g));
}

function run(cwd: string, args: string[], input?: string) {
  return spawnSync(process.execPath, args, { cwd, encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
}

test('the recipes for a new iptables match and a new doctor check work as written', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'netcheck-recipes-'));
  try {
    cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
    for (const d of ['test/helpers', 'test/unit/netfilter/helpers.ts'])
      cpSync(join(ROOT, d), join(dir, d), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ ...tsconfig, include: ['src', 'probe.ts'] }));
    applyRecipes(dir, 'docs/architecture.md');
    applyRecipes(dir, 'docs/design-notes.md');

    // The match, on both sides of its threshold.
    writeFileSync(
      join(dir, 'probe.ts'),
      `import { compileRule } from './src/engine/netfilter/compile.ts';
import { evalRule } from './src/engine/netfilter/walk.ts';
import { oneRule } from './test/helpers/iptables-inline.ts';
import { ct, host, packet } from './test/unit/netfilter/helpers.ts';
const r = oneRule('-A INPUT -m foo --bar 100 -j DROP');
const cr = compileRule(r.rule, r.table);
const env = host({ addrs: { eth0: ['192.168.1.5'] } });
const out = [200, 100, 50].map((length) => {
  const p = { ...packet({ src: '192.168.1.9', dst: '192.168.1.5' }), length };
  return evalRule(cr, { hook: 'INPUT', packet: p, ct: ct(p, 'NEW'), inIface: 'eth0', outIface: '', physdev: undefined, env, assume: () => {} }).kind;
});
const bad = compileRule(oneRule('-A INPUT -m foo --baz 1 -j DROP').rule, r.table);
console.log(JSON.stringify({ out, bad: bad.unknowns.length > 0 }));
`,
    );
    const tsc = run(dir, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
    assert.equal(tsc.status, 0, `the copy with both recipes does not typecheck:\n${tsc.stdout}${tsc.stderr}`);
    const probe = run(dir, ['--import', 'tsx', 'probe.ts']);
    assert.equal(probe.status, 0, probe.stderr);
    assert.deepEqual(JSON.parse(probe.stdout), { out: ['yes', 'no', 'no'], bad: true });

    // The check: it runs on every node of a healthy cluster and finds nothing there…
    const doctor = (snapshot: string) => {
      const r = run(dir, ['--import', 'tsx', 'src/cli/main.ts', 'doctor', '--snapshot', '-', '-o', 'json'], snapshot);
      assert.ok(r.status === 0 || r.status === 1, r.stderr);
      return JSON.parse(r.stdout) as {
        checks: { check: string; status: string; findings: number }[];
        findings: { id: string; node?: string; summary: string }[];
      };
    };
    const healthy = readFileSync(join(ROOT, 'examples/healthy.json'), 'utf8');
    const ok = doctor(healthy);
    assert.deepEqual(
      ok.checks.filter((c) => c.check === 'loopback').map((c) => [c.status, c.findings]),
      [['ran', 0]],
    );
    // …and reports node-a's loopback device when it is down.
    const snap = JSON.parse(healthy) as { hosts: Record<string, { sections: Record<string, string> }> };
    const a = snap.hosts['node-a']!.sections;
    assert.ok(a['ip-addr']!.includes('"flags":["LOOPBACK","UP","LOWER_UP"]'));
    a['ip-addr'] = a['ip-addr']!.replace('"flags":["LOOPBACK","UP","LOWER_UP"]', '"flags":["LOOPBACK"]');
    const down = doctor(JSON.stringify(snap));
    assert.deepEqual(
      down.findings.filter((f) => f.id === 'link-down').map((f) => [f.node, f.summary]),
      [['node-a', 'lo is down on node-a: it cannot deliver packets to itself']],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
