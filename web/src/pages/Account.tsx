// The account page: the key file to take elsewhere, the signed-in devices (docs/devices.md),
// and the export archive (all the patient's records as one file, docs/export.md).
import { useEffect, useState } from "react";
import { ApiError, api, authHeader, call, currentSession, type Schemas } from "../api/client";
import { toHex } from "../crypto/bytes";
import { formatBytes, useT } from "../i18n";
import { DownloadError, downloadExport, memorySink } from "../lib/exportDownload";
import { Page } from "../Layout";
import { AbhaSection } from "./Abha";
import { DevicesSection } from "./Devices";
import { EmailSection } from "./NotificationSettings";
import { SecondFactorSection } from "./SecondFactor";
import { downloadFile, savedKeystore } from "../state/keys";
import { useSession, useUnlocked } from "../state/hooks";
import { Alert, ErrorAlert } from "../ui";

export function Account() {
  const t = useT();
  const unlocked = useUnlocked();
  // A guardian in their child's account: devices and sign-in are the guardian's own account's.
  const own = !useSession()?.guardianId;
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    const s = currentSession();
    if (s) void savedKeystore(s.subjectId).then((k) => setText(k?.text ?? null));
  }, []);
  return (
    <Page title={t("account.title")}>
      <AbhaSection />
      <EmailSection />
      <section className="card">
        <h2>{t("account.keys")}</h2>
        <p>{t("account.keys.body")}</p>
        {unlocked && (
          <dl className="facts">
            <dt>{t("account.keys.address")}</dt>
            <dd className="mono">{unlocked.address}</dd>
            <dt>{t("account.keys.x25519")}</dt>
            <dd className="mono">{toHex(unlocked.x25519Public)}</dd>
          </dl>
        )}
        <button
          type="button"
          disabled={!text}
          onClick={() => text && downloadFile(`pramana-keys-${unlocked?.address.slice(2, 10).toLowerCase() ?? "export"}.json`, text, "application/json")}
        >
          {t("account.keys.download")}
        </button>
      </section>
      {own && <DevicesSection />}
      {own && <SecondFactorSection />}
      <ExportSection />
    </Page>
  );
}

/** Above this the archive is written straight to a file the patient picks, where the browser
 * can (Chromium's File System Access API), instead of being held in memory first. */
const IN_MEMORY_LIMIT = 256 * 1024 * 1024;

type ExportView = Schemas["ExportView"];

/** The file name the API suggests: `pramana-export-20261130T182535Z.tar`. */
function exportName(e: ExportView): string {
  return `pramana-export-${e.exported_at.replace(/\.\d+/, "").replace(/[-:]/g, "")}.tar`;
}

interface SaveFilePicker {
  showSaveFilePicker(o: { suggestedName: string }): Promise<{
    createWritable(): Promise<{ write(d: Uint8Array): Promise<void>; close(): Promise<void>; abort(): Promise<void> }>;
  }>;
}

function pickerOf(w: Window): SaveFilePicker | null {
  return "showSaveFilePicker" in w ? (w as unknown as SaveFilePicker) : null;
}

function ExportSection() {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [received, setReceived] = useState<{ got: number; size: number } | null>(null);
  const [large, setLarge] = useState<ExportView | null>(null);
  const options = (e: ExportView) => ({
    path: e.download,
    size: e.size,
    id: e.id,
    auth: authHeader,
    onProgress: (got: number) => setReceived({ got, size: e.size }),
  });
  const guard = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      await work();
    } catch (e) {
      setError(e instanceof DownloadError ? new ApiError(e.status, e.code, e.message) : e);
    } finally {
      setBusy(false);
      setReceived(null);
    }
  };
  const run = () =>
    guard(async () => {
      const e = await call(() => api.POST("/v1/patients/me/exports"));
      if (e.size > IN_MEMORY_LIMIT && pickerOf(window)) {
        setLarge(e); // the file picker needs a click of its own
        return;
      }
      const sink = memorySink();
      await downloadExport(options(e), sink);
      downloadFile(exportName(e), sink.blob("application/x-tar"));
      setDone(t("export.done", { name: exportName(e), size: formatBytes(e.size) }));
    });
  const saveLarge = (e: ExportView, picker: SaveFilePicker) =>
    guard(async () => {
      const file = await (await picker.showSaveFilePicker({ suggestedName: exportName(e) })).createWritable();
      try {
        await downloadExport(options(e), file);
        await file.close();
      } catch (err) {
        await file.abort();
        throw err;
      }
      setLarge(null);
      setDone(t("export.done", { name: exportName(e), size: formatBytes(e.size) }));
    });
  const picker = pickerOf(window);
  return (
    <section className="card" aria-labelledby="export-title">
      <h2 id="export-title">{t("export.title")}</h2>
      <p>{t("export.body")}</p>
      <ErrorAlert error={error} />
      {done && <Alert kind="ok">{done}</Alert>}
      {busy && (
        <p aria-live="polite">
          {received
            ? t("export.progress", { got: formatBytes(received.got), size: formatBytes(received.size) })
            : t("export.working")}
        </p>
      )}
      {busy && received && <progress max={received.size} value={received.got} />}
      {large && picker ? (
        <>
          <p>{t("export.large", { size: formatBytes(large.size) })}</p>
          <button type="button" onClick={() => void saveLarge(large, picker)} disabled={busy}>
            {t("export.choose")}
          </button>
        </>
      ) : (
        <button type="button" onClick={() => void run()} disabled={busy}>
          {t("export.button")}
        </button>
      )}
    </section>
  );
}
