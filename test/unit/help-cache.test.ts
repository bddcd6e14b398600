// main.ts skips yargs' layout of the chosen command's help (skipHelpCache): ~0.1 s a run. It
// reaches into yargs' internals, so a yargs that changes them fails here rather than silently
// costing the time again.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import yargs from 'yargs';
import { skipHelpCache } from '../../src/cli/main.ts';

type Usage = { hasCachedHelpMessage(): boolean };

/** A parser with one command, and whether yargs had cached its help after parsing `run`. */
async function helpCached(skip: boolean): Promise<boolean> {
  const parser = yargs(['run'])
    .command(
      'run',
      'a command',
      (y) => y.option('x', { describe: 'an option', type: 'string' }),
      () => {},
    )
    .exitProcess(false);
  if (skip) skipHelpCache(parser);
  await parser.parseAsync();
  const usage = (parser as unknown as { getInternalMethods(): { getUsageInstance(): Usage } })
    .getInternalMethods()
    .getUsageInstance();
  return usage.hasCachedHelpMessage();
}

describe('skipHelpCache', () => {
  it('yargs caches the help of the command it ran (what is skipped)', async () => {
    assert.equal(await helpCached(false), true);
  });
  it('skipped: no help laid out after the handler', async () => {
    assert.equal(await helpCached(true), false);
  });
});
