/**
 * GM/T 0003.2-2012 SM2 digital signatures with SM3 (GM/T 0004), the distinguishing ID set
 * to GM/T 0009's default "1234567812345678", interoperable with the openssl CLI:
 *   openssl dgst -sm3 -sign key.pem -sigopt distid:1234567812345678 -out sig FILE
 *   openssl dgst -sm3 -verify pub.pem -sigopt distid:1234567812345678 -signature sig FILE
 *
 * Why the curve arithmetic is written out here: Node's `crypto.sign` cannot set the SM2
 * distinguishing ID. A key from `generateKeyPairSync('ec', {namedCurve: 'SM2'})` signs
 * plain ECDSA over the SM2 curve, and a key read from PEM signs SM2 with an *empty* ID,
 * so neither interoperates. The math is small and fully specified:
 *   Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA),  e = SM3(Z ‖ M)
 *   (x1, y1) = kG,  r = (e + x1) mod n,  s = (1 + d)^-1 (k − r·d) mod n
 * Signatures are DER SEQUENCE { r INTEGER, s INTEGER }, as openssl writes them.
 *
 * BigInt arithmetic is not constant-time; signing is meant for the signer's own machine,
 * where timing side channels are not reachable by an attacker. Verification uses only
 * public values.
 */
import { createHash, randomBytes } from 'node:crypto';
import { FerryError } from '../core/errors.js';
import {
  type DerNode,
  derElement,
  derSequence,
  derUnsigned,
  parseDer,
  pemBlocks,
  readOid,
  readUnsigned,
  toPem,
} from './der.js';

/** GM/T 0009-2012's default user ID, which openssl's `distid` must be set to as well. */
export const SM2_DEFAULT_ID = '1234567812345678';

const P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
const A = 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn;
const B = 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n;
const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const GX = 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n;
const GY = 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n;

const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const OID_SM2 = '1.2.156.10197.1.301';
/** AlgorithmIdentifier { id-ecPublicKey, sm2 }: what openssl 3 writes for SM2 keys. */
const SM2_ALGORITHM = Buffer.from('301306072a8648ce3d020106082a811ccf5501822d', 'hex');

export interface Sm2Point {
  x: bigint;
  y: bigint;
}

export interface Sm2KeyPair {
  /** PKCS#8 PEM ("PRIVATE KEY"), as `openssl genpkey -algorithm SM2` writes. */
  privateKeyPem: string;
  /** SubjectPublicKeyInfo PEM ("PUBLIC KEY"). */
  publicKeyPem: string;
}

const SECRET_KEY_HINT =
  'Give the SM2 secret key that "ferry keygen --sm2" or "openssl genpkey -algorithm SM2" wrote (unencrypted PEM, "PRIVATE KEY").';
const PUBLIC_KEY_HINT =
  'Give the SM2 public key that "ferry keygen --sm2" or "openssl pkey -pubout" wrote (PEM, "PUBLIC KEY").';

const badKey = (message: string, hint: string): FerryError =>
  new FerryError('ERR_FERRY_BAD_KEY', message, { hint });

/** SM3 digest (GM/T 0004) of `data`. */
export const sm3 = (data: Uint8Array): Buffer => createHash('sm3').update(data).digest();

const mod = (a: bigint, m: bigint): bigint => {
  const r = a % m;
  return r < 0n ? r + m : r;
};

function modPow(base: bigint, exponent: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}

/** Inverse modulo a prime (P and N are prime). */
const inv = (a: bigint, m: bigint): bigint => modPow(a, m - 2n, m);

// Jacobian coordinates (X, Y, Z) ↔ affine (X/Z², Y/Z³); Z = 0 is the point at infinity.
type Jacobian = [bigint, bigint, bigint];
const INFINITY: Jacobian = [1n, 1n, 0n];

function double([x, y, z]: Jacobian): Jacobian {
  if (z === 0n || y === 0n) return INFINITY;
  const yy = (y * y) % P;
  const s = (4n * x * yy) % P;
  const zz = (z * z) % P;
  // a = −3: M = 3(X − Z²)(X + Z²)
  const m = mod(3n * (x - zz) * (x + zz), P);
  const x3 = mod(m * m - 2n * s, P);
  const y3 = mod(m * (s - x3) - 8n * yy * yy, P);
  const z3 = (2n * y * z) % P;
  return [x3, y3, z3];
}

