// The collector's ContentStore (src/collect/kube/dedup-access.ts) is bounded: past its size the
// least recently used blobs go, so a node's own content does not pile up with the cluster's size.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContentStore } from '../../src/collect/kube/dedup-access.ts';
import { blobId } from '../../src/snapshot/v2/pieces.ts';

const blob = (tag: string): [string, string] => {
  const text = `${tag}\n`.repeat(100);
  return [blobId(text), text];
};

test('past its size the store drops the least recently used blobs, keeping what is used', () => {
  const size = blob('shared')[1].length;
  const store = new ContentStore(3 * size);
  const [sharedId, shared] = blob('shared');
  assert.ok(store.put(sharedId, shared));
  const own: string[] = [];
  for (let i = 0; i < 10; i++) {
    const [id, text] = blob(`node${i}`.padEnd(6, '-'));
    assert.ok(store.put(id, text));
    own.push(id);
    // Every node uses the shared blob; its own content is used once.
    assert.equal(store.get(sharedId), shared);
    assert.ok(store.bytes <= 3 * size, `${store.bytes} bytes held`);
  }
  assert.ok(store.has(sharedId));
  assert.deepEqual(
    own.map((id) => store.has(id)),
    [false, false, false, false, false, false, false, false, true, true],
  );
});

test('a blob larger than the store is still kept until the next one comes', () => {
  const store = new ContentStore(10);
  const [id, text] = blob('big');
  assert.ok(store.put(id, text));
  assert.equal(store.get(id), text);
  const [id2, text2] = blob('bigger');
  assert.ok(store.put(id2, text2));
  assert.ok(!store.has(id) && store.has(id2));
});

test('text that is not what its id names is not kept', () => {
  const store = new ContentStore();
  assert.equal(store.put(blob('a')[0], blob('b')[1]), false);
  assert.equal(store.bytes, 0);
});
