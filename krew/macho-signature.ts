// Checks the ad-hoc code signature of a Mach-O executable without macOS: on Apple silicon the
// kernel kills (SIGKILL, "zsh: killed") any arm64 process whose pages do not hash to the values in
// its CodeDirectory, and bun writes that signature itself when it appends the bundle to its
// runtime. Bun releases have shipped broken signatures (oven-sh/bun#29120: truncated signature;
// #39764: wrong hash of the last partial page, stale bytes after the signature), so the release
// build verifies every darwin binary before it is archived.
//
// Layout (Apple's xnu, osfmk/kern/cs_blobs.h, and EXTERNAL_HEADERS/mach-o/loader.h): the Mach-O
// header and load commands are little-endian; LC_CODE_SIGNATURE (0x1d) points at a big-endian
// SuperBlob (magic 0xfade0cc0) whose index holds the CodeDirectory (magic 0xfade0c02, slot 0).
// The CodeDirectory hashes every page of the file below codeLimit, the last page truncated at
// codeLimit; special slots (negative indices) hash other blobs of the SuperBlob, e.g. slot -2 the
// requirements blob.
import { createHash } from 'node:crypto';

const MH_MAGIC_64 = 0xfeedfacf;
const LC_CODE_SIGNATURE = 0x1d;
const LC_SEGMENT_64 = 0x19;
const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
const CSSLOT_CODEDIRECTORY = 0;
const CS_HASHTYPE_SHA1 = 1;
const CS_HASHTYPE_SHA256 = 2;

export interface SignatureCheck {
  ok: boolean;
  /** What is wrong, one entry per problem; empty when ok. */
  problems: string[];
  pages: number;
}

/** Verifies the embedded ad-hoc signature of a thin 64-bit Mach-O file. */
export function checkMachoSignature(file: Buffer): SignatureCheck {
  const problems: string[] = [];
  const fail = (p: string): SignatureCheck => ({ ok: false, problems: [...problems, p], pages: 0 });
  if (file.length < 32 || file.readUInt32LE(0) !== MH_MAGIC_64)
    return fail('not a thin 64-bit little-endian Mach-O file');
  const ncmds = file.readUInt32LE(16);
  let at = 32;
  let sig: { off: number; size: number } | undefined;
  let linkeditEnd: number | undefined;
  for (let i = 0; i < ncmds; i++) {
    const cmd = file.readUInt32LE(at);
    const size = file.readUInt32LE(at + 4);
    if (cmd === LC_CODE_SIGNATURE) sig = { off: file.readUInt32LE(at + 8), size: file.readUInt32LE(at + 12) };
    if (cmd === LC_SEGMENT_64 && file.toString('latin1', at + 8, at + 24).replace(/\0+$/, '') === '__LINKEDIT') {
      linkeditEnd = Number(file.readBigUInt64LE(at + 40)) + Number(file.readBigUInt64LE(at + 48)); // fileoff + filesize
    }
    at += size;
  }
  if (sig === undefined) return fail('no LC_CODE_SIGNATURE: the binary is not signed at all');
  if (sig.off + sig.size > file.length)
    return fail(`the signature (${sig.off}+${sig.size}) runs past the end of the file (${file.length})`);
  if (sig.off + sig.size !== file.length)
    problems.push(`${file.length - sig.off - sig.size} stray bytes after the signature`);
  if (linkeditEnd !== undefined && linkeditEnd !== sig.off + sig.size)
    problems.push(`__LINKEDIT ends at ${linkeditEnd}, the signature at ${sig.off + sig.size}`);
  const sb = file.subarray(sig.off, sig.off + sig.size);
  if (sb.readUInt32BE(0) !== CSMAGIC_EMBEDDED_SIGNATURE)
    return fail('the signature is not an embedded-signature SuperBlob');
  const count = sb.readUInt32BE(8);
  const blobs = new Map<number, Buffer>();
  for (let i = 0; i < count; i++) {
    const type = sb.readUInt32BE(12 + i * 8);
    const off = sb.readUInt32BE(16 + i * 8);
    const len = sb.readUInt32BE(off + 4);
    blobs.set(type, sb.subarray(off, off + len));
  }
  const cd = blobs.get(CSSLOT_CODEDIRECTORY);
  if (cd === undefined || cd.readUInt32BE(0) !== CSMAGIC_CODEDIRECTORY)
    return fail('no CodeDirectory in the signature');
  const hashOffset = cd.readUInt32BE(16);
  const nSpecialSlots = cd.readUInt32BE(24);
  const nCodeSlots = cd.readUInt32BE(28);
  const codeLimit = cd.readUInt32BE(32);
  const hashSize = cd.readUInt8(36);
  const hashType = cd.readUInt8(37);
  const pageSize = 2 ** cd.readUInt8(39);
  const algo = hashType === CS_HASHTYPE_SHA256 ? 'sha256' : hashType === CS_HASHTYPE_SHA1 ? 'sha1' : undefined;
  if (algo === undefined) return fail(`unknown hash type ${hashType}`);
  if (codeLimit !== sig.off)
    problems.push(
      `codeLimit ${codeLimit} is not where the signature starts (${sig.off}): ${Math.abs(sig.off - codeLimit)} bytes unsigned`,
    );
  if (nCodeSlots !== Math.ceil(codeLimit / pageSize))
    problems.push(`${nCodeSlots} code slots for ${Math.ceil(codeLimit / pageSize)} pages`);
  let bad = 0;
  for (let i = 0; i < nCodeSlots; i++) {
    const page = file.subarray(i * pageSize, Math.min((i + 1) * pageSize, codeLimit));
    const want = cd.subarray(hashOffset + i * hashSize, hashOffset + (i + 1) * hashSize);
    const got = createHash(algo).update(page).digest().subarray(0, hashSize);
    if (!got.equals(want)) bad++;
  }
  if (bad > 0) problems.push(`${bad} of ${nCodeSlots} page hashes do not match`);
  for (let slot = 1; slot <= nSpecialSlots; slot++) {
    const blob = blobs.get(slot);
    if (blob === undefined) continue; // an absent blob's slot is zero
    const want = cd.subarray(hashOffset - slot * hashSize, hashOffset - (slot - 1) * hashSize);
    const got = createHash(algo).update(blob).digest().subarray(0, hashSize);
    if (!got.equals(want)) problems.push(`special slot -${slot} does not hash its blob`);
  }
  return { ok: problems.length === 0, problems, pages: nCodeSlots };
}
