// The account page: the key file to take elsewhere, and the export archive (all the patient's
// records as one file, docs/export.md).
import { useEffect, useState } from "react";
import { ApiError, authHeader, currentSession } from "../api/client";
import { toHex } from "../crypto/bytes";
import { formatBytes, useT } from "../i18n";
import { Page } from "../Layout";
import { downloadFile, savedKeystore } from "../state/keys";
import { useUnlocked } from "../state/hooks";
import { Alert, ErrorAlert } from "../ui";

export function Account() {
  const t = useT();
  const unlocked = useUnlocked();
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    const s = currentSession();
    if (s) void savedKeystore(s.subjectId).then((k) => setText(k?.text ?? null));
  }, []);
  return (
    <Page title={t("account.title")}>
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
      <ExportSection />
    </Page>
  );
}

/** The archive as the API sends it, with the file name it suggests. */
async function fetchExport(): Promise<{ name: string; blob: Blob }> {
  // A plain fetch (not the typed client) to read the suggested file name from the response.
  let r: Response;
  try {
    r = await fetch("/v1/patients/me/export", { headers: { authorization: await authHeader() }, credentials: "same-origin" });
  } catch (e) {
    throw new ApiError(0, "network", e instanceof Error ? e.message : String(e));
  }
  if (!r.ok) {
    const body = (await r.json().catch(() => ({}))) as { code?: string; message?: string };
    throw new ApiError(r.status, body.code ?? `http_${r.status}`, body.message ?? r.statusText);
  }
  const name = /filename="([^"]+)"/.exec(r.headers.get("content-disposition") ?? "")?.[1] ?? "pramana-export.tar";
  return { name, blob: await r.blob() };
}

function ExportSection() {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const { name, blob } = await fetchExport();
      downloadFile(name, blob);
      setDone(t("export.done", { name, size: formatBytes(blob.size) }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="export-title">
      <h2 id="export-title">{t("export.title")}</h2>
      <p>{t("export.body")}</p>
      <ErrorAlert error={error} />
      {done && <Alert kind="ok">{done}</Alert>}
      {busy && <p aria-live="polite">{t("export.working")}</p>}
      <button type="button" onClick={run} disabled={busy}>
        {t("export.button")}
      </button>
    </section>
  );
}
