// A process that starts a small lab and then misbehaves, for the cleanup tests in
// test/lab/harness.test.ts: `node --import tsx child-lab.ts MODE` prints {prefix, pids} once the
// lab is up, then MODE decides: 'wait' (until killed); on a 'go' line on stdin, 'throw' (an
// uncaught exception) or 'forget' (let the process end without stop(): it must still exit and
// clean up).
import { lanHost, link, mergeLabs } from './builders.ts';
import { startLab } from './lab.ts';

const mode = process.argv[2] ?? 'wait';
const lab = await startLab(
  mergeLabs(
    lanHost('a'),
    lanHost('b'),
    link({ host: 'a', dev: 'eth0', addr: '10.0.0.1/24' }, { host: 'b', dev: 'eth0', addr: '10.0.0.2/24' }),
  ),
  { prefix: `child_${mode}` },
);
// An ICMP send starts the raw-socket witness (socat) in every namespace: more to clean up.
await lab.send({ from: 'a', dst: '10.0.0.2', proto: 'icmp' });
process.stdout.write(`${JSON.stringify({ prefix: lab.prefix, pids: lab.processes() })}\n`);
if (mode === 'wait') setInterval(() => undefined, 60_000);
else {
  process.stdin.once('data', () => {
    process.stdin.destroy();
    if (mode === 'throw') throw new Error('child-lab: deliberate uncaught exception');
  });
}
