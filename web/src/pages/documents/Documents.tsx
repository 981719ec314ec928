// The documents page: add documents, and the list with filters (type, care dates, who added it)
// and each document's anchor state, refreshed while any is still being anchored.
import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, useLocation } from "react-router";
import { api, call } from "../../api/client";
import { formatBytes, useLang, useT } from "../../i18n";
import { formatDay } from "../../lib/dates";
import { HI_TYPES, type DocumentView } from "../../lib/documents";
import { Page } from "../../Layout";
import { Alert, ErrorAlert, Field, Select } from "../../ui";
import { AnchorBadge } from "./Anchor";
import { Upload } from "./Upload";

const POLL_MS = 3000;

/** The list, and a reload; polls while any document is not yet confirmed on chain. */
function useDocuments() {
  const [docs, setDocs] = useState<DocumentView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = useCallback(async () => {
    try {
      setDocs(await call(() => api.GET("/v1/documents")));
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);
  const anchoring = docs?.some((d) => d.anchor_state !== "confirmed") ?? false;
  useEffect(() => {
    if (!anchoring) return;
    const timer = setInterval(() => void reload(), POLL_MS);
    return () => clearInterval(timer);
  }, [anchoring, reload]);
  return { docs, error, reload };
}

interface Filters {
  hiType: string;
  from: string;
  to: string;
  source: "" | "patient" | "hospital";
}

function applyFilters(docs: DocumentView[], f: Filters): DocumentView[] {
  return docs.filter(
    (d) =>
      (!f.hiType || d.hi_type === f.hiType) &&
      (!f.from || d.care_date >= f.from) &&
      (!f.to || d.care_date <= f.to) &&
      (!f.source || d.uploaded_by_role === f.source),
  );
}

export function Documents() {
  const t = useT();
  const location = useLocation();
  const deleted = (location.state as { deleted?: boolean } | null)?.deleted;
  const { docs, error, reload } = useDocuments();
  const [filters, setFilters] = useState<Filters>({ hiType: "", from: "", to: "", source: "" });
  const shown = useMemo(() => (docs ? applyFilters(docs, filters) : []), [docs, filters]);
  const set = (change: Partial<Filters>) => setFilters((f) => ({ ...f, ...change }));

  return (
    <Page title={t("documents.title")}>
      {deleted && <Alert kind="ok">{t("documents.deleted")}</Alert>}
      <Upload onUploaded={reload} />
      <section aria-labelledby="list-title">
        <h2 id="list-title">{t("documents.list.title")}</h2>
        <form className="card filters" aria-label={t("documents.filter.label")} onSubmit={(e) => e.preventDefault()}>
          <Select label={t("documents.filter.type")} value={filters.hiType} onChange={(e) => set({ hiType: e.target.value })}>
            <option value="">{t("documents.filter.all_types")}</option>
            {HI_TYPES.map((h) => (
              <option key={h} value={h}>
                {t(`hi.${h}`)}
              </option>
            ))}
          </Select>
          <Field label={t("documents.filter.from")} type="date" value={filters.from} onChange={(e) => set({ from: e.target.value })} />
          <Field label={t("documents.filter.to")} type="date" value={filters.to} onChange={(e) => set({ to: e.target.value })} />
          <Select
            label={t("documents.filter.source")}
            value={filters.source}
            onChange={(e) => set({ source: e.target.value as Filters["source"] })}
          >
            <option value="">{t("documents.filter.anyone")}</option>
            <option value="patient">{t("documents.source.patient")}</option>
            <option value="hospital">{t("documents.source.hospital")}</option>
          </Select>
        </form>
        <ErrorAlert error={error} />
        {docs === null && !error && <p>{t("app.loading")}</p>}
        {docs && docs.length === 0 && <p className="muted">{t("documents.list.empty")}</p>}
        {docs && docs.length > 0 && shown.length === 0 && <p className="muted">{t("documents.list.none_match")}</p>}
        {shown.length > 0 && (
          <ul className="list" aria-label={t("documents.list.title")}>
            {shown.map((d) => (
              <DocumentRow key={d.id} doc={d} />
            ))}
          </ul>
        )}
      </section>
    </Page>
  );
}

function DocumentRow({ doc }: { doc: DocumentView }) {
  const { t, lang } = useLang();
  return (
    <li className="doc-row">
      <div className="row-head">
        <Link to={`/documents/${doc.id}`} className="doc-link">
          {t(`hi.${doc.hi_type}` as "hi.OPConsultation")}
        </Link>
        <AnchorBadge doc={doc} />
      </div>
      <p className="muted">
        {t("documents.row", {
          date: formatDay(lang, doc.care_date),
          size: formatBytes(doc.plaintext_size),
          source: t(doc.uploaded_by_role === "hospital" ? "documents.source.hospital" : "documents.source.patient"),
        })}
      </p>
    </li>
  );
}
