// One document the hospital may read: its facts and anchor, the document decrypted in this
// browser with the hospital's own key (the patient's Preview), and its proof bundle to keep with
// the hospital's copy. Until the document is anchored the page looks at the hospital's list
// every few seconds rather than at the document: each read of a patient's document is an entry
// in the patient's access history, and a waiting page should not write one every few seconds.
// Without the hospital's stanza in the header (the patient's app has not
// shared this one yet) there is nothing to decrypt, and the page says why.
import { useEffect, useState } from "react";
import { api, call } from "../api/client";
import { Link, useParams } from "react-router";
import { Page } from "../Layout";
import { formatDay } from "../lib/dates";
import { fetchProof, type DocumentView } from "../lib/documents";
import { fileName } from "../lib/files";
import { formatBytes, formatDate, useLang, type Key } from "../i18n";
import { AnchorBadge } from "../pages/documents/Anchor";
import { Preview } from "../pages/documents/Preview";
import { downloadFile } from "../state/keys";
import { useSession } from "../state/hooks";
import { Alert } from "../ui";
import { useHT, useHospitalError } from "./strings";

const POLL_MS = 5000;

function useHospitalDocument(id: string): { doc: DocumentView | null; error: unknown } {
  const [doc, setDoc] = useState<DocumentView | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    call(() => api.GET("/v1/documents/{id}", { params: { path: { id } } }))
      .then((d) => live && setDoc(d))
      .catch((e: unknown) => live && setError(e));
    return () => {
      live = false;
    };
  }, [id]);
  const anchoring = doc !== null && doc.anchor_state !== "confirmed";
  useEffect(() => {
    if (!anchoring) return;
    const timer = setInterval(() => {
      call(() => api.GET("/v1/documents")).then(
        (list) => {
          const now = list.find((d) => d.id === id);
          if (now && now.anchor_state !== doc?.anchor_state) setDoc((old) => (old ? { ...old, anchor_state: now.anchor_state } : old));
        },
        () => {}, // the next tick tries again
      );
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [anchoring, id, doc?.anchor_state]);
  return { doc, error };
}

export function HospitalDocument() {
  const ht = useHT();
  const { t, lang } = useLang();
  const describe = useHospitalError();
  const { id = "" } = useParams();
  const self = useSession()?.subjectId;
  const { doc, error: loadError } = useHospitalDocument(id);
  const [error, setError] = useState<string | null>(null);
  const shown = error ?? (loadError ? describe(loadError) : null);

  async function saveProof() {
    if (!doc) return;
    setError(null);
    try {
      downloadFile(fileName(doc, "proof.json"), JSON.stringify(await fetchProof(doc.id), null, 2), "application/json");
    } catch (e) {
      setError(describe(e));
    }
  }

  return (
    <Page title={doc ? t(`hi.${doc.hi_type}` as Key) : t("documents.title")}>
      {doc && (
        <p>
          <Link to={`/hospital/patients/${doc.owner_patient_id}`}>{ht("h.doc.back")}</Link>
        </p>
      )}
      {shown && <Alert>{shown}</Alert>}
      {!doc && !shown && <p>{t("app.loading")}</p>}
      {doc && (
        <>
          <section className="card" aria-labelledby="facts-title">
            <h2 id="facts-title">{t("documents.detail.facts")}</h2>
            <dl className="facts">
              <dt>{t("documents.field.care_date")}</dt>
              <dd>{formatDay(lang, doc.care_date)}</dd>
              <dt>{t("documents.detail.size")}</dt>
              <dd>{formatBytes(doc.plaintext_size)}</dd>
              <dt>{t("documents.detail.added_by")}</dt>
              <dd>
                {doc.uploaded_by_id === self
                  ? ht("h.pat.docs.ours")
                  : t(doc.uploaded_by_role === "hospital" ? "documents.source.hospital" : "documents.source.patient")},{" "}
                {formatDate(lang, doc.created_at, true)}
              </dd>
              <dt>{t("documents.detail.anchor")}</dt>
              <dd>
                <AnchorBadge doc={doc} />
              </dd>
              <dt>{t("documents.detail.fingerprint")}</dt>
              <dd className="mono">{doc.plaintext_sha256}</dd>
            </dl>
            <div className="actions">
              <button type="button" onClick={() => void saveProof()} disabled={doc.anchor_state !== "confirmed"}>
                {t("documents.detail.proof")}
              </button>
            </div>
            {doc.anchor_state !== "confirmed" && <p className="muted">{t("documents.detail.proof_wait")}</p>}
          </section>
          {doc.my_stanza ? <Preview doc={doc} /> : <Alert kind="info">{ht("h.doc.noKey")}</Alert>}
        </>
      )}
    </Page>
  );
}
