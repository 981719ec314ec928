// The anchor state of a document as a badge: waiting, anchoring, or anchored in block N at time
// T (the block and time come from the proof bundle, written once the batch is confirmed).
import { useEffect, useState } from "react";
import { formatDate, useLang } from "../../i18n";
import { fetchProof, type DocumentView } from "../../lib/documents";
import type { ProofBundle } from "../../crypto/proof";

/** The proof bundle of a confirmed document (null until then, or if it cannot be fetched). */
export function useProof(doc: DocumentView | null): ProofBundle | null {
  const [proof, setProof] = useState<ProofBundle | null>(null);
  const confirmed = doc?.anchor_state === "confirmed" ? doc.id : null;
  useEffect(() => {
    if (!confirmed) return;
    let live = true;
    fetchProof(confirmed).then(
      (p) => live && setProof(p),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [confirmed]);
  return confirmed ? proof : null;
}

export function AnchorBadge({ doc }: { doc: DocumentView }) {
  const { t, lang } = useLang();
  const proof = useProof(doc);
  if (doc.anchor_state === "confirmed") {
    return (
      <span className="badge badge-ok">
        {proof
          ? t("documents.anchor.confirmed_at", {
              block: proof.anchor.block_number,
              time: formatDate(lang, new Date(proof.anchor.block_timestamp * 1000), true),
            })
          : t("documents.anchor.confirmed")}
      </span>
    );
  }
  if (doc.anchor_state === "submitted") return <span className="badge badge-warn">{t("documents.anchor.submitted")}</span>;
  return <span className="badge">{t("documents.anchor.pending")}</span>;
}
