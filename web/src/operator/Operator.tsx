// The operator console (/operator): sign-in with the operator's username and password, then
// platform health, hospitals and auditors. Loaded only when opened (App.tsx), so the patient's
// first page does not carry it. Only the `admin` role gets past the sign-in; the API checks the
// role again on every call.
import { useEffect, useState, type FormEvent } from "react";
import { Link, NavLink, Navigate, Route, Routes } from "react-router";
import { login, logout } from "../api/client";
import { Page } from "../Layout";
import { useSession } from "../state/hooks";
import { Alert, Field } from "../ui";
import { Auditors } from "./Auditors";
import { Health } from "./Health";
import { Hospitals } from "./Hospitals";
import { useOT, useOperatorError } from "./strings";

export function Operator() {
  const session = useSession();
  if (session?.role !== "admin") return <OperatorLogin otherSession={session !== null} />;
  return (
    <>
      <OperatorNav />
      <Routes>
        <Route index element={<Health />} />
        <Route path="hospitals" element={<Hospitals />} />
        <Route path="auditors" element={<Auditors />} />
        <Route path="*" element={<Navigate to="/operator" replace />} />
      </Routes>
    </>
  );
}

function OperatorNav() {
  const ot = useOT();
  const items = [
    { to: "/operator", label: ot("op.nav.health"), end: true },
    { to: "/operator/hospitals", label: ot("op.nav.hospitals"), end: false },
    { to: "/operator/auditors", label: ot("op.nav.auditors"), end: false },
  ];
  return (
    <nav className="main-nav" aria-label={ot("op.nav.label")}>
      {items.map((i) => (
        <NavLink key={i.to} to={i.to} end={i.end}>
          {i.label}
        </NavLink>
      ))}
    </nav>
  );
}

function OperatorLogin({ otherSession }: { otherSession: boolean }) {
  const ot = useOT();
  const describe = useOperatorError();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    document.title = `${ot("op.login.title")} · Pramana`;
  }, [ot]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const t = await login(username.trim(), password);
      setPassword("");
      if (t.role !== "admin") {
        // Another kind of account: it gets nothing here, and its session is ended at once.
        await logout().catch(() => {});
        setError(ot("op.login.notOperator"));
      }
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  }

  if (otherSession) {
    return (
      <div className="narrow">
        <Page title={ot("op.login.title")}>
          <Alert kind="warn">{ot("op.login.otherSession")}</Alert>
          <button type="button" onClick={() => void logout().catch(() => {})}>
            {ot("op.login.signOut")}
          </button>
        </Page>
      </div>
    );
  }
  return (
    <div className="narrow">
      <section className="card">
        <h1>{ot("op.login.title")}</h1>
        <p className="muted">{ot("op.login.intro")}</p>
        <form onSubmit={submit} aria-label={ot("op.login.title")}>
          {error && <Alert>{error}</Alert>}
          <Field
            label={ot("op.login.username")}
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
          <Field
            label={ot("op.login.password")}
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <button type="submit" className="primary" disabled={busy}>
            {busy ? ot("op.login.busy") : ot("op.login.submit")}
          </button>
        </form>
        <p>
          <Link to="/">{ot("op.login.patientLink")}</Link>
        </p>
      </section>
    </div>
  );
}
