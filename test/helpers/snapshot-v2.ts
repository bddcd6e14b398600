// A snapshot written as v2 into memory (the writer streams; tests want the bytes).
import { PassThrough } from 'node:stream';
import type { Snapshot } from '../../src/snapshot/types.ts';
import { SnapshotV2Writer } from '../../src/snapshot/v2/write.ts';

export async function encodeV2(s: Snapshot): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const w = new SnapshotV2Writer(out);
  await w.head(s);
  for (const [name, h] of Object.entries(s.hosts)) await w.host(name, h);
  await w.end();
  return Buffer.concat(chunks);
}
