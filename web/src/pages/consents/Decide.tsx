// The patient's decisions: approve (narrowed if they wish), refuse, take access back, and sign
// again a message the chain refused; and finishing an approval or a revocation that stopped
// half-way. Each shows progress while it works and says plainly what failed; documents this
// device cannot open are skipped and counted, never fatal.
import { useEffect, useId, useMemo, useRef, useState, type FormEvent, type ReactNode } from "react";
import { api, call } from "../../api/client";
import type { Unlocked } from "../../crypto/worker";
import { formatDate, useLang, useT } from "../../i18n";
import {
  approveConsent,
  documentsInScope,
  resignConsent,
  revokeConsent,
  shareGranted,
  type ConsentView,
  type Decided,
} from "../../lib/consentActions";
import { sortHiTypes } from "../../lib/consentScope";
import { Alert, Field, Progress } from "../../ui";
import { consentErrorText, words } from "./consentParts";

/** A modal question with a confirm and a cancel button. */
export function ConfirmDialog({
  open,
  title,
  children,
  confirm,
  danger,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirm: string;
  danger?: boolean;
  onConfirm(): void;
  onCancel(): void;
}) {
  const t = useT();
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (open && d && !d.open) d.showModal();
    if (!open && d?.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onCancel={onCancel}>
      <h2 id={titleId}>{title}</h2>
      {children}
      <div className="actions">
        <button type="button" className={danger ? "danger" : "primary"} onClick={onConfirm}>
          {confirm}
        </button>
        <button type="button" onClick={onCancel}>
          {t("action.cancel")}
        </button>
      </div>
    </dialog>
  );
}

export function DenyButton({ c, hospital, onDone }: { c: ConsentView; hospital: string; onDone(v: ConsentView): void }) {
  const t = useT();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const deny = async () => {
    setAsking(false);
    setBusy(true);
    setError(null);
    try {
      onDone(await call(() => api.POST("/v1/consents/{id}/deny", { params: { path: { id: c.id } } })));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" onClick={() => setAsking(true)} disabled={busy}>
        {t("deny.button")}
      </button>
      {error != null && <Alert>{consentErrorText(t, error)}</Alert>}
      <ConfirmDialog
        open={asking}
        title={t("deny.button")}
        confirm={t("deny.button")}
        onConfirm={deny}
        onCancel={() => setAsking(false)}
      >
        <p>{t("deny.confirm", { hospital })}</p>
      </ConfirmDialog>
    </>
  );
}

/** `YYYY-MM-DD` of a time in the browser's zone. */
function localDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export function ApproveForm({
  c,
  hospital,
  keys,
  onDone,
}: {
  c: ConsentView;
  hospital: string;
  keys: Unlocked;
  onDone(d: Decided): void;
}) {
  const { t, lang } = useLang();
  const requestedEnd = Date.parse(c.data_erase_at);
  const [types, setTypes] = useState<string[]>(c.hi_types);
  const [from, setFrom] = useState(c.date_range.from);
  const [to, setTo] = useState(c.date_range.to);
  const [until, setUntil] = useState(localDate(new Date(requestedEnd)));
  const [docs, setDocs] = useState<Awaited<ReturnType<typeof listDocuments>> | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    listDocuments().then(setDocs, () => setDocs(null));
  }, []);

  const typesBad = types.length === 0;
  const datesBad = !from || !to || from > to || from < c.date_range.from || to > c.date_range.to;
  const today = localDate(new Date());
  const maxUntil = localDate(new Date(requestedEnd));
  const untilBad = !until || until < today || until > maxUntil;
  const bad = typesBad || datesBad || untilBad;
  const inScope = useMemo(
    () => (docs && !datesBad ? documentsInScope(docs, { hiTypes: types, dateFrom: from, dateTo: to }).length : null),
    [docs, types, from, to, datesBad],
  );

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (bad || progress) return;
    setError(null);
    setProgress({ done: 0, total: 0 });
    // The end of the chosen day, never later than the hospital asked for.
    const endOfDay = new Date(`${until}T23:59:59`).getTime();
    const end = Math.floor(Math.min(endOfDay, requestedEnd) / 1000);
    try {
      const v = await approveConsent(c, { hiTypes: types, dateFrom: from, dateTo: to, until: end }, keys, (done, total) =>
        setProgress({ done, total }),
      );
      onDone(v);
    } catch (err) {
      setError(err);
    } finally {
      setProgress(null);
    }
  };

  return (
    <form onSubmit={submit} className="card" aria-labelledby="approve-title" noValidate>
      <h2 id="approve-title">{t("approve.title")}</h2>
      <p>{t("approve.intro")}</p>
      <fieldset>
        <legend>{t("approve.types")}</legend>
        {sortHiTypes(c.hi_types).map((h) => (
          <label key={h} className="check">
            <input
              type="checkbox"
              checked={types.includes(h)}
              onChange={(e) => setTypes(e.target.checked ? [...types, h] : types.filter((x) => x !== h))}
            />
            {words(t, "hitypes", h)}
          </label>
        ))}
        {typesBad && <p className="field-error">{t("approve.typesNone")}</p>}
      </fieldset>
      <div className="two">
        <Field
          label={t("approve.from")}
          type="date"
          value={from}
          min={c.date_range.from}
          max={c.date_range.to}
          onChange={(e) => setFrom(e.target.value)}
        />
        <Field label={t("approve.to")} type="date" value={to} min={c.date_range.from} max={c.date_range.to} onChange={(e) => setTo(e.target.value)} />
      </div>
      {datesBad && (
        <p className="field-error">
          {t("approve.datesBad", { from: formatDate(lang, c.date_range.from), to: formatDate(lang, c.date_range.to) })}
        </p>
      )}
      <Field
        label={t("approve.until")}
        type="date"
        value={until}
        min={today}
        max={maxUntil}
        onChange={(e) => setUntil(e.target.value)}
        error={untilBad ? t("approve.untilBad", { max: formatDate(lang, c.data_erase_at) }) : null}
      />
      {inScope !== null && <p>{t("approve.docs", { count: inScope, hospital })}</p>}
      {error != null && <Alert>{consentErrorText(t, error)}</Alert>}
      {progress && (
        <div aria-live="polite">
          <p>{progress.total === 0 ? t("approve.signing") : t("approve.working")}</p>
          <Progress value={progress.done} max={progress.total} label={t("approve.progress")} />
        </div>
      )}
      <button type="submit" className="primary" disabled={bad || !!progress}>
        {t("approve.button")}
      </button>
    </form>
  );
}

