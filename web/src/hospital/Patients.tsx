// The hospital's patients (GET /v1/hospitals/me/patients): everyone it asked to link or asked for
// consent. One patient's page puts together what the hospital may do with the record: the grants
// in force (scope and end), the documents it may read (added by itself, or shared under a grant)
// and, while the record is linked, an upload sealed in this browser to the patient and the
// hospital. Which documents the hospital sees is the server's decision; the page only explains it.
import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { api, call, type Schemas } from "../api/client";
import { fromHex } from "../crypto/bytes";
import { Page } from "../Layout";
import { formatAbhaNumber } from "../lib/abha";
import { formatDay } from "../lib/dates";
import type { DocumentView, IntoRecord } from "../lib/documents";
import { useLang, type Key } from "../i18n";
import { AnchorBadge } from "../pages/documents/Anchor";
import { Upload } from "../pages/documents/Upload";
import { useSession } from "../state/hooks";
import { Alert } from "../ui";
import { HospitalRecords } from "./HospitalRecords";
import { useHT, useHospitalError, type HT } from "./strings";

type Patient = Schemas["HospitalPatientView"];
type Consent = Schemas["ConsentView"];

const LINK_BADGE: Record<string, string> = { LINKED: "ok", REQUESTED: "warn", DENIED: "err", UNLINKED: "err" };

function linkLabel(ht: HT, status: string | null | undefined): string {
  return status && status in LINK_BADGE ? ht(`h.pat.link.${status}` as Parameters<HT>[0]) : ht("h.pat.link.none");
}

function usePatients() {
  const describe = useHospitalError();
  const [list, setList] = useState<Patient[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    call(() => api.GET("/v1/hospitals/me/patients"))
      .then((l) => live && setList(l))
      .catch((e: unknown) => live && setError(describe(e)));
    return () => {
      live = false;
    };
  }, [describe]);
  return { list, error };
}

export function Patients() {
  const ht = useHT();
  const { t } = useLang();
  const { list, error } = usePatients();
  return (
    <Page title={ht("h.pat.title")}>
      <p className="muted">{ht("h.pat.intro")}</p>
      {error && <Alert>{error}</Alert>}
      {list === null && !error && <p>{t("app.loading")}</p>}
      {list?.length === 0 && <p>{ht("h.pat.none")}</p>}
      <ul className="cards" aria-label={ht("h.pat.title")}>
        {list?.map((p) => (
          <li key={p.patient_id} className="card">
            <p>
              <strong>{p.name ?? ht("h.pat.unnamed")}</strong>
            </p>
            <p className="muted">{ht("h.pat.abha", { abha: formatAbhaNumber(p.abha_number) })}</p>
            <p>
              <span className={`badge badge-${LINK_BADGE[p.link_status ?? ""] ?? "warn"}`}>{linkLabel(ht, p.link_status)}</span>{" "}
              <span className={`badge badge-${p.active_grants > 0 ? "ok" : "warn"}`}>
                {p.active_grants > 0 ? ht("h.pat.grants", { n: p.active_grants }) : ht("h.pat.noGrants")}
              </span>
            </p>
            <Link to={`/hospital/patients/${p.patient_id}`} aria-label={`${ht("h.pat.open")}: ${formatAbhaNumber(p.abha_number)}`}>
              {ht("h.pat.open")}
            </Link>
          </li>
        ))}
      </ul>
    </Page>
  );
}

/** Grants from this patient in force now: granted, not yet past their end. */
function inForce(consents: Consent[], patientId: string, now: number): Consent[] {
  return consents.filter((c) => c.patient_id === patientId && c.status === "GRANTED" && Date.parse(c.data_erase_at) > now);
}

/** The latest end among the grants that cover a document (its type and care date). */
function sharedUntil(doc: DocumentView, grants: Consent[]): string | null {
  const covering = grants.filter(
    (c) => c.hi_types.includes(doc.hi_type) && c.date_range.from <= doc.care_date && doc.care_date <= c.date_range.to,
  );
  return covering.map((c) => c.data_erase_at).sort().at(-1) ?? null;
}

