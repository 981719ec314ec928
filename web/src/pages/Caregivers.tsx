// Caregivers and family (docs/caregivers.md). For the patient: give another account rights over
// the record (which documents, until when, whether they may refuse consent requests), said in
// plain words before giving; the list, revoking at once, and sharing new documents — this
// device adds (or, after revoking, removes) the caregiver's wrapped key on each document in
// scope, as a consent does for a hospital. For the caregiver: the people they care for, and
// each one's documents (opened here with the caregiver's own key) and consent requests.
import { useEffect, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import { api, call, type Schemas } from "../api/client";
import { fromHex } from "../crypto/bytes";
import { keyId } from "../crypto/envelope";
import { formatDate, useLang } from "../i18n";
import { useCT, type CT } from "./caregiversStrings";
import { Page } from "../Layout";
import { changeStanzas } from "../lib/consentActions";
import { HI_TYPES } from "../lib/hiTypes";
import { useSession, useUnlocked } from "../state/hooks";
import { Alert, ErrorAlert, Field, Progress } from "../ui";
import { Preview } from "./documents/Preview";
import { Children } from "./Guardians";
import { hospitalName, useHospitals, words } from "./consents/consentParts";

type CaregiverView = Schemas["CaregiverView"];
type DocumentView = Schemas["DocumentView"];
type ConsentView = Schemas["ConsentView"];

/** The HI types in plain words, joined. */
function typeWords(t: CT, codes: string[]): string {
  return codes.map((c) => words(t, "hitypes", c)).join(", ");
}

/** A date `days` from today, as the date input wants it. */
function inDays(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return d.toISOString().slice(0, 10);
}

export function Caregivers() {
  const t = useCT();
  const guardianSession = !!useSession()?.guardianId;
  const [given, setGiven] = useState<CaregiverView[] | null>(null);
  const [caredFor, setCaredFor] = useState<CaregiverView[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = () => {
    call(() => api.GET("/v1/caregivers"))
      .then((l) => setGiven(l.items))
      .catch(setError);
    call(() => api.GET("/v1/caregivers/cared-for"))
      .then((l) => setCaredFor(l.items))
      .catch(setError);
  };
  useEffect(load, []);

  return (
    <Page title={t("caregivers.title")}>
      <p className="lead">{t("caregivers.intro")}</p>
      <ErrorAlert error={error} />
      <GiveAccess onGiven={load} />
      <Given list={given} onChange={load} />
      <CaredFor list={caredFor} />
      {/* A child's account has no children of its own; the guardian's list is in theirs. */}
      {!guardianSession && <Children />}
    </Page>
  );
}

function GiveAccess({ onGiven }: { onGiven(): void }) {
  const t = useCT();
  const { lang } = useLang();
  const unlocked = useUnlocked();
  const [who, setWho] = useState("");
  const [types, setTypes] = useState<string[]>(["Prescription"]);
  const [until, setUntil] = useState(inDays(90));
  const [manage, setManage] = useState(false);
  const [busy, setBusy] = useState<"giving" | "sharing" | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (types.length === 0 || !unlocked) return;
    setBusy("giving");
    setError(null);
    setDone(null);
    try {
      const body = {
        caregiver: who.trim(),
        hi_types: types,
        manage_consents: manage,
        valid_until: new Date(`${until}T23:59:59`).toISOString(),
      };
      const g = await call(() => api.POST("/v1/caregivers", { body }));
      onGiven();
      setBusy("sharing");
      const count = await share(g, unlocked, setProgress);
      setDone(t("caregivers.give.done", { name: g.caregiver_name, count }));
      setWho("");
      onGiven();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
      setProgress(null);
    }
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="give-title" noValidate>
      <h2 id="give-title">{t("caregivers.give.title")}</h2>
      <Field
        label={t("caregivers.give.who")}
        hint={t("caregivers.give.who.hint")}
        value={who}
        onChange={(e) => setWho(e.target.value)}
        autoComplete="off"
        required
      />
      <fieldset>
        <legend>{t("caregivers.give.types")}</legend>
        {HI_TYPES.map((h) => (
          <label key={h} className="check">
            <input
              type="checkbox"
              checked={types.includes(h)}
              onChange={(e) => setTypes(e.target.checked ? [...types, h] : types.filter((x) => x !== h))}
            />
            {words(t, "hitypes", h)}
          </label>
        ))}
      </fieldset>
      <Field label={t("caregivers.give.until")} type="date" value={until} min={inDays(1)} onChange={(e) => setUntil(e.target.value)} />
      <label className="check">
        <input type="checkbox" checked={manage} onChange={(e) => setManage(e.target.checked)} />
        {t("caregivers.give.manage")}
      </label>
      <section className="preview-rights" aria-labelledby="rights-preview" aria-live="polite">
        <h3 id="rights-preview">{t("caregivers.give.preview.title")}</h3>
        {types.length === 0 ? (
          <p className="field-error">{t("caregivers.give.preview.pickTypes")}</p>
        ) : (
          <ul>
            <li>{t("caregivers.give.preview.read", { types: typeWords(t, types), date: until ? formatDate(lang, until) : "—" })}</li>
            <li>{t(manage ? "caregivers.give.preview.manage" : "caregivers.give.preview.noManage")}</li>
            <li>{t("caregivers.give.preview.never")}</li>
          </ul>
        )}
      </section>
      {busy === "sharing" && (
        <>
          <p aria-live="polite">{t("caregivers.give.sharing")}</p>
          {progress && <Progress value={progress.done} max={progress.total} label={t("caregivers.give.sharing")} />}
        </>
      )}
      <ErrorAlert error={error} />
      {done && <Alert kind="ok">{done}</Alert>}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy !== null || types.length === 0 || !who.trim()}>
          {busy ? t("caregivers.give.busy") : t("caregivers.give.submit")}
        </button>
      </div>
    </form>
  );
}

