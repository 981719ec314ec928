// Auditors: create an account (its generated password shown once) and the list of accounts.
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api, call, ApiError, type Schemas } from "../api/client";
import { formatDate, useLang } from "../i18n";
import { Page } from "../Layout";
import { Alert, Field } from "../ui";
import { OneTimeSecret } from "../ui/OneTimeSecret";
import { useOT, useOperatorError } from "./strings";

type AuditorView = Schemas["AuditorView"];
type AuditorCreated = Schemas["AuditorCreated"];

export function Auditors() {
  const ot = useOT();
  const { lang } = useLang();
  const describe = useOperatorError("auditor");
  const [list, setList] = useState<AuditorView[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [created, setCreated] = useState<AuditorCreated | null>(null);

  const load = useCallback(async () => {
    try {
      setList(await call(() => api.GET("/v1/admin/auditors")));
      setLoadError(null);
    } catch (e) {
      setLoadError(describe(e));
    }
  }, [describe]);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <Page title={ot("op.auditors.title")}>
      <p>{ot("op.auditors.intro")}</p>
      {created ? (
        <OneTimeSecret
          title={ot("op.auditors.created", { username: created.username })}
          label={ot("op.auditors.password.label")}
          secret={created.password}
          warning={ot("op.auditors.password.warning")}
          onDone={() => setCreated(null)}
        />
      ) : (
        <CreateAuditor
          onCreated={(a) => {
            setCreated(a);
            void load();
          }}
        />
      )}
      <section aria-labelledby="auditors-list">
        <h2 id="auditors-list">{ot("op.auditors.list", { count: list?.length ?? 0 })}</h2>
        {loadError && <Alert>{loadError}</Alert>}
        {list?.length === 0 && <p>{ot("op.auditors.none")}</p>}
        <ul className="list">
          {list?.map((a) => (
            <li key={a.id}>
              <div className="row-head">
                <strong>{a.name}</strong>
                <span className="mono">{a.username}</span>
              </div>
              <p className="muted">{ot("op.auditors.since", { date: formatDate(lang, a.created_at) })}</p>
            </li>
          ))}
        </ul>
      </section>
    </Page>
  );
}

function CreateAuditor({ onCreated }: { onCreated: (a: AuditorCreated) => void }) {
  const ot = useOT();
  const describe = useOperatorError("auditor");
  const [username, setUsername] = useState("");
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ field: "username" | "name" | null; text: string } | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const a = await call(() => api.POST("/v1/admin/auditors", { body: { username: username.trim(), name: name.trim() } }));
      setUsername("");
      setName("");
      onCreated(a);
    } catch (err) {
      const code = err instanceof ApiError ? err.code : "";
      const field = code === "invalid_username" || code === "already_registered" ? "username" : code === "invalid_name" ? "name" : null;
      setError({ field, text: describe(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="create-auditor">
      <h2 id="create-auditor">{ot("op.auditors.create")}</h2>
      <form onSubmit={submit} noValidate>
        {/* Announced at once (role=alert); the field it is about is marked invalid. */}
        {error && <Alert>{error.text}</Alert>}
        <Field
          label={ot("op.auditors.username")}
          hint={ot("op.auditors.username.hint")}
          autoCapitalize="none"
          autoComplete="off"
          spellCheck={false}
          required
          value={username}
          aria-invalid={error?.field === "username" || undefined}
          onChange={(e) => setUsername(e.target.value)}
        />
        <Field
          label={ot("op.auditors.name")}
          required
          maxLength={200}
          value={name}
          aria-invalid={error?.field === "name" || undefined}
          onChange={(e) => setName(e.target.value)}
        />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? ot("op.auditors.busy") : ot("op.auditors.submit")}
        </button>
      </form>
    </section>
  );
}
