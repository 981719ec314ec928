// The recovery phrase: 24 English BIP-39 words (@scure/bip39) encoding a 32-byte seed, from
// which both secrets of a keystore derive with HKDF-SHA256 (WebCrypto) — the CLI's derivation
// (cli/src/phrase.rs), held to it by cli/testdata/recovery-phrase-vectors.json:
//   x25519    = HKDF(salt "pramana/recovery-phrase/v1", seed, info "x25519", 32)
//   secp256k1 = HKDF(…, info "secp256k1/" ‖ i, 32) for the first i = 0, 1, … in [1, n − 1]
import { entropyToMnemonic, mnemonicToEntropy } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english";
import { concat, copy, utf8, type Bytes } from "./bytes";

export const PHRASE_WORDS = 24;
const SALT = utf8("pramana/recovery-phrase/v1");
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** A phrase that is not one: `reason` says which way, `word` (1-based) where it applies. */
export class PhraseError extends Error {
  constructor(
    readonly reason: "count" | "unknown" | "checksum",
    readonly word?: number,
  ) {
    // The message carries both, so the error can be rebuilt on the page's side of the worker.
    super(word === undefined ? reason : `${reason}:${word}`);
    this.name = "PhraseError";
  }

  /** Rebuilds an error from its message. */
  static fromMessage(m: string): PhraseError {
    const [reason, word] = m.split(":");
    const r = reason === "unknown" || reason === "checksum" ? reason : "count";
    return new PhraseError(r, word ? Number(word) : undefined);
  }
}

export interface PhraseSecrets {
  x25519: Bytes;
  secp256k1: Bytes;
}

async function expand(ikm: CryptoKey, info: Bytes): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: SALT, info }, ikm, 256));
}

/** Both secrets from a seed. */
export async function secretsFromSeed(seed: Bytes): Promise<PhraseSecrets> {
  if (seed.length !== 32) throw new PhraseError("count");
  const ikm = await crypto.subtle.importKey("raw", copy(seed), "HKDF", false, ["deriveBits"]);
  const x25519 = await expand(ikm, utf8("x25519"));
  for (let i = 0; i < 256; i++) {
    const k = await expand(ikm, concat(utf8("secp256k1/"), new Uint8Array([i])));
    const v = BigInt(`0x${Array.from(k, (b) => b.toString(16).padStart(2, "0")).join("")}`);
    if (v !== 0n && v < SECP256K1_N) return { x25519, secp256k1: k };
  }
  throw new Error("no secp256k1 key in 256 tries"); // probability about 2^-32000
}

/** The 24 words of a seed. */
export function phraseFromSeed(seed: Bytes): string {
  return entropyToMnemonic(seed, wordlist);
}

/** Splits typed text into words: any spacing, any letter case. */
export function phraseWords(text: string): string[] {
  return text.trim().toLowerCase().split(/\s+/).filter(Boolean);
}

/** The seed a phrase encodes, or a PhraseError naming what is wrong. */
export function seedFromPhrase(text: string): Bytes {
  const words = phraseWords(text);
  if (words.length !== PHRASE_WORDS) throw new PhraseError("count");
  const unknown = words.findIndex((w) => !wordlist.includes(w));
  if (unknown >= 0) throw new PhraseError("unknown", unknown + 1);
  try {
    return copy(mnemonicToEntropy(words.join(" "), wordlist));
  } catch {
    throw new PhraseError("checksum");
  }
}

/** A new seed and its phrase. */
export function newSeed(): Bytes {
  return crypto.getRandomValues(new Uint8Array(32));
}
