// Ad-hoc signs a Mach-O executable, as `codesign --force --sign -` does, without macOS. Needed
// because bun 1.4.5 does not re-sign darwin/amd64 output at all: the file keeps the bun runtime's
// own Developer ID signature (hardened runtime, team ID, CMS blob) whose page hashes no longer
// match once the bundle is appended, and a process with the hardened-runtime flag is killed when
// it pages in code that fails validation. The signature written is the one bun writes, validly,
// for darwin/arm64 (and Go's linker, cmd/internal/codesign, for every darwin binary): a SuperBlob
// holding one CodeDirectory (version 0x20400, flags adhoc|linker-signed, SHA-256 over 4 KiB pages
// up to the signature, exec segment = __TEXT), no requirements, no CMS.
// Layout references: xnu osfmk/kern/cs_blobs.h, EXTERNAL_HEADERS/mach-o/loader.h.
import { createHash } from 'node:crypto';

const MH_MAGIC_64 = 0xfeedfacf;
const MH_EXECUTE = 2;
const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;
const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
const CS_ADHOC = 0x2;
const CS_LINKER_SIGNED = 0x20000;
const CS_EXECSEG_MAIN_BINARY = 0x1;
const CS_HASHTYPE_SHA256 = 2;
const PAGE_SHIFT = 12;
const PAGE = 1 << PAGE_SHIFT;
/** __LINKEDIT's vmsize is its filesize rounded up to this (as bun's valid arm64 output has it). */
const SEGMENT_ALIGN = 0x1000;
const CD_HEADER = 88;

interface Layout {
  sigCmd: number;
  sigOff: number;
  linkeditCmd: number;
  linkeditFileoff: number;
  textFileoff: number;
  textFilesize: number;
  filetype: number;
}

function layout(file: Buffer): Layout {
  if (file.readUInt32LE(0) !== MH_MAGIC_64) throw new Error('not a thin 64-bit little-endian Mach-O file');
  const ncmds = file.readUInt32LE(16);
  const l: Partial<Layout> = { filetype: file.readUInt32LE(12) };
  let at = 32;
  for (let i = 0; i < ncmds; i++) {
    const cmd = file.readUInt32LE(at);
    if (cmd === LC_CODE_SIGNATURE) {
      l.sigCmd = at;
      l.sigOff = file.readUInt32LE(at + 8);
    }
    if (cmd === LC_SEGMENT_64) {
      const name = file.toString('latin1', at + 8, at + 24).replace(/\0+$/, '');
      if (name === '__LINKEDIT') {
        l.linkeditCmd = at;
        l.linkeditFileoff = Number(file.readBigUInt64LE(at + 40));
      }
      if (name === '__TEXT') {
        l.textFileoff = Number(file.readBigUInt64LE(at + 40));
        l.textFilesize = Number(file.readBigUInt64LE(at + 48));
      }
    }
    at += file.readUInt32LE(at + 4);
  }
  if (l.sigCmd === undefined || l.linkeditCmd === undefined || l.textFilesize === undefined)
    throw new Error('no LC_CODE_SIGNATURE, __LINKEDIT or __TEXT: cannot re-sign in place');
  return l as Layout;
}

/** The file with its signature replaced by an ad-hoc one for `identifier`. */
export function adhocSign(input: Buffer, identifier: string): Buffer {
  const l = layout(input);
  const codeLimit = l.sigOff;
  const ident = Buffer.from(`${identifier}\0`, 'latin1');
  const nCodeSlots = Math.ceil(codeLimit / PAGE);
  const hashOffset = CD_HEADER + ident.length;
  const cdLength = hashOffset + nCodeSlots * 32;
  const sigSize = 20 + cdLength;
  // The load commands are in the first page, which is hashed: fix them first.
  const out = Buffer.alloc(codeLimit + sigSize);
  input.copy(out, 0, 0, codeLimit);
  out.writeUInt32LE(sigSize, l.sigCmd + 12);
  const linkeditSize = codeLimit + sigSize - l.linkeditFileoff;
  out.writeBigUInt64LE(BigInt(linkeditSize), l.linkeditCmd + 48); // filesize
  out.writeBigUInt64LE(BigInt(Math.ceil(linkeditSize / SEGMENT_ALIGN) * SEGMENT_ALIGN), l.linkeditCmd + 32); // vmsize

  const sb = out.subarray(codeLimit);
  sb.writeUInt32BE(CSMAGIC_EMBEDDED_SIGNATURE, 0);
  sb.writeUInt32BE(sigSize, 4);
  sb.writeUInt32BE(1, 8); // one blob
  sb.writeUInt32BE(0, 12); // CSSLOT_CODEDIRECTORY
  sb.writeUInt32BE(20, 16);
  const cd = sb.subarray(20);
  cd.writeUInt32BE(CSMAGIC_CODEDIRECTORY, 0);
  cd.writeUInt32BE(cdLength, 4);
  cd.writeUInt32BE(0x20400, 8);
  cd.writeUInt32BE(CS_ADHOC | CS_LINKER_SIGNED, 12);
  cd.writeUInt32BE(hashOffset, 16);
  cd.writeUInt32BE(CD_HEADER, 20); // identOffset
  cd.writeUInt32BE(0, 24); // nSpecialSlots
  cd.writeUInt32BE(nCodeSlots, 28);
  cd.writeUInt32BE(codeLimit, 32);
  cd.writeUInt8(32, 36); // hashSize
  cd.writeUInt8(CS_HASHTYPE_SHA256, 37);
  cd.writeUInt8(0, 38); // platform
  cd.writeUInt8(PAGE_SHIFT, 39);
  // 40 spare2, 44 scatterOffset, 48 teamOffset, 52 spare3, 56 codeLimit64: all zero
  cd.writeBigUInt64BE(BigInt(l.textFileoff), 64); // execSegBase
  cd.writeBigUInt64BE(BigInt(l.textFilesize), 72); // execSegLimit
  cd.writeBigUInt64BE(BigInt(l.filetype === MH_EXECUTE ? CS_EXECSEG_MAIN_BINARY : 0), 80);
  ident.copy(cd, CD_HEADER);
  for (let i = 0; i < nCodeSlots; i++) {
    createHash('sha256')
      .update(out.subarray(i * PAGE, Math.min((i + 1) * PAGE, codeLimit)))
      .digest()
      .copy(cd, hashOffset + i * 32);
  }
  return out;
}
