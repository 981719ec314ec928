// The documents pages in the browser: upload (picker, several files, drag and drop) with
// progress and cancel, filters, the anchor state reaching a block, previews, the decrypted
// download, a tampered envelope, delete, a file over the size limit, and a session that ends
// mid-upload.
import { expect, test, type Page, type Route } from "@playwright/test";
import { readFile } from "node:fs/promises";
import { apiCall, expectAccessible, loginAs, newPatientAccount, screenshot, signInWithNewKeys, watchConsole } from "./platform";

type FileSpec = { name: string; mimeType: string; buffer: Buffer };

const text = (name: string, body: string): FileSpec => ({ name, mimeType: "text/plain", buffer: Buffer.from(body) });

async function choose(page: Page, type: string, date: string): Promise<void> {
  await page.getByLabel("Type of document", { exact: true }).selectOption({ label: type });
  await page.getByLabel("Date of care").fill(date);
}

async function addFiles(page: Page, files: FileSpec[]): Promise<void> {
  await page.getByLabel("Files to add").setInputFiles(files);
}

/** Drops a file on the drop zone, as a drag from the desktop would (a DataTransfer made in the page). */
async function dropFile(page: Page, name: string, body: string): Promise<void> {
  await page.getByTestId("dropzone").evaluate(
    (zone, [n, b]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([b], n, { type: "text/plain" }));
      zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    [name, body] as const,
  );
}

const uploadRow = (page: Page, name: string) => page.getByRole("list", { name: "Files being added" }).getByRole("listitem").filter({ hasText: name });
const documentList = (page: Page) => page.getByRole("list", { name: "Your documents" }).getByRole("listitem");

/** Holds every envelope upload (PUT) until `release` is called. */
async function holdUploads(page: Page): Promise<{ release: () => void; arrived: Promise<void> }> {
  let release!: () => void;
  let arrived!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const seen = new Promise<void>((r) => (arrived = r));
  await page.route(
    (url) => url.pathname.startsWith("/v1/documents/"),
    async (route: Route) => {
      if (route.request().method() !== "PUT") return route.fallback();
      arrived();
      await held;
      await route.continue().catch(() => {}); // the page may have cancelled it meanwhile
    },
  );
  return { release, arrived: seen };
}

async function download(page: Page, click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
  const event = page.waitForEvent("download");
  await click();
  const d = await event;
  return { name: d.suggestedFilename(), bytes: await readFile((await d.path()) ?? "") };
}

test("upload one file and several (picker and drop) with progress; filters; anchored in a block", async ({ page }) => {
  const problems = watchConsole(page);
  const who = await newPatientAccount();
  await signInWithNewKeys(page, who);

  // Files before a type: the page asks for the type first.
  await addFiles(page, [text("early.txt", "too early")]);
  await expect(page.getByRole("alert")).toContainText("Choose the type of document and the date of care first");

  // One file, its upload held a moment so the progress shows.
  await choose(page, "Prescription", "2025-02-10");
  const hold = await holdUploads(page);
  await addFiles(page, [text("prescription.txt", "Tab. Paracetamol 500 mg, twice daily for 3 days")]);
  await hold.arrived;
  await expect(page.getByRole("progressbar", { name: "Uploading prescription.txt" })).toBeVisible();
  hold.release();
  await expect(uploadRow(page, "prescription.txt")).toContainText("Added.");
  await page.unrouteAll({ behavior: "ignoreErrors" });

  // Several through the picker, one dropped on the zone.
  await choose(page, "Diagnostic report", "2025-06-01");
  await addFiles(page, [text("cbc.txt", "Haemoglobin 13.2 g/dL"), text("lipids.txt", "LDL 96 mg/dL")]);
  await choose(page, "Immunization record", "2024-11-20");
  await dropFile(page, "tetanus.txt", "Td booster given");
  for (const name of ["cbc.txt", "lipids.txt", "tetanus.txt"]) await expect(uploadRow(page, name)).toContainText("Added.");
  await expect(documentList(page)).toHaveCount(4);

  // Filters: type, care dates, who added it.
  await page.getByLabel("Type", { exact: true }).selectOption({ label: "Diagnostic report" });
  await expect(documentList(page)).toHaveCount(2);
  await page.getByLabel("Type", { exact: true }).selectOption({ label: "All types" });
  await page.getByLabel("Care from").fill("2025-01-01");
  await expect(documentList(page)).toHaveCount(3);
  await page.getByLabel("Care until").fill("2025-03-01");
  await expect(documentList(page)).toHaveCount(1);
  await expect(documentList(page)).toContainText("Prescription");
  await page.getByLabel("Care from").fill("");
  await page.getByLabel("Care until").fill("");
  await page.getByLabel("Added by").selectOption({ label: "A hospital" });
  await expect(page.getByText("No document matches these filters.")).toBeVisible();
  await page.getByLabel("Added by").selectOption({ label: "You" });
  await expect(documentList(page)).toHaveCount(4);

  // The anchor worker records them on chain within seconds; the list follows by itself.
  await expect(documentList(page).filter({ hasText: /Recorded in block \d+/ })).toHaveCount(4, { timeout: 90_000 });
  await expectAccessible(page);
  await screenshot(page, "documents");
  expect(problems).toEqual([]);
});