function add(p: Jacobian, q: Jacobian): Jacobian {
  if (p[2] === 0n) return q;
  if (q[2] === 0n) return p;
  const z1z1 = (p[2] * p[2]) % P;
  const z2z2 = (q[2] * q[2]) % P;
  const u1 = (p[0] * z2z2) % P;
  const u2 = (q[0] * z1z1) % P;
  const s1 = (p[1] * q[2] * z2z2) % P;
  const s2 = (q[1] * p[2] * z1z1) % P;
  if (u1 === u2) return s1 === s2 ? double(p) : INFINITY;
  const h = mod(u2 - u1, P);
  const r = mod(s2 - s1, P);
  const hh = (h * h) % P;
  const hhh = (hh * h) % P;
  const x3 = mod(r * r - hhh - 2n * u1 * hh, P);
  const y3 = mod(r * (u1 * hh - x3) - s1 * hhh, P);
  const z3 = (h * p[2] * q[2]) % P;
  return [x3, y3, z3];
}

function multiply(k: bigint, point: Sm2Point): Jacobian {
  let result = INFINITY;
  let addend: Jacobian = [point.x, point.y, 1n];
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) result = add(result, addend);
    addend = double(addend);
  }
  return result;
}

function toAffine([x, y, z]: Jacobian): Sm2Point | undefined {
  if (z === 0n) return undefined;
  const zi = inv(z, P);
  const zi2 = (zi * zi) % P;
  return { x: (x * zi2) % P, y: (y * zi2 * zi) % P };
}

const G: Sm2Point = { x: GX, y: GY };

const isOnCurve = ({ x, y }: Sm2Point): boolean =>
  x >= 0n && x < P && y >= 0n && y < P && mod(y * y - (x * x * x + A * x + B), P) === 0n;

const to32 = (v: bigint): Buffer => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
const fromBytes = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);

function publicPointOf(d: bigint): Sm2Point {
  const q = toAffine(multiply(d, G));
  if (q === undefined) throw badKey('The SM2 private key is invalid', SECRET_KEY_HINT);
  return q;
}

/** Z_A of GM/T 0003.2 §5.5 for a public key and user ID. */
export function sm2Za(publicKey: Sm2Point, id: string = SM2_DEFAULT_ID): Buffer {
  const idBytes = Buffer.from(id, 'utf8');
  const bits = idBytes.length * 8;
  if (bits > 0xffff)
    throw new FerryError('ERR_FERRY_BAD_KEY', 'The SM2 user ID is too long', {
      hint: `Use an SM2 user ID of at most 8191 bytes (the default is ${SM2_DEFAULT_ID}).`,
    });
  return sm3(
    Buffer.concat([
      Buffer.from([bits >> 8, bits & 0xff]),
      idBytes,
      to32(A),
      to32(B),
      to32(GX),
      to32(GY),
      to32(publicKey.x),
      to32(publicKey.y),
    ]),
  );
}

function decodePoint(bytes: Buffer): Sm2Point {
  let point: Sm2Point;
  if (bytes.length === 65 && bytes[0] === 4) {
    point = { x: fromBytes(bytes.subarray(1, 33)), y: fromBytes(bytes.subarray(33, 65)) };
  } else if (bytes.length === 33 && (bytes[0] === 2 || bytes[0] === 3)) {
    // P ≡ 3 (mod 4), so a square root is a single exponentiation.
    const x = fromBytes(bytes.subarray(1, 33));
    let y = modPow(mod(x * x * x + A * x + B, P), (P + 1n) / 4n, P);
    if ((y & 1n) !== BigInt(bytes[0]! & 1)) y = P - y;
    point = { x, y };
  } else {
    throw badKey(
      'The SM2 public key point is not an uncompressed or compressed EC point',
      PUBLIC_KEY_HINT,
    );
  }
  if (!isOnCurve(point))
    throw badKey('The SM2 public key point is not on the SM2 curve', PUBLIC_KEY_HINT);
  return point;
}

const encodePoint = (q: Sm2Point): Buffer =>
  Buffer.concat([Buffer.from([4]), to32(q.x), to32(q.y)]);

function checkAlgorithm(alg: DerNode | undefined): void {
  const [oid, params] = alg?.children ?? [];
  if (oid === undefined)
    throw badKey(
      'The key has no algorithm identifier',
      'Give an SM2 key in PEM, as "ferry keygen --sm2" or "openssl genpkey -algorithm SM2" write them.',
    );
  const algOid = readOid(oid);
  if (algOid === OID_SM2) return;
  if (
    algOid === OID_EC_PUBLIC_KEY &&
    params !== undefined &&
    params.tag === 0x06 &&
    readOid(params) === OID_SM2
  ) {
    return;
  }
  throw badKey(
    'This is not an SM2 key (the algorithm is not SM2 or the curve is not sm2)',
    'Give an SM2 key in PEM, as "ferry keygen --sm2" or "openssl genpkey -algorithm SM2" write them; an Ed25519 key is a minisign file.',
  );
}

