// Hospitals: register one (HFR id and name; its API secret shown once) and the list of those
// registered, with whether each has registered its keys and a webhook. What "verifying" a
// hospital means here is said plainly: Pramana checks the HFR id's shape, the operator checks
// the registry by hand.
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api, call, ApiError, type Schemas } from "../api/client";
import { formatDate, useLang } from "../i18n";
import { Page } from "../Layout";
import { Alert, Field } from "../ui";
import { OneTimeSecret } from "../ui/OneTimeSecret";
import { useOT, useOperatorError } from "./strings";

type HospitalStatus = Schemas["HospitalStatus"];
type HospitalCreated = Schemas["HospitalCreated"];

export function Hospitals() {
  const ot = useOT();
  const { lang } = useLang();
  const describe = useOperatorError("hospital");
  const [list, setList] = useState<HospitalStatus[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [created, setCreated] = useState<HospitalCreated | null>(null);

  const load = useCallback(async () => {
    try {
      setList(await call(() => api.GET("/v1/admin/hospitals")));
      setLoadError(null);
    } catch (e) {
      setLoadError(describe(e));
    }
  }, [describe]);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <Page title={ot("op.hospitals.title")}>
      <section className="card" aria-labelledby="verify-title">
        <h2 id="verify-title">{ot("op.hospitals.verify.title")}</h2>
        <p>{ot("op.hospitals.verify.body")}</p>
        <p className="muted">{ot("op.hospitals.verify.keys")}</p>
      </section>
      {created ? (
        <OneTimeSecret
          title={ot("op.hospitals.created", { name: created.hospital.name })}
          label={`${ot("op.hospitals.secret.label")} (${created.hospital.hfr_id})`}
          secret={created.api_secret}
          warning={ot("op.hospitals.secret.warning")}
          onDone={() => setCreated(null)}
        />
      ) : (
        <RegisterHospital
          onCreated={(h) => {
            setCreated(h);
            void load();
          }}
        />
      )}
      <section aria-labelledby="hospitals-list">
        <h2 id="hospitals-list">{ot("op.hospitals.list", { count: list?.length ?? 0 })}</h2>
        {loadError && <Alert>{loadError}</Alert>}
        {list?.length === 0 && <p>{ot("op.hospitals.none")}</p>}
        <ul className="list">
          {list?.map((h) => (
            <li key={h.id} data-hfr={h.hfr_id}>
              <div className="row-head">
                <strong>{h.name}</strong>
                <span className="mono">{h.hfr_id}</span>
              </div>
              <p className="muted">{ot("op.hospitals.registered", { date: formatDate(lang, h.created_at) })}</p>
              <ul className="plain status-badges">
                <Status label={ot("op.hospitals.encryptionKey")} ok={h.encryption_key} yes={ot("op.hospitals.yes")} no={ot("op.hospitals.no")} />
                <Status label={ot("op.hospitals.signingKey")} ok={h.signing_key} yes={ot("op.hospitals.yes")} no={ot("op.hospitals.no")} />
                <Status
                  label={ot("op.hospitals.webhook")}
                  ok={h.webhook}
                  yes={ot("op.hospitals.webhook.yes")}
                  no={ot("op.hospitals.webhook.no")}
                  quiet
                />
                {h.failed_webhook_deliveries > 0 && (
                  <li>
                    <span className="badge badge-err">
                      {ot("op.hospitals.failedDeliveries", { count: h.failed_webhook_deliveries })}
                    </span>
                  </li>
                )}
              </ul>
            </li>
          ))}
        </ul>
      </section>
    </Page>
  );
}

/** One yes/no fact as words in a badge (never colour alone). `quiet`: "no" is not a warning. */
function Status({ label, ok, yes, no, quiet }: { label: string; ok: boolean; yes: string; no: string; quiet?: boolean }) {
  return (
    <li>
      <span className={`badge ${ok ? "badge-ok" : quiet ? "" : "badge-warn"}`}>
        {label}: {ok ? yes : no}
      </span>
    </li>
  );
}

function RegisterHospital({ onCreated }: { onCreated: (h: HospitalCreated) => void }) {
  const ot = useOT();
  const describe = useOperatorError("hospital");
  const [hfrId, setHfrId] = useState("");
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ field: "hfr_id" | "name" | null; text: string } | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const h = await call(() => api.POST("/v1/admin/hospitals", { body: { hfr_id: hfrId.trim(), name: name.trim() } }));
      setHfrId("");
      setName("");
      onCreated(h);
    } catch (err) {
      const code = err instanceof ApiError ? err.code : "";
      const field = code === "invalid_hfr_id" || code === "already_registered" ? "hfr_id" : code === "invalid_name" ? "name" : null;
      setError({ field, text: describe(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="register-hospital">
      <h2 id="register-hospital">{ot("op.hospitals.register")}</h2>
      <form onSubmit={submit} noValidate>
        {/* Announced at once (role=alert); the field it is about is marked invalid. */}
        {error && <Alert>{error.text}</Alert>}
        <Field
          label={ot("op.hospitals.hfr")}
          hint={ot("op.hospitals.hfr.hint")}
          autoCapitalize="characters"
          spellCheck={false}
          required
          value={hfrId}
          aria-invalid={error?.field === "hfr_id" || undefined}
          onChange={(e) => setHfrId(e.target.value)}
        />
        <Field
          label={ot("op.hospitals.name")}
          required
          maxLength={200}
          value={name}
          aria-invalid={error?.field === "name" || undefined}
          onChange={(e) => setName(e.target.value)}
        />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? ot("op.hospitals.busy") : ot("op.hospitals.submit")}
        </button>
      </form>
    </section>
  );
}
