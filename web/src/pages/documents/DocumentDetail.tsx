// One document: its facts (with the anchoring block and transaction once confirmed), a preview
// decrypted in this browser, the decrypted download, the proof bundle, and delete.
import { useCallback, useEffect, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, call } from "../../api/client";
import { formatBytes, formatDate, useLang, useT } from "../../i18n";
import { formatDay } from "../../lib/dates";
import { fetchProof, type DocumentView } from "../../lib/documents";
import { fileName } from "../../lib/files";
import { Page } from "../../Layout";
import { downloadFile } from "../../state/keys";
import { ErrorAlert } from "../../ui";
import { AnchorBadge, useProof } from "./Anchor";
import { DeleteDialog } from "./DeleteDialog";
import { Preview } from "./Preview";

const POLL_MS = 3000;

function useDocument(id: string) {
  const [doc, setDoc] = useState<DocumentView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async () => {
    try {
      setDoc(await call(() => api.GET("/v1/documents/{id}", { params: { path: { id } } })));
    } catch (e) {
      setError(e);
    }
  }, [id]);
  useEffect(() => {
    void load();
  }, [load]);
  // Until the batch is confirmed on chain, look again every few seconds.
  const anchoring = doc !== null && doc.anchor_state !== "confirmed";
  useEffect(() => {
    if (!anchoring) return;
    const timer = setInterval(() => void load(), POLL_MS);
    return () => clearInterval(timer);
  }, [anchoring, load]);
  return { doc, error };
}

export function DocumentDetail() {
  const { t } = useLang();
  const { id = "" } = useParams();
  const { doc, error } = useDocument(id);
  const title = doc ? t(`hi.${doc.hi_type}` as "hi.OPConsultation") : t("documents.title");
  return (
    <Page title={title}>
      <p>
        <Link to="/documents">{t("documents.back")}</Link>
      </p>
      <ErrorAlert error={error} />
      {!doc && !error && <p>{t("app.loading")}</p>}
      {doc && <Detail doc={doc} />}
    </Page>
  );
}

function Detail({ doc }: { doc: DocumentView }) {
  const { t, lang } = useLang();
  const proof = useProof(doc);
  return (
    <>
      <section className="card" aria-labelledby="facts-title">
        <h2 id="facts-title">{t("documents.detail.facts")}</h2>
        <dl className="facts">
          <dt>{t("documents.field.type")}</dt>
          <dd>{t(`hi.${doc.hi_type}` as "hi.OPConsultation")}</dd>
          <dt>{t("documents.field.care_date")}</dt>
          <dd>{formatDay(lang, doc.care_date)}</dd>
          <dt>{t("documents.detail.size")}</dt>
          <dd>{formatBytes(doc.plaintext_size)}</dd>
          <dt>{t("documents.detail.added_by")}</dt>
          <dd>
            {t(doc.uploaded_by_role === "hospital" ? "documents.source.hospital" : "documents.source.patient")},{" "}
            {formatDate(lang, doc.created_at, true)}
          </dd>
          <dt>{t("documents.detail.anchor")}</dt>
          <dd>
            <AnchorBadge doc={doc} />
          </dd>
          {proof && (
            <>
              <dt>{t("documents.detail.block")}</dt>
              <dd>
                {t("documents.detail.block_at", {
                  block: proof.anchor.block_number,
                  time: formatDate(lang, new Date(proof.anchor.block_timestamp * 1000), true),
                })}
              </dd>
              <dt>{t("documents.detail.tx")}</dt>
              <dd className="mono">{proof.anchor.tx_hash}</dd>
            </>
          )}
          <dt>{t("documents.detail.fingerprint")}</dt>
          <dd className="mono">{doc.plaintext_sha256}</dd>
        </dl>
        {doc.anchor_state !== "confirmed" && <p className="muted">{t("documents.detail.anchor_wait")}</p>}
      </section>
      <Preview doc={doc} />
      <Actions doc={doc} />
    </>
  );
}

function Actions({ doc }: { doc: DocumentView }) {
  const t = useT();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const opener = useRef<HTMLButtonElement>(null);
  const confirmed = doc.anchor_state === "confirmed";

  async function saveProof() {
    setError(null);
    try {
      const bundle = await fetchProof(doc.id);
      downloadFile(fileName(doc, "proof.json"), JSON.stringify(bundle, null, 2), "application/json");
    } catch (e) {
      setError(e);
    }
  }

  return (
    <section className="card" aria-labelledby="more-title">
      <h2 id="more-title">{t("documents.detail.more")}</h2>
      <ErrorAlert error={error} />
      <div className="actions">
        <button type="button" onClick={saveProof} disabled={!confirmed}>
          {t("documents.detail.proof")}
        </button>
        <button type="button" className="danger" ref={opener} onClick={() => setConfirming(true)}>
          {t("documents.delete.open")}
        </button>
      </div>
      {!confirmed && <p className="muted">{t("documents.detail.proof_wait")}</p>}
      <DeleteDialog
        doc={doc}
        open={confirming}
        onClose={() => {
          setConfirming(false);
          opener.current?.focus();
        }}
        onDeleted={() => navigate("/documents", { state: { deleted: true } })}
      />
    </section>
  );
}
