// A kept-alive connection the API server closes as idle while the collector is busy (its event
// loop held by seconds of work, so the server's FIN is not read in time): the next request goes
// out on the dead socket and is reset. The client sends it again once on a fresh socket
// (client.ts attempt). The server runs in its own process, as a real one does: in this process
// its idle timer could not fire while the loop is held.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { KubeClient } from '../../src/collect/kube/client.ts';
import { loadClusterAccess } from '../../src/collect/kube/kubeconfig.ts';

/** Holds the event loop, as a collector putting a 17 MB section together does. */
const busy = (ms: number): void => {
  const end = Date.now() + ms;
  while (Date.now() < end);
};

// An API server that answers every list with no items and closes a connection idle for 100 ms
// without saying so in a Keep-Alive header, as Go's net/http (kube-apiserver) does: Node's agent
// would otherwise retire the socket first (it honours "Keep-Alive: timeout=").
const SERVER = `
const s = require('node:http').createServer((req, res) => {
  res.setHeader('Content-Type', 'application/json');
  res.on('finish', () => setTimeout(() => req.socket.destroy(), 100));
  res.end(JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: [] }));
});
s.keepAliveTimeout = 0;
s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;

/** Runs `body` with a client of the server above. */
async function withServer(body: (c: KubeClient) => Promise<void>): Promise<void> {
  const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const dir = mkdtempSync(join(tmpdir(), 'netcheck-idle-'));
  try {
    const port = (await createInterface({ input: server.stdout! })[Symbol.asyncIterator]().next()).value as string;
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'u', user: {} }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    const c = new KubeClient(loadClusterAccess({ kubeconfig, env: {} }));
    try {
      await body(c);
    } finally {
      c.close();
    }
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a request on a kept-alive socket the server closed as idle is sent again, not lost', async () => {
  await withServer(async (c) => {
    for (let i = 0; i < 5; i++) {
      await c.list('/api/v1/nodes');
      // The server closes the socket at 100 ms; this process reads that only after 400.
      busy(400);
      assert.deepEqual(await c.list('/api/v1/nodes'), []);
    }
  });
});

test('with many kept-alive sockets closed as idle at once, a request still goes through', async () => {
  // A 1,000-node collection keeps up to 64 sockets (client.ts maxSockets): after a long hold the
  // agent's next free socket is as dead as the first one was.
  await withServer(async (c) => {
    for (let i = 0; i < 3; i++) {
      await Promise.all(Array.from({ length: 8 }, () => c.list('/api/v1/nodes')));
      busy(400);
      assert.deepEqual(await c.list('/api/v1/nodes'), []);
    }
  });
});
