// The patient's keys in this browser: the keystore file (the CLI's format: the secrets under
// Argon2id + AES-256-GCM, the public halves in the clear) kept in IndexedDB per account, and
// unlocked into the crypto worker for the session. The page holds a handle, never a secret;
// nothing is ever stored unencrypted.
import { del, get, set } from "idb-keyval";
import { CryptoClient } from "../crypto/client";
import { parseKeystore, type KeystoreFile } from "../crypto/keystore";
import type { Unlocked } from "../crypto/worker";

let client: CryptoClient | null = null;

/** The page's crypto worker (started on first use). */
export function cryptoClient(): CryptoClient {
  client ??= CryptoClient.start();
  return client;
}

const storeKey = (subjectId: string) => `keystore:${subjectId}`;

/** The keystore saved for an account in this browser, if any. */
export async function savedKeystore(subjectId: string): Promise<{ text: string; file: KeystoreFile } | null> {
  const text = await get<string>(storeKey(subjectId));
  if (!text) return null;
  try {
    return { text, file: parseKeystore(text) };
  } catch {
    return null;
  }
}

export async function saveKeystore(subjectId: string, text: string): Promise<void> {
  parseKeystore(text); // only a readable keystore is kept
  await set(storeKey(subjectId), text);
}

export async function forgetKeystore(subjectId: string): Promise<void> {
  await del(storeKey(subjectId));
}

/**
 * The password just used to register, held in memory for the keys page (which must send it
 * again with the new keys) and taken from here once; never stored.
 */
let registrationPassword = "";
export function holdRegistrationPassword(p: string): void {
  registrationPassword = p;
}
export function takeRegistrationPassword(): string {
  const p = registrationPassword;
  registrationPassword = "";
  return p;
}

/** The unlocked keys of this session (a handle into the worker). */
let unlocked: Unlocked | null = null;
const listeners = new Set<(u: Unlocked | null) => void>();

export function unlockedKeys(): Unlocked | null {
  return unlocked;
}

export function setUnlocked(u: Unlocked | null): void {
  if (unlocked && unlocked.key !== u?.key) void cryptoClient().forget(unlocked.key);
  unlocked = u;
  for (const f of listeners) f(u);
}

export function onUnlockedChange(f: (u: Unlocked | null) => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

/** Saves text as a file the person downloads (the recovery kit, a decrypted document). */
export function downloadFile(name: string, data: Blob | string, type = "application/octet-stream"): void {
  const blob = typeof data === "string" ? new Blob([data], { type }) : data;
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.rel = "noopener";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