function readEcPrivateKey(node: DerNode): { d: bigint; q?: Sm2Point } {
  const [version, secret, ...rest] = node.children;
  if (
    node.tag !== 0x30 ||
    version === undefined ||
    readUnsigned(version) !== 1n ||
    secret?.tag !== 0x04
  ) {
    throw badKey('The SM2 private key is not an ECPrivateKey structure', SECRET_KEY_HINT);
  }
  const d = fromBytes(secret.value);
  if (d < 1n || d > N - 2n) throw badKey('The SM2 private key is out of range', SECRET_KEY_HINT);
  for (const item of rest) {
    if (item.tag === 0xa0) {
      const curve = item.children[0];
      if (curve === undefined || readOid(curve) !== OID_SM2)
        throw badKey('The EC private key is not on the sm2 curve', SECRET_KEY_HINT);
    }
    if (item.tag === 0xa1) {
      const bits = item.children[0];
      if (bits?.tag === 0x03 && bits.value[0] === 0)
        return { d, q: decodePoint(bits.value.subarray(1)) };
    }
  }
  return { d };
}

export interface Sm2PrivateKey {
  d: bigint;
  publicKey: Sm2Point;
}

/**
 * Reads an SM2 private key from PEM: PKCS#8 "PRIVATE KEY", or SEC1 "EC PRIVATE KEY" /
 * "SM2 PRIVATE KEY" (what `openssl ec` writes for SM2 keys).
 */
export function parseSm2PrivateKey(pem: string): Sm2PrivateKey {
  const block = pemBlocks(pem).find(
    (b) =>
      b.label === 'PRIVATE KEY' || b.label === 'EC PRIVATE KEY' || b.label === 'SM2 PRIVATE KEY',
  );
  if (block === undefined) {
    if (pem.includes('ENCRYPTED PRIVATE KEY')) {
      throw badKey(
        'The SM2 private key is encrypted; ferry reads unencrypted PKCS#8 keys',
        'Write an unencrypted copy with "openssl pkey -in KEY -out PLAIN" and give ferry PLAIN.',
      );
    }
    throw badKey('No "PRIVATE KEY" PEM block found', SECRET_KEY_HINT);
  }
  try {
    const root = parseDer(block.der);
    let ec: { d: bigint; q?: Sm2Point };
    if (block.label === 'PRIVATE KEY') {
      const [version, alg, octets] = root.children;
      if (version === undefined || readUnsigned(version) !== 0n || octets?.tag !== 0x04) {
        throw badKey('The private key is not a PKCS#8 structure', SECRET_KEY_HINT);
      }
      checkAlgorithm(alg);
      ec = readEcPrivateKey(parseDer(octets.value));
    } else {
      ec = readEcPrivateKey(root);
    }
    const q = publicPointOf(ec.d);
    if (ec.q !== undefined && (ec.q.x !== q.x || ec.q.y !== q.y)) {
      throw badKey(
        'The SM2 private key does not match the public key stored with it',
        'The key file is damaged: restore it from its backup, or make a new key with "ferry keygen --sm2" and hand out its public key.',
      );
    }
    return { d: ec.d, publicKey: q };
  } catch (error) {
    if (error instanceof FerryError) throw error;
    throw badKey(`The SM2 private key is damaged: ${(error as Error).message}`, SECRET_KEY_HINT);
  }
}

/** Reads an SM2 public key (SubjectPublicKeyInfo PEM, or its DER bytes). */
export function parseSm2PublicKey(pemOrDer: string | Buffer): Sm2Point {
  let der: Buffer;
  if (typeof pemOrDer === 'string') {
    const block = pemBlocks(pemOrDer).find((b) => b.label === 'PUBLIC KEY');
    if (block === undefined) throw badKey('No "PUBLIC KEY" PEM block found', PUBLIC_KEY_HINT);
    der = block.der;
  } else {
    der = pemOrDer;
  }
  try {
    const [alg, bits] = parseDer(der).children;
    checkAlgorithm(alg);
    if (bits?.tag !== 0x03 || bits.value[0] !== 0)
      throw badKey('The public key has no key bits', PUBLIC_KEY_HINT);
    return decodePoint(bits.value.subarray(1));
  } catch (error) {
    if (error instanceof FerryError) throw error;
    throw badKey(`The SM2 public key is damaged: ${(error as Error).message}`, PUBLIC_KEY_HINT);
  }
}