function listDocuments() {
  return call(() => api.GET("/v1/documents"));
}

/** A granted consent whose documents do not all carry the hospital's key yet: finish sharing. */
export function SharePanel({
  c,
  pending,
  keys,
  onDone,
}: {
  c: ConsentView;
  pending: number;
  keys: Unlocked;
  onDone(d: Decided): void;
}) {
  const t = useT();
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const share = async () => {
    setError(null);
    setProgress({ done: 0, total: 0 });
    try {
      onDone(await shareGranted(c, keys, (done, total) => setProgress({ done, total })));
    } catch (e) {
      setError(e);
    } finally {
      setProgress(null);
    }
  };
  return (
    <section className="card" aria-labelledby="share-title">
      <h2 id="share-title">{t("share.title")}</h2>
      {error == null && <p>{t("share.unfinished", { count: pending })}</p>}
      {error != null && <Alert>{consentErrorText(t, error)}</Alert>}
      {progress && (
        <div aria-live="polite">
          <p>{t("approve.working")}</p>
          <Progress value={progress.done} max={progress.total} label={t("approve.progress")} />
        </div>
      )}
      <button type="button" className="primary" disabled={!!progress} onClick={share}>
        {t("share.button")}
      </button>
    </section>
  );
}

export function RevokePanel({
  c,
  hospital,
  keys,
  onDone,
}: {
  c: ConsentView;
  hospital: string;
  keys: Unlocked;
  onDone(d: Decided): void;
}) {
  const t = useT();
  const [asking, setAsking] = useState(false);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const revoke = async () => {
    setAsking(false);
    setError(null);
    setProgress({ done: 0, total: 0 });
    try {
      onDone(await revokeConsent(c, keys, (done, total) => setProgress({ done, total })));
    } catch (e) {
      setError(e);
    } finally {
      setProgress(null);
    }
  };
  // After access ended, a failure while removing the key is finished by running it again.
  const finishing = c.status === "REVOKED";
  return (
    <section className="card" aria-labelledby="revoke-title">
      <h2 id="revoke-title">{finishing ? t("revoke.finish") : t("revoke.button")}</h2>
      {finishing && error == null && <p>{t("revoke.unfinished")}</p>}
      {error != null && <Alert>{consentErrorText(t, error)}</Alert>}
      {progress && (
        <div aria-live="polite">
          <p>{t("revoke.working")}</p>
          <Progress value={progress.done} max={progress.total} label={t("revoke.working")} />
        </div>
      )}
      <button type="button" className="danger" disabled={!!progress} onClick={() => (finishing ? revoke() : setAsking(true))}>
        {finishing ? t("revoke.finish") : t("revoke.button")}
      </button>
      <ConfirmDialog
        open={asking}
        title={t("revoke.title", { hospital })}
        confirm={t("revoke.confirm")}
        danger
        onConfirm={revoke}
        onCancel={() => setAsking(false)}
      >
        <p>{t("revoke.does", { hospital })}</p>
        <p>
          <strong>{t("revoke.doesNot")}</strong>
        </p>
      </ConfirmDialog>
    </section>
  );
}

export function ResignButton({ c, keys, onDone }: { c: ConsentView; keys: Unlocked; onDone(v: ConsentView): void }) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const resign = async () => {
    setBusy(true);
    setError(null);
    try {
      onDone(await resignConsent(c, keys));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {error != null && <Alert>{consentErrorText(t, error)}</Alert>}
      <button type="button" className="primary" onClick={resign} disabled={busy}>
        {busy ? t("chain.resigning") : t("chain.resign")}
      </button>
    </>
  );
}