test("preview text, image and PDF; download equals the original; a tampered envelope is refused; delete", async ({ page }) => {
  const problems = watchConsole(page);
  const who = await newPatientAccount();
  await signInWithNewKeys(page, who);
  const png = await readFile("e2e/fixtures/xray.png");
  const pdf = await readFile("e2e/fixtures/summary.pdf");
  const notes = "Follow-up in two weeks.\nनमक कम खाएँ।\n";

  await choose(page, "Health document", "2025-05-05");
  await addFiles(page, [
    text("notes.txt", notes),
    { name: "xray.png", mimeType: "image/png", buffer: png },
    { name: "summary.pdf", mimeType: "application/pdf", buffer: pdf },
  ]);
  const ids: Record<string, string> = {};
  for (const name of ["notes.txt", "xray.png", "summary.pdf"]) {
    const link = uploadRow(page, name).getByRole("link", { name: "Open it" });
    await expect(link).toBeVisible();
    ids[name] = (await link.getAttribute("href"))!.split("/").pop()!;
  }

  // Text: shown in the page; the download is byte for byte the original.
  await uploadRow(page, "notes.txt").getByRole("link", { name: "Open it" }).click();
  await expect(page.locator("pre.preview-text")).toContainText("नमक कम खाएँ");
  const got = await download(page, () => page.getByRole("button", { name: "Download", exact: true }).click());
  expect(got.bytes.equals(Buffer.from(notes))).toBe(true);
  expect(got.name).toBe("health-document-record-2025-05-05.txt");

  // Image.
  await page.goto(`/documents/${ids["xray.png"]}`);
  await unlockIfAsked(page);
  const img = page.getByRole("img", { name: "Preview of the document" });
  await expect(img).toBeVisible();
  expect(await img.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBe(64);
  expect((await download(page, () => page.getByRole("button", { name: "Download", exact: true }).click())).bytes.equals(png)).toBe(true);
  await expect(page.getByText(/Block \d+/)).toBeVisible({ timeout: 90_000 });
  await expectAccessible(page);
  await screenshot(page, "document-detail");

  // PDF: in a frame of a blob: URL.
  await page.goto(`/documents/${ids["summary.pdf"]}`);
  await unlockIfAsked(page);
  const frame = page.locator("iframe.preview-frame");
  await expect(frame).toBeVisible();
  expect(await frame.getAttribute("src")).toMatch(/^blob:/);
  expect((await download(page, () => page.getByRole("button", { name: "Download", exact: true }).click())).bytes.equals(pdf)).toBe(true);

  // An envelope altered on its way (one bit of its last chunk): refused, nothing shown or saved.
  await page.route(
    (url) => url.pathname === `/v1/documents/${ids["notes.txt"]}/content`,
    async (route) => {
      const response = await route.fetch();
      const body = Buffer.from(await response.body());
      body[body.length - 20]! ^= 1;
      await route.fulfill({ response, body });
    },
  );
  await page.goto(`/documents/${ids["notes.txt"]}`);
  await unlockIfAsked(page);
  await expect(page.getByRole("alert")).toContainText("cannot be decrypted with your keys, or it was tampered with");
  await expect(page.locator("pre.preview-text")).toHaveCount(0);
  await page.unrouteAll({ behavior: "ignoreErrors" });

  // Delete: the dialog says what it means; Cancel keeps the document.
  await page.getByRole("button", { name: "Delete document…" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete this document?" });
  await expect(dialog).toContainText("keys that open it are destroyed");
  await expect(dialog).toContainText("Copies that hospitals have already downloaded are theirs");
  await expect(dialog).toContainText("salted fingerprint");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await page.getByRole("button", { name: "Delete document…" }).click();
  await dialog.getByRole("button", { name: "Delete for good" }).click();
  await expect(page.getByText("The document was deleted.")).toBeVisible();
  await expect(documentList(page)).toHaveCount(2);
  const token = await loginAs(who.abha, who.password);
  const left = await apiCall<{ id: string }[]>("GET", "/v1/documents", undefined, token);
  expect(left.map((d) => d.id)).not.toContain(ids["notes.txt"]);
  expect(problems).toEqual([]);
});

test("cancel leaves no document; a file over the size limit is refused clearly", async ({ page }) => {
  const problems = watchConsole(page);
  const who = await newPatientAccount();
  await signInWithNewKeys(page, who);
  await choose(page, "Discharge summary", "2025-01-15");

  // Cancel while uploading.
  const hold = await holdUploads(page);
  await addFiles(page, [{ name: "scan.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(300_000, 7) }]);
  await hold.arrived;
  await expect(page.getByRole("progressbar", { name: "Uploading scan.bin" })).toBeVisible();
  await page.getByRole("button", { name: "Cancel scan.bin" }).click();
  await expect(uploadRow(page, "scan.bin")).toContainText("Cancelled. Nothing was stored.");
  hold.release();
  await page.unrouteAll({ behavior: "ignoreErrors" });

  // Over the server's limit (scripts/browser.sh sets 5 MiB).
  await addFiles(page, [{ name: "huge.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(6 << 20, 1) }]);
  await expect(uploadRow(page, "huge.bin").getByRole("alert")).toContainText("larger than Pramana accepts");

  const token = await loginAs(who.abha, who.password);
  expect(await apiCall<unknown[]>("GET", "/v1/documents", undefined, token)).toEqual([]);
  await expect(page.getByText("No documents yet.")).toBeVisible();
  expect(problems).toEqual([]);
});

test("a session ended elsewhere: sign in again in the dialog and the upload completes as chosen", async ({ page }) => {
  const problems = watchConsole(page);
  const who = await newPatientAccount();
  await signInWithNewKeys(page, who);
  await choose(page, "Wellness record", "2025-04-04");

  // Another tab of the same browser restores the session and signs out (ends it on the server).
  const other = await page.context().newPage();
  await other.goto("/");
  await other.getByRole("button", { name: "Sign out" }).click();
  await expect(other.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await other.close();

  await addFiles(page, [text("yoga.txt", "30 minutes daily")]);
  const dialog = page.getByRole("dialog", { name: "Your session has ended" });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel("ABHA number or ABHA address").fill(who.abha);
  await dialog.getByLabel("Password", { exact: true }).fill(who.password);
  await dialog.getByRole("button", { name: "Sign in" }).click();
  await expect(dialog).toBeHidden();
  await expect(uploadRow(page, "yoga.txt")).toContainText("Added.");
  await expect(documentList(page)).toHaveCount(1);
  await expect(documentList(page)).toContainText("Wellness record");
  await expect(documentList(page)).toContainText("4 Apr 2025");
  expect(problems).toEqual([]);
});

test("someone else signing in in the session dialog does not inherit the page or the keys", async ({ page }) => {
  const asha = await newPatientAccount("Asha Kumari");
  const ravi = await newPatientAccount("Ravi Verma");
  await signInWithNewKeys(page, asha);
  await choose(page, "Prescription", "2025-02-02");
  await addFiles(page, [text("asha-rx.txt", "metformin 500 mg")]);
  await expect(uploadRow(page, "asha-rx.txt")).toContainText("Added.");

  // Asha's session ends (signed out in another tab); Ravi, at the same device, signs in.
  const other = await page.context().newPage();
  await other.goto("/");
  await other.getByRole("button", { name: "Sign out" }).click();
  await other.close();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Consents" }).click();
  const dialog = page.getByRole("dialog", { name: "Your session has ended" });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel("ABHA number or ABHA address").fill(ravi.abha);
  await dialog.getByLabel("Password", { exact: true }).fill(ravi.password);
  await dialog.getByRole("button", { name: "Sign in" }).click();

  // A fresh page for Ravi: his own keys to set up, nothing of Asha's on screen.
  await expect(page.getByRole("heading", { name: "Create your keys" })).toBeVisible();
  await expect(page.getByText("asha-rx.txt")).toHaveCount(0);
  await expect(page.getByText("Prescription")).toHaveCount(0);
});

/** A reload keeps the session but locks the keys: unlock them again. */
async function unlockIfAsked(page: Page): Promise<void> {
  const unlock = page.getByRole("button", { name: "Unlock" });
  await expect(unlock.or(page.getByRole("link", { name: "← All documents" }))).toBeVisible();
  if (await unlock.isVisible()) {
    await page.getByLabel("Key passphrase", { exact: true }).fill("my key passphrase 1");
    await unlock.click();
  }
}
