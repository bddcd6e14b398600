// .ci/install-packages, the apt step of .ci/run, with apt-get and dpkg replaced by scripts that
// log their arguments and fail on cue: it installs only the packages of missing commands, repairs
// and retries once when apt fails, and names the package that still fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../apiserver/run-cli.ts';

const BASH = ['/bin/bash', '/usr/bin/bash'].find((p) => existsSync(p));

describe('.ci/install-packages', { skip: BASH === undefined ? 'no bash' : false }, () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'netcheck-ci-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the script with only `have` as commands on PATH; apt-get fails `install` as `failures` says. */
  function install(name: string, have: string[], failures: { always?: string; firstInstall?: boolean }) {
    const stubs = join(dir, name);
    mkdirSync(stubs);
    const log = join(stubs, 'log');
    const stub = (cmd: string, body: string) => {
      writeFileSync(join(stubs, cmd), `#!${BASH}\necho "${cmd} $*" >> ${log}\n${body}\n`);
      chmodSync(join(stubs, cmd), 0o755);
    };
    stub(
      'apt-get',
      `[ "$1" = update ] || [ "\${@: -1}" = update ] && exit 0
for a in "$@"; do [ "$a" = "${failures.always ?? '-'}" ] && { echo "E: $a: dpkg error" >&2; exit 100; }; done
if ${failures.firstInstall === true} && [ ! -e ${stubs}/failed-once ]; then : > ${stubs}/failed-once; echo "E: dpkg was interrupted" >&2; exit 100; fi
exit 0`,
    );
    stub('dpkg', 'exit 0');
    for (const c of have) stub(c, 'exit 0');
    const r = spawnSync(BASH!, [join(REPO_ROOT, '.ci/install-packages')], {
      env: { PATH: stubs },
      encoding: 'utf8',
    });
    const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
    return { code: r.status, stderr: r.stderr, calls };
  }

  const installs = (calls: string[]) =>
    calls.filter((c) => c.startsWith('apt-get') && / install /.test(c)).map((c) => c.replace(/^.* install/, 'install'));

  test('installs only the packages of missing commands (kubectl present: no kubernetes-client)', () => {
    const r = install('some', ['kubectl', 'ip', 'zsh'], {});
    assert.equal(r.code, 0, r.stderr);
    const [only, ...more] = installs(r.calls);
    assert.deepEqual(more, []);
    assert.match(
      only!,
      /install iptables nftables ipset ipvsadm conntrack tcpdump socat iputils-ping openssl python3$/,
    );
    assert.doesNotMatch(only!, /kubernetes-client|iproute2|zsh/);
  });

  test('nothing missing: no apt at all', () => {
    const all = ['ip', 'iptables-legacy-save', 'nft', 'ipset', 'ipvsadm', 'conntrack', 'tcpdump', 'socat', 'ping'];
    const r = install('none', [...all, 'openssl', 'kubectl', 'zsh', 'python3'], {});
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.calls, []);
  });

  test('a half-configured dpkg: repair with dpkg --configure -a, retry each package once, succeed', () => {
    const r = install('repair', ['kubectl', 'ip', 'zsh', 'python3', 'openssl', 'ping', 'socat', 'tcpdump'], {
      firstInstall: true,
    });
    assert.equal(r.code, 0, r.stderr);
    const i = r.calls.indexOf('dpkg --configure -a');
    assert.ok(i > 0, r.calls.join('\n'));
    assert.match(r.calls[i + 1]!, / install -f$/);
    assert.deepEqual(installs(r.calls.slice(i + 2)), [
      'install iptables',
      'install nftables',
      'install ipset',
      'install ipvsadm',
      'install conntrack',
    ]);
    assert.match(r.stderr, /repairing .* retrying/);
  });

  test('a package that still fails is named, and the run fails', () => {
    const r = install('broken', ['kubectl', 'ip', 'zsh', 'python3', 'openssl', 'ping', 'socat', 'tcpdump'], {
      always: 'nftables',
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot install nftables \(/);
    assert.doesNotMatch(r.stderr, /cannot install .*ipset/);
  });
});