export function PatientRecord() {
  const ht = useHT();
  const { t, lang } = useLang();
  const describe = useHospitalError();
  const { id = "" } = useParams();
  const self = useSession()?.subjectId;
  const { list, error } = usePatients();
  const [consents, setConsents] = useState<Consent[] | null>(null);
  const [docs, setDocs] = useState<DocumentView[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const patient = list?.find((p) => p.patient_id === id) ?? null;

  const reload = useCallback(async () => {
    try {
      const [c, d] = await Promise.all([call(() => api.GET("/v1/consents")), call(() => api.GET("/v1/documents"))]);
      setConsents(c);
      setDocs(d.filter((x) => x.owner_patient_id === id));
      setLoadError(null);
    } catch (e) {
      setLoadError(describe(e));
    }
  }, [id, describe]);
  useEffect(() => {
    void reload();
  }, [reload]);

  const grants = useMemo(() => inForce(consents ?? [], id, Date.now()), [consents, id]);
  const into = useMemo<IntoRecord | undefined>(
    () =>
      patient?.link_status === "LINKED" && patient.x25519_public_key
        ? { patientId: patient.patient_id, patientKey: fromHex(patient.x25519_public_key) }
        : undefined,
    [patient],
  );
  const day = (iso: string) => formatDay(lang, iso.slice(0, 10));
  const title = patient ? (patient.name ?? formatAbhaNumber(patient.abha_number)) : ht("h.pat.title");

  return (
    <Page title={title}>
      <p>
        <Link to="/hospital/patients">{ht("h.pat.back")}</Link>
      </p>
      {(error ?? loadError) && <Alert>{error ?? loadError}</Alert>}
      {list === null && !error && <p>{t("app.loading")}</p>}
      {list && !patient && <Alert kind="info">{ht("h.pat.missing")}</Alert>}
      {patient && (
        <>
          <p>
            {ht("h.pat.abha", { abha: formatAbhaNumber(patient.abha_number) })}{" "}
            <span className={`badge badge-${LINK_BADGE[patient.link_status ?? ""] ?? "warn"}`}>{linkLabel(ht, patient.link_status)}</span>
          </p>
          <section className="card" aria-labelledby="shares-title">
            <h2 id="shares-title">{ht("h.pat.shares.title")}</h2>
            {consents && grants.length === 0 && <p>{ht("h.pat.shares.none")}</p>}
            <ul>
              {grants.map((c) => (
                <li key={c.id}>
                  {ht("h.pat.shares.item", {
                    types: c.hi_types.map((h) => t(`hi.${h}` as Key)).join(", "),
                    from: formatDay(lang, c.date_range.from),
                    to: formatDay(lang, c.date_range.to),
                    until: day(c.data_erase_at),
                  })}
                </li>
              ))}
            </ul>
          </section>
          <section className="card" aria-labelledby="docs-title">
            <h2 id="docs-title">{ht("h.pat.docs.title")}</h2>
            {docs?.length === 0 && <p>{ht("h.pat.docs.none")}</p>}
            {docs && docs.length > 0 && (
              <ul className="list" aria-label={ht("h.pat.docs.title")}>
                {docs.map((d) => {
                  const ours = d.uploaded_by_id === self;
                  const until = ours ? null : sharedUntil(d, grants);
                  return (
                    <li key={d.id} className="doc-row">
                      <div className="row-head">
                        <Link to={`/hospital/documents/${d.id}`} className="doc-link">
                          {t(`hi.${d.hi_type}` as Key)}, {formatDay(lang, d.care_date)}
                        </Link>
                        <AnchorBadge doc={d} />
                      </div>
                      <p className="muted">
                        {ours
                          ? ht("h.pat.docs.ours")
                          : until
                            ? ht("h.pat.docs.shared", { until: day(until) })
                            : ht("h.pat.noGrants")}
                      </p>
                      {!d.my_stanza && <p className="muted">{ht("h.pat.docs.noKey")}</p>}
                    </li>
                  );
                })}
              </ul>
            )}
          </section>
          {docs && <HospitalRecords docs={docs} />}
          {into ? (
            <Upload into={into} lead={ht("h.pat.upload.lead")} docPath={(doc) => `/hospital/documents/${doc}`} onUploaded={reload} />
          ) : (
            <p className="muted">{patient.link_status === "LINKED" ? ht("h.pat.upload.noKey") : ht("h.pat.upload.notLinked")}</p>
          )}
        </>
      )}
    </Page>
  );
}
