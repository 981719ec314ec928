// Deleting a document, after saying in plain words what deletion means (crypto-shredding).
import { useEffect, useRef, useState } from "react";
import { api, call, currentSession } from "../../api/client";
import { useT } from "../../i18n";
import type { DocumentView } from "../../lib/documents";
import { forgetIndexed } from "../../lib/recordIndex";
import { ErrorAlert } from "../../ui";

export function DeleteDialog(props: { doc: DocumentView; open: boolean; onClose: () => void; onDeleted: () => void }) {
  const { doc, open, onClose, onDeleted } = props;
  const t = useT();
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const d = dialog.current;
    if (open && d && !d.open) d.showModal();
    if (!open && d?.open) d.close();
  }, [open]);

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await call(() => api.DELETE("/v1/documents/{id}", { params: { path: { id: doc.id } } }));
      // What the records page read from it goes too (the next records run would drop it anyway).
      const subject = currentSession()?.subjectId;
      if (subject) await forgetIndexed(subject, [doc.id]).catch(() => {});
      onDeleted();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog ref={dialog} aria-labelledby="delete-title" aria-describedby="delete-body" onClose={onClose}>
      <h2 id="delete-title">{t("documents.delete.title")}</h2>
      <div id="delete-body">
        <p>{t("documents.delete.body")}</p>
        <ul>
          <li>{t("documents.delete.point.copy")}</li>
          <li>{t("documents.delete.point.hospitals")}</li>
          <li>{t("documents.delete.point.chain")}</li>
        </ul>
      </div>
      <ErrorAlert error={error} />
      <div className="actions">
        <button type="button" onClick={onClose} disabled={busy}>
          {t("action.cancel")}
        </button>
        <button type="button" className="danger" onClick={remove} disabled={busy}>
          {t("documents.delete.confirm")}
        </button>
      </div>
    </dialog>
  );
}
