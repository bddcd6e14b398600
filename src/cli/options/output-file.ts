// collect's -o FILE, checked before collecting: a snapshot that took minutes to gather must not
// then fail on a missing directory or a path that is a directory.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../../lib/errors.ts';

/** '-' (stdout) or a file path whose directory exists and is writable, and that is not a directory. */
export function writablePath(flag: string, path: string): string {
  if (path === '-') return path;
  const abs = resolve(path);
  const existing = statSync(abs, { throwIfNoEntry: false });
  if (existing?.isDirectory() === true) throw new InputError(`${flag} ${path} is a directory; name a file in it`);
  const dir = dirname(abs);
  const parent = statSync(dir, { throwIfNoEntry: false });
  if (parent === undefined) throw new InputError(`${flag} ${path}: directory ${dir} does not exist`);
  if (!parent.isDirectory()) throw new InputError(`${flag} ${path}: ${dir} is not a directory`);
  try {
    accessSync(existing !== undefined ? abs : dir, constants.W_OK);
  } catch {
    throw new InputError(`${flag} ${path}: no permission to write ${existing !== undefined ? abs : dir}`);
  }
  return path;
}
