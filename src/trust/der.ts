/**
 * Just enough DER (ITU-T X.690) to read and write SM2 keys and signatures: definite
 * lengths only, no indefinite forms, every element consumed exactly.
 */
export interface DerNode {
  tag: number;
  /** The content octets. */
  value: Buffer;
  /** Sub-elements when the tag is constructed (bit 0x20). */
  children: DerNode[];
}

export class DerError extends Error {}

function readLength(bytes: Buffer, offset: number): { length: number; next: number } {
  const first = bytes[offset];
  if (first === undefined) throw new DerError('truncated length');
  if (first < 0x80) return { length: first, next: offset + 1 };
  const count = first & 0x7f;
  if (count === 0 || count > 4) throw new DerError('unsupported length form');
  let length = 0;
  for (let i = 1; i <= count; i++) {
    const b = bytes[offset + i];
    if (b === undefined) throw new DerError('truncated length');
    length = length * 256 + b;
  }
  if (length < 0x80 || (count > 1 && bytes[offset + 1] === 0))
    throw new DerError('non-minimal length');
  return { length, next: offset + 1 + count };
}

function readNodes(bytes: Buffer): DerNode[] {
  const nodes: DerNode[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const tag = bytes[offset]!;
    if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
    const { length, next } = readLength(bytes, offset + 1);
    if (next + length > bytes.length) throw new DerError('element runs past the end');
    const value = bytes.subarray(next, next + length);
    nodes.push({ tag, value, children: (tag & 0x20) !== 0 ? readNodes(value) : [] });
    offset = next + length;
  }
  return nodes;
}

/** Parses one DER element that must fill `bytes` exactly. */
export function parseDer(bytes: Buffer): DerNode {
  const nodes = readNodes(bytes);
  if (nodes.length !== 1) throw new DerError('expected exactly one element');
  return nodes[0]!;
}

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const out: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) out.unshift(n & 0xff);
  return Buffer.from([0x80 | out.length, ...out]);
}

export const derElement = (tag: number, value: Buffer): Buffer =>
  Buffer.concat([Buffer.from([tag]), encodeLength(value.length), value]);

export const derSequence = (...items: Buffer[]): Buffer => derElement(0x30, Buffer.concat(items));

/** A non-negative INTEGER, minimally encoded. */
export function derUnsigned(value: bigint): Buffer {
  if (value < 0n) throw new DerError('negative integers are not supported');
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0]! & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return derElement(0x02, bytes);
}

/** Reads a non-negative, minimally encoded INTEGER. */
export function readUnsigned(node: DerNode): bigint {
  if (node.tag !== 0x02 || node.value.length === 0) throw new DerError('expected an INTEGER');
  const v = node.value;
  if ((v[0]! & 0x80) !== 0) throw new DerError('negative INTEGER');
  if (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0) throw new DerError('non-minimal INTEGER');
  return BigInt(`0x${v.toString('hex')}`);
}

/** Dotted OID text from an OBJECT IDENTIFIER node. */
export function readOid(node: DerNode): string {
  if (node.tag !== 0x06 || node.value.length === 0)
    throw new DerError('expected an OBJECT IDENTIFIER');
  const parts: number[] = [];
  let acc = 0;
  for (const b of node.value) {
    acc = acc * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(acc);
      acc = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...parts].join('.');
}

/** PEM blocks of one label in `text` (base64 bodies decoded). */
export function pemBlocks(text: string): { label: string; der: Buffer }[] {
  const out: { label: string; der: Buffer }[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out.push({ label: m[1]!, der: Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64') });
  }
  return out;
}

export function toPem(label: string, der: Buffer): string {
  const body = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}
