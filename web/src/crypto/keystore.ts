// The CLI's keystore file (cli/src/keystore.rs), byte-compatible both ways: an X25519 identity
// (opens documents) and a secp256k1 key (signs consents), encrypted under a passphrase with
// Argon2id (hash-wasm) and AES-256-GCM (WebCrypto). The public halves stay in the clear.
import { argon2id } from "hash-wasm";
import { privateKeyToAccount } from "viem/accounts";
import { concat, copy, fromHex, fromHexN, toHex, utf8, type Bytes } from "./bytes";
import { generateIdentity, identityFromSecret, systemRng, type Identity, type Rng } from "./envelope";

export interface KeystoreFile {
  version: 1;
  /** X25519 public key (hex): documents are encrypted to it. */
  x25519_public: string;
  /** Ethereum address (EIP-55): signs consents. */
  eth_address: string;
  kdf: { m_kib: number; t: number; p: number; salt: string };
  /** AES-256-GCM nonce (hex, 12 bytes). */
  nonce: string;
  /** AES-256-GCM ciphertext with tag (hex) of the two 32-byte secrets. */
  ciphertext: string;
  /**
   * The addresses that signed for this account before `eth_address`, oldest first (the CLI's
   * `identity rotate` carries them over): grants they signed are still the patient's own.
   */
  previous_signers?: string[];
}

export interface UnlockedKeys {
  /** Opens documents. */
  identity: Identity;
  /** The secp256k1 secret that signs consents (0x-hex, as viem takes it). */
  signerKey: `0x${string}`;
  /** Its EIP-55 address. */
  address: `0x${string}`;
}

/** The keystore is unreadable, or the passphrase is wrong. */
export class KeystoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeystoreError";
  }
}

const AAD = utf8("pramana-keystore-v1");
/** What the CLI writes: 32 MiB keeps the client under 64 MiB peak while it streams. */
export const DEFAULT_KDF = { m_kib: 32768, t: 3, p: 1 } as const;
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

async function deriveKey(passphrase: string, kdf: KeystoreFile["kdf"], usage: KeyUsage): Promise<CryptoKey> {
  const raw = await argon2id({
    password: utf8(passphrase),
    salt: fromHex(kdf.salt),
    parallelism: kdf.p,
    iterations: kdf.t,
    memorySize: kdf.m_kib,
    hashLength: 32,
    outputType: "binary",
  });
  const key = await crypto.subtle.importKey("raw", copy(raw), "AES-GCM", false, [usage]);
  raw.fill(0);
  return key;
}

/** Reads a keystore file's JSON (the public part needs no passphrase). */
export function parseKeystore(text: string): KeystoreFile {
  let file: KeystoreFile;
  try {
    file = JSON.parse(text) as KeystoreFile;
  } catch {
    throw new KeystoreError("keystore is not valid");
  }
  if (file?.version !== 1) throw new KeystoreError(`unsupported keystore version ${String(file?.version)}`);
  const k = file.kdf;
  if (!k || ![k.m_kib, k.t, k.p].every((x) => Number.isInteger(x) && x > 0) || typeof k.salt !== "string") {
    throw new KeystoreError("keystore is not valid");
  }
  const previous = file.previous_signers;
  if (previous !== undefined && !(Array.isArray(previous) && previous.every((a) => typeof a === "string" && /^0x[0-9a-fA-F]{40}$/.test(a)))) {
    throw new KeystoreError("keystore is not valid");
  }
  return file;
}

/** Decrypts the secrets with the passphrase. */
export async function unlockKeystore(file: KeystoreFile, passphrase: string): Promise<UnlockedKeys> {
  let nonce: Bytes;
  let ct: Bytes;
  try {
    nonce = fromHexN(file.nonce, 12);
    ct = fromHexN(file.ciphertext, 64 + 16);
  } catch {
    throw new KeystoreError("keystore is not valid");
  }
  const key = await deriveKey(passphrase, file.kdf, "decrypt");
  let secrets: Bytes;
  try {
    secrets = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce, additionalData: AAD }, key, ct));
  } catch {
    throw new KeystoreError("wrong passphrase");
  }
  try {
    const identity = await identityFromSecret(secrets.subarray(0, 32));
    const signerKey = `0x${toHex(secrets.subarray(32))}` as const;
    const address = privateKeyToAccount(signerKey).address;
    if (toHex(identity.publicKey) !== file.x25519_public.toLowerCase() || address !== file.eth_address) {
      throw new KeystoreError("keystore is not valid: its public keys do not match its secrets");
    }
    return { identity, signerKey, address };
  } catch (e) {
    throw e instanceof KeystoreError ? e : new KeystoreError("keystore is not valid");
  } finally {
    secrets.fill(0);
  }
}

export interface CreateOptions {
  /** Draws: X25519 ikm 32, secp256k1 key 32 (redrawn while out of range), salt 16, nonce 12. */
  rng?: Rng;
  /** Argon2id cost; the CLI's by default. */
  kdf?: { m_kib: number; t: number; p: number };
  /** The two secrets (from a recovery phrase's seed) instead of drawing them. */
  secrets?: { x25519: Bytes; secp256k1: Bytes };
}

/** A new keystore under `passphrase` (12 characters at least, as the CLI asks). */
export async function createKeystore(passphrase: string, opts: CreateOptions = {}): Promise<{ file: KeystoreFile; keys: UnlockedKeys }> {
  if ([...passphrase].length < 12) throw new KeystoreError("the passphrase must be at least 12 characters");
  const rng = opts.rng ?? systemRng;
  const identity = opts.secrets ? await identityFromSecret(opts.secrets.x25519) : await generateIdentity(rng);
  let eth: Bytes;
  if (opts.secrets) eth = copy(opts.secrets.secp256k1);
  else do eth = rng(32);
  while (BigInt(`0x${toHex(eth)}`) === 0n || BigInt(`0x${toHex(eth)}`) >= SECP256K1_N);
  const signerKey = `0x${toHex(eth)}` as const;
  const address = privateKeyToAccount(signerKey).address;
  const kdf = { ...(opts.kdf ?? DEFAULT_KDF), salt: toHex(rng(16)) };
  const nonce = rng(12);
  const key = await deriveKey(passphrase, kdf, "encrypt");
  const secrets = concat(identity.secretKey, eth);
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: AAD }, key, secrets));
  secrets.fill(0);
  eth.fill(0);
  const file: KeystoreFile = {
    version: 1,
    x25519_public: toHex(identity.publicKey),
    eth_address: address,
    kdf,
    nonce: toHex(nonce),
    ciphertext: toHex(ct),
  };
  return { file, keys: { identity, signerKey, address } };
}

/** The file's text exactly as the CLI writes it (serde_json's pretty form, no final newline). */
export function serializeKeystore(file: KeystoreFile): string {
  const { version, x25519_public, eth_address, kdf, nonce, ciphertext, previous_signers } = file;
  const { m_kib, t, p, salt } = kdf;
  const previous = previous_signers?.length ? { previous_signers } : {};
  return JSON.stringify({ version, x25519_public, eth_address, kdf: { m_kib, t, p, salt }, nonce, ciphertext, ...previous }, null, 2);
}
