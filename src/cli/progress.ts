// Progress of probe pods, with an ora spinner on stderr — only when stderr is a terminal, so
// piped output and logs stay clean and stdout carries only the report.
import type { ProbeProgress } from '../collect/kube/probe-runner.ts';

export interface Progress {
  onProgress?: (ev: ProbeProgress) => void;
  stop(): void;
}

export async function probeProgress(stream: NodeJS.WriteStream = process.stderr): Promise<Progress> {
  if (stream.isTTY !== true) return { stop: () => undefined };
  // Loaded only for a terminal: start-up of --help and of piped runs does not pay for it.
  const { default: ora } = await import('ora');
  const spinner = ora({ text: 'reading the cluster', stream, discardStdin: false }).start();
  let done = 0;
  let failed = 0;
  const started = new Set<string>();
  return {
    onProgress(ev) {
      started.add(ev.node);
      if (ev.phase === 'done') done++;
      if (ev.phase === 'failed') failed++;
      spinner.text = `probing nodes: ${done} done${failed > 0 ? `, ${failed} failed` : ''} of ${started.size} started (${ev.node}: ${ev.phase})`;
    },
    stop() {
      if (done + failed > 0)
        spinner.stopAndPersist({
          symbol: failed > 0 ? '!' : '✔',
          text: `${done} node(s) probed${failed > 0 ? `, ${failed} failed` : ''}`,
        });
      else spinner.stop();
    },
  };
}