/** Adds the caregiver's stanza to every document in scope still lacking it; how many now open. */
async function share(
  g: CaregiverView,
  keys: NonNullable<ReturnType<typeof useUnlocked>>,
  onProgress: (p: { done: number; total: number }) => void,
): Promise<number> {
  if (!g.caregiver_x25519_public_key) return 0;
  let total = 0;
  await changeStanzas(g.id, keys, { add: fromHex(g.caregiver_x25519_public_key) }, (done, all) => {
    total = all;
    onProgress({ done, total: all });
  }, "caregiver");
  return total;
}

function Given({ list, onChange }: { list: CaregiverView[] | null; onChange(): void }) {
  const t = useCT();
  const { lang } = useLang();
  const unlocked = useUnlocked();
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  // Documents in each active grant's scope not yet shared (added since, or a run cut short).
  const [waiting, setWaiting] = useState(new Map<string, number>());
  useEffect(() => {
    let live = true;
    for (const g of list ?? []) {
      if (g.state !== "active") continue;
      call(() => api.GET("/v1/caregivers/{id}/stanzas/pending", { params: { path: { id: g.id }, query: { limit: 1 } } }))
        .then((p) => live && setWaiting((m) => new Map(m).set(g.id, p.remaining)))
        .catch(() => {}); // a count is a nicety; sharing still works
    }
    return () => {
      live = false;
    };
  }, [list]);

  async function revoke(g: CaregiverView) {
    setBusy(g.id);
    setError(null);
    setMessage(null);
    try {
      await call(() => api.POST("/v1/caregivers/{id}/revoke", { params: { path: { id: g.id } } }));
      setMessage(t("caregivers.revoked", { name: g.caregiver_name }));
      onChange();
      // Access ended with the revocation; now take the caregiver's key out of the headers.
      if (unlocked && g.caregiver_x25519_public_key) {
        const kid = await keyId(fromHex(g.caregiver_x25519_public_key));
        await changeStanzas(g.id, unlocked, { remove: kid }, () => {}, "caregiver");
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  async function shareNew(g: CaregiverView) {
    if (!unlocked) return;
    setBusy(g.id);
    setError(null);
    setMessage(null);
    try {
      const before = await call(() =>
        api.GET("/v1/caregivers/{id}/stanzas/pending", { params: { path: { id: g.id }, query: { limit: 1 } } }),
      );
      await share(g, unlocked, () => {});
      setMessage(t("caregivers.shared", { name: g.caregiver_name, count: before.remaining }));
      setWaiting((m) => new Map(m).set(g.id, 0));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="card" aria-labelledby="given-title">
      <h2 id="given-title">{t("caregivers.given.title")}</h2>
      <ErrorAlert error={error} />
      {message && <Alert kind="ok">{message}</Alert>}
      {list && list.length === 0 && <p>{t("caregivers.given.none")}</p>}
      {list && list.length > 0 && (
        <ul className="list caregivers" aria-label={t("caregivers.given.title")}>
          {list.map((g) => (
            <li key={g.id} className="caregiver" data-state={g.state}>
              <div>
                <strong>{g.caregiver_name}</strong>{" "}
                <span className={`badge ${g.state === "active" ? "badge-ok" : "badge-err"}`}>{t(`caregivers.state.${g.state}` as "caregivers.state.active")}</span>
              </div>
              <div>{t("caregivers.rights.read", { types: typeWords(t, g.hi_types) })}</div>
              {g.manage_consents && <div>{t("caregivers.rights.manage")}</div>}
              <div className="muted">
                {t("caregivers.rights.period", { from: formatDate(lang, g.valid_from), until: formatDate(lang, g.valid_until) })}
              </div>
              {g.state === "active" && (waiting.get(g.id) ?? 0) > 0 && (
                <p className="muted">{t("caregivers.waiting", { count: waiting.get(g.id) ?? 0 })}</p>
              )}
              {g.state === "active" && (
                <div className="actions">
                  <button type="button" className="danger" disabled={busy !== null} onClick={() => void revoke(g)} aria-label={t("caregivers.revoke.label", { name: g.caregiver_name })}>
                    {busy === g.id ? t("caregivers.revoke.busy") : t("caregivers.revoke")}
                  </button>
                  <button type="button" disabled={busy !== null || !unlocked} onClick={() => void shareNew(g)} aria-label={t("caregivers.share.label", { name: g.caregiver_name })}>
                    {t("caregivers.share")}
                  </button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function CaredFor({ list }: { list: CaregiverView[] | null }) {
  const t = useCT();
  const { lang } = useLang();
  return (
    <section className="card" aria-labelledby="cared-title">
      <h2 id="cared-title">{t("caregivers.caredFor.title")}</h2>
      {list && list.length === 0 && <p>{t("caregivers.caredFor.none")}</p>}
      {list && list.length > 0 && (
        <ul className="list caregivers" aria-label={t("caregivers.caredFor.title")}>
          {list.map((g) => (
            <li key={g.id} className="caregiver" data-state={g.state}>
              <div>
                <strong>{g.patient_name}</strong>{" "}
                <span className={`badge ${g.state === "active" ? "badge-ok" : "badge-err"}`}>{t(`caregivers.state.${g.state}` as "caregivers.state.active")}</span>
              </div>
              <div>{t("caregivers.rights.read", { types: typeWords(t, g.hi_types) })}</div>
              <div className="muted">
                {t("caregivers.rights.period", { from: formatDate(lang, g.valid_from), until: formatDate(lang, g.valid_until) })}
              </div>
              {g.state === "active" && (
                <Link to={`/caregivers/${g.id}`} aria-label={t("caregivers.caredFor.openLabel", { name: g.patient_name })}>
                  {t("caregivers.caredFor.open")}
                </Link>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The caregiver's view of one person they care for: documents in scope and consent requests. */
export function CaredForRecord() {
  const t = useCT();
  const { lang } = useLang();
  const { id = "" } = useParams();
  const hospitals = useHospitals();
  const [grant, setGrant] = useState<CaregiverView | null>(null);
  const [docs, setDocs] = useState<DocumentView[] | null>(null);
  const [consents, setConsents] = useState<ConsentView[] | null>(null);
  const [open, setOpen] = useState<DocumentView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    call(() => api.GET("/v1/caregivers/cared-for"))
      .then((l) => {
        if (!live) return;
        const g = l.items.find((x) => x.id === id) ?? null;
        setGrant(g);
        if (g?.manage_consents) {
          call(() => api.GET("/v1/caregivers/{id}/consents", { params: { path: { id } } }))
            .then((c) => live && setConsents(c))
            .catch((e) => live && setError(e));
        }
      })
      .catch((e) => live && setError(e));
    call(() => api.GET("/v1/caregivers/{id}/documents", { params: { path: { id } } }))
      .then((d) => live && setDocs(d))
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [id]);

  async function deny(c: ConsentView) {
    setError(null);
    setMessage(null);
    try {
      const denied = await call(() =>
        api.POST("/v1/caregivers/{id}/consents/{consent_id}/deny", { params: { path: { id, consent_id: c.id } } }),
      );
      setConsents((list) => list?.map((x) => (x.id === denied.id ? denied : x)) ?? null);
      setMessage(t("caregivers.patient.denied", { name: grant?.patient_name ?? "" }));
    } catch (err) {
      setError(err);
    }
  }

  const name = grant?.patient_name ?? "";
  const requests = consents?.filter((c) => c.status === "REQUESTED") ?? [];
  return (
    <Page title={t("caregivers.patient.title", { name })}>
      <p className="lead">{t("caregivers.patient.intro", { name })}</p>
      <p>
        <Link to="/caregivers">{t("caregivers.patient.back")}</Link>
      </p>
      <ErrorAlert error={error} />
      {message && <Alert kind="ok">{message}</Alert>}
      {docs && (
        <section className="card" aria-labelledby="cared-docs">
          <h2 id="cared-docs">{t("caregivers.patient.documents")}</h2>
          {docs.length === 0 ? (
            <p>{t("caregivers.patient.none", { name })}</p>
          ) : (
            <ul className="list" aria-label={t("caregivers.patient.documents")}>
              {docs.map((d) => {
                const type = words(t, "hi", d.hi_type);
                const date = formatDate(lang, d.care_date);
                return (
                  <li key={d.id} className="cared-doc">
                    <span>
                      <strong>{type}</strong> · {date}
                    </span>
                    {d.my_stanza ? (
                      <button type="button" onClick={() => setOpen(d)} aria-label={t("caregivers.patient.openLabel", { type, date })}>
                        {t("caregivers.patient.open")}
                      </button>
                    ) : (
                      <span className="muted">{t("caregivers.patient.notShared")}</span>
                    )}
                  </li>
                );
              })}
            </ul>
          )}
        </section>
      )}
      {open && <Preview key={open.id} doc={open} contentPath={`/v1/caregivers/${id}/documents/${open.id}/content`} />}
      {grant?.manage_consents && consents && (
        <section className="card" aria-labelledby="cared-consents">
          <h2 id="cared-consents">{t("caregivers.patient.consents")}</h2>
          <p className="muted">{t("caregivers.patient.cannotSign", { name })}</p>
          {requests.length === 0 ? (
            <p>{t("caregivers.patient.noRequests")}</p>
          ) : (
            <ul className="list">
              {requests.map((c) => {
                const hospital = hospitalName(t, hospitals, c.hospital_id);
                return (
                  <li key={c.id}>
                    <span>{t("caregivers.patient.request", { hospital, types: typeWords(t, c.hi_types) })}</span>
                    <button type="button" className="danger" onClick={() => void deny(c)} aria-label={t("caregivers.patient.denyLabel", { hospital })}>
                      {t("caregivers.patient.deny")}
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
        </section>
      )}
    </Page>
  );
}