/** SubjectPublicKeyInfo DER for a public point (the bytes ferry's SM2 key id hashes). */
export const sm2PublicKeyDer = (q: Sm2Point): Buffer =>
  derSequence(SM2_ALGORITHM, derElement(0x03, Buffer.concat([Buffer.from([0]), encodePoint(q)])));

export const sm2PublicKeyPem = (q: Sm2Point): string => toPem('PUBLIC KEY', sm2PublicKeyDer(q));

function sm2PrivateKeyPem(d: bigint, q: Sm2Point): string {
  const ecPrivateKey = derSequence(
    derUnsigned(1n),
    derElement(0x04, to32(d)),
    derElement(0xa1, derElement(0x03, Buffer.concat([Buffer.from([0]), encodePoint(q)]))),
  );
  return toPem(
    'PRIVATE KEY',
    derSequence(derUnsigned(0n), SM2_ALGORITHM, derElement(0x04, ecPrivateKey)),
  );
}

/** A random scalar in [1, max] by rejection sampling (no modulo bias). */
function randomScalar(max: bigint): bigint {
  for (;;) {
    const k = fromBytes(randomBytes(32));
    if (k >= 1n && k <= max) return k;
  }
}

/** Generates an SM2 key pair as PEM that openssl reads. */
export function generateSm2KeyPair(): Sm2KeyPair {
  const d = randomScalar(N - 2n);
  const q = publicPointOf(d);
  return { privateKeyPem: sm2PrivateKeyPem(d, q), publicKeyPem: sm2PublicKeyPem(q) };
}

/** The public key PEM for a private key PEM. */
export const sm2PublicKeyFromPrivate = (privatePem: string): string =>
  sm2PublicKeyPem(parseSm2PrivateKey(privatePem).publicKey);

function messageDigest(data: Uint8Array, q: Sm2Point, id: string): bigint {
  return fromBytes(sm3(Buffer.concat([sm2Za(q, id), data])));
}

/** Signs `data` with SM2/SM3 and the given user ID; returns the DER signature. */
export function signSm2(
  data: Uint8Array,
  privatePem: string | Sm2PrivateKey,
  opts: { id?: string } = {},
): Buffer {
  const key = typeof privatePem === 'string' ? parseSm2PrivateKey(privatePem) : privatePem;
  const e = messageDigest(data, key.publicKey, opts.id ?? SM2_DEFAULT_ID);
  const dInv = inv(1n + key.d, N);
  for (;;) {
    const k = randomScalar(N - 1n);
    const x1 = toAffine(multiply(k, G))!.x;
    const r = (e + x1) % N;
    if (r === 0n || r + k === N) continue;
    const s = mod(dInv * (k - r * key.d), N);
    if (s === 0n) continue;
    return derSequence(derUnsigned(r), derUnsigned(s));
  }
}

/** Reads (r, s) from a DER SM2 signature; undefined when it is not one. */
export function parseSm2Signature(sigDer: Uint8Array): { r: bigint; s: bigint } | undefined {
  try {
    const root = parseDer(Buffer.from(sigDer));
    const [r, s, extra] = root.children;
    if (root.tag !== 0x30 || r === undefined || s === undefined || extra !== undefined)
      return undefined;
    return { r: readUnsigned(r), s: readUnsigned(s) };
  } catch {
    return undefined;
  }
}

/**
 * Verifies a DER SM2/SM3 signature over `data` (GM/T 0003.2 §7). Returns false for a
 * wrong signature, key, ID or data; throws ERR_FERRY_BAD_KEY only for an unreadable key.
 */
export function verifySm2(
  data: Uint8Array,
  sigDer: Uint8Array,
  publicPem: string | Sm2Point,
  opts: { id?: string } = {},
): boolean {
  const q = typeof publicPem === 'string' ? parseSm2PublicKey(publicPem) : publicPem;
  const sig = parseSm2Signature(sigDer);
  if (sig === undefined) return false;
  const { r, s } = sig;
  if (r < 1n || r >= N || s < 1n || s >= N) return false;
  const t = (r + s) % N;
  if (t === 0n) return false;
  const e = messageDigest(data, q, opts.id ?? SM2_DEFAULT_ID);
  const point = toAffine(add(multiply(s, G), multiply(t, q)));
  if (point === undefined) return false;
  return (e + point.x) % N === r;
}
