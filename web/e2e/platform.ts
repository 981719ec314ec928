// What the browser tests need of the platform besides the page: the addresses scripts/browser.sh
// started it on, and the other side of each journey (the operator registering a hospital, a
// hospital asking for consent) done through the API from Node, as those users' own tools would.
import { expect, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { mkdirSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";

export const BASE = process.env.PRAMANA_BASE_URL ?? "";
export const RPC_URL = process.env.PRAMANA_RPC_URL ?? "";
export const ADMIN_PASSWORD = process.env.PRAMANA_ADMIN_PASSWORD ?? "";

export async function apiCall<T = unknown>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const r = await fetch(`${BASE}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function loginAs(login: string, password: string): Promise<string> {
  return (await apiCall<{ access_token: string }>("POST", "/v1/auth/login", { login, password })).access_token;
}

let counter = 0;
/** A fresh valid ABHA number (14 digits, Luhn check digit last). */
export function newAbhaNumber(): string {
  const body = `9${String(Date.now() % 1e9).padStart(9, "0")}${String(process.pid % 100).padStart(2, "0")}${counter++ % 10}`;
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

export function newHfrId(): string {
  return `IN${String(Date.now() % 1e10).padStart(10, "0")}`;
}

export interface Hospital {
  id: string;
  hfrId: string;
  name: string;
  token: string;
  x25519Public: string;
}

/** The operator registers a hospital; the hospital signs in and registers an X25519 key. */
export async function newHospital(name = "Sunrise Multispeciality Hospital"): Promise<Hospital> {
  const admin = await loginAs("admin", ADMIN_PASSWORD);
  const hfrId = newHfrId();
  const created = await apiCall<{ hospital: { id: string }; api_secret: string }>(
    "POST",
    "/v1/admin/hospitals",
    { hfr_id: hfrId, name },
    admin,
  );
  const token = await loginAs(hfrId, created.api_secret);
  const { publicKey } = generateKeyPairSync("x25519");
  const x25519Public = (publicKey.export({ format: "der", type: "spki" }) as Buffer).subarray(-32).toString("hex");
  await apiCall("POST", "/v1/keys", { kind: "x25519", public_key: x25519Public, password: created.api_secret }, token);
  return { id: created.hospital.id, hfrId, name, token, x25519Public };
}

let desk: Promise<Hospital> | undefined;
/** A hospital whose desk verifies the ABHA numbers of patients these tests register. */
export function deskHospital(): Promise<Hospital> {
  desk ??= newHospital("Registration Desk Hospital");
  return desk;
}

/** Staff at a hospital desk enter the code the patient's client shows for `abha`. */
export async function verifyAtDesk(abha: string, code: string, hospital?: Hospital): Promise<void> {
  const h = hospital ?? (await deskHospital());
  await apiCall("POST", "/v1/abha-verifications", { abha_number: abha, code }, h.token);
}

/**
 * A patient registered through the API (journeys that are not about registration), with the
 * ABHA number verified at a hospital desk unless `claimedOnly`.
 */
export async function newPatientAccount(
  name = "Asha Kumari",
  { claimedOnly = false } = {},
): Promise<{ abha: string; password: string; name: string }> {
  const abha = newAbhaNumber();
  const password = "correct horse battery";
  await apiCall("POST", "/v1/auth/register", { abha_number: abha, abha_addresses: [], name, password });
  if (!claimedOnly) {
    const token = await loginAs(abha, password);
    const { code } = await apiCall<{ code: string }>("POST", "/v1/patients/me/abha-verification-code", undefined, token);
    await verifyAtDesk(abha, code);
  }
  return { abha, password, name };
}

export const KEY_PASSPHRASE = "my key passphrase 1";

/** Signs in through the page and creates keys (saving the recovery kit); returns the kit's text. */
export async function signInWithNewKeys(page: Page, who: { abha: string; password: string }): Promise<string> {
  return (await signInWithNewKeysAndPhrase(page, who)).kit;
}

/** As signInWithNewKeys; also the 24-word recovery phrase the page showed once. */
export async function signInWithNewKeysAndPhrase(
  page: Page,
  who: { abha: string; password: string },
): Promise<{ kit: string; phrase: string }> {
  await page.goto("/");
  await page.getByLabel("ABHA number or ABHA address").fill(who.abha);
  await page.getByLabel("Password", { exact: true }).fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Key passphrase (12 characters or more)").fill(KEY_PASSPHRASE);
  await page.getByLabel("Key passphrase again").fill(KEY_PASSPHRASE);
  await page.getByRole("button", { name: "Create keys" }).click();
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download recovery kit" }).click();
  const kit = await readFile((await (await download).path()) ?? "", "utf8");
  await page.getByLabel("I have saved my recovery kit").check();
  const words = await page.getByRole("list", { name: "Recovery phrase, 24 words in order" }).getByRole("listitem").allTextContents();
  await page.getByLabel("I have written down the 24 words").check();
  await page.getByLabel("Your account password").fill(who.password);
  await page.getByRole("button", { name: "Add keys to my account" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Documents" })).toBeVisible();
  return { kit, phrase: words.join(" ") };
}

/** A proof bundle as the page downloads it: its text and the fields the tests look at. */
export interface DownloadedProof {
  text: string;
  bundle: { format: string; anchor: { chain_id: number; contract: string; block_number: number }; merkle: { root: string } };
}

/**
 * A new patient uploads `content` as a diagnostic report, waits until it is anchored and
 * downloads its proof bundle; the page is left signed in on the document.
 */
export async function anchoredDocumentWithProof(page: Page, content: string): Promise<DownloadedProof> {
  const who = await newPatientAccount();
  await signInWithNewKeys(page, who);
  await page.getByLabel("Type of document", { exact: true }).selectOption({ label: "Diagnostic report" });
  await page.getByLabel("Date of care").fill("2025-08-08");
  await page.getByLabel("Files to add").setInputFiles({ name: "report.txt", mimeType: "text/plain", buffer: Buffer.from(content) });
  await page.getByRole("link", { name: "Open it" }).click();
  // Once anchored, the proof bundle downloads.
  const proofButton = page.getByRole("button", { name: "Download proof" });
  await expect(proofButton).toBeEnabled({ timeout: 90_000 });
  const event = page.waitForEvent("download");
  await proofButton.click();
  const d = await event;
  expect(d.suggestedFilename()).toBe("diagnostic-report-2025-08-08.proof.json");
  const text = await readFile((await d.path()) ?? "", "utf8");
  return { text, bundle: JSON.parse(text) as DownloadedProof["bundle"] };
}

/** No serious or critical accessibility violation on the page as it is now. */
/** Signs a hospital's API-secret session in at /hospital and creates its keys in the page. */
export async function signInHospitalWithNewKeys(page: Page, hospital: { hfrId: string; secret: string }): Promise<void> {
  await page.goto("/hospital");
  await page.getByLabel("HFR id").fill(hospital.hfrId);
  await page.getByLabel("API secret").fill(hospital.secret);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Key passphrase (12 characters or more)").fill(KEY_PASSPHRASE);
  await page.getByLabel("Key passphrase again").fill(KEY_PASSPHRASE);
  await page.getByRole("button", { name: "Create keys" }).click();
  await page.getByRole("button", { name: "Download recovery kit" }).click();
  await page.getByLabel("I have saved my recovery kit").check();
  await page.getByLabel("The hospital's API secret").fill(hospital.secret);
  await page.getByRole("button", { name: "Add keys to my account" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Verify a patient's ABHA number" })).toBeVisible();
}

/** A hospital the operator registers now, signed in at /hospital with keys made in the page. */
export async function newHospitalSignedIn(page: Page, name: string): Promise<{ hfrId: string; secret: string; token: string }> {
  const admin = await loginAs("admin", ADMIN_PASSWORD);
  const hfrId = newHfrId();
  const { api_secret: secret } = await apiCall<{ api_secret: string }>("POST", "/v1/admin/hospitals", { hfr_id: hfrId, name }, admin);
  await signInHospitalWithNewKeys(page, { hfrId, secret });
  return { hfrId, secret, token: await loginAs(hfrId, secret) };
}

export async function expectAccessible(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
}

/** Saves a screenshot of the page for the README (desktop and phone). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const project = page.viewportSize()?.width === 360 ? "phone" : "desktop";
  mkdirSync("e2e-screenshots", { recursive: true });
  await page.screenshot({ path: `e2e-screenshots/${name}-${project}.png`, fullPage: true });
}

/** Fails the test on any CSP violation or page error (script injection defences must hold). */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/.test(m.text())) problems.push(m.text());
  });
  return problems;
}

/**
 * The newest mail to `to` whose text matches `pattern`, as the platform's worker delivered it
 * to the SMTP server scripts/browser.sh started (each message a file in PRAMANA_MAIL_DIR).
 * Waits for it; the match's first group (e.g. a code) or the whole match is returned.
 */
export async function mailedMatch(to: string, pattern: RegExp, { timeout = 30_000, skip = 0 } = {}): Promise<string> {
  const dir = process.env.PRAMANA_MAIL_DIR;
  if (!dir) throw new Error("PRAMANA_MAIL_DIR is not set (run through scripts/browser.sh)");
  const deadline = Date.now() + timeout;
  for (;;) {
    const names = (await readdir(dir)).filter((n) => n.endsWith(".eml"));
    names.sort((a, b) => parseInt(b) - parseInt(a));
    const matches: string[] = [];
    for (const n of names) {
      const text = (await readFile(join(dir, n), "utf8")).replace(/=\r?\n/g, "");
      const m = text.includes(`X-Envelope-To: ${to}`) ? pattern.exec(text) : null;
      if (m) matches.push(m[1] ?? m[0]);
    }
    if (matches.length > skip) return matches[0]!;
    if (Date.now() > deadline) throw new Error(`no mail to ${to} matching ${pattern}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** RFC 4648 base32 (an authenticator app's key as the page shows it). */
export function base32Decode(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of text.replace(/\s/g, "").toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps. */
export function totp(secret: Buffer, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const digest = createHmac("sha1", secret).update(counter).digest();
  const offset = (digest[19] ?? 0) & 0x0f;
  const word = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(word % 1_000_000).padStart(6, "0");
}
