// The hospital portal (/hospital): sign-in with the hospital's HFR id and API secret, the
// hospital's keys in this browser (the patient's keys page, in the hospital's words), then the
// desk pages. Loaded only when opened (App.tsx). Only the `hospital` role gets past the
// sign-in; the API checks the role again on every call. Staff accounts do not exist yet: the
// sign-in is the hospital's own, and `HospitalLogin` is the one place a per-person login
// would change.
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { Link, NavLink, Navigate, Route, Routes } from "react-router";
import { login, logout } from "../api/client";
import { Page } from "../Layout";
import { KeysGate, KeysWordsContext } from "../pages/Keys";
import { setUnlocked } from "../state/keys";
import { useSession } from "../state/hooks";
import { Alert, Field } from "../ui";
import { AbhaDesk } from "./AbhaDesk";
import { RequestConsent } from "./RequestConsent";
import { Requests } from "./Requests";
import { useHT, useHospitalError } from "./strings";

export function Hospital() {
  const session = useSession();
  const ht = useHT();
  const words = useMemo(
    () => ({
      why: ht("h.keys.why"),
      lost: ht("h.keys.lost"),
      password: ht("h.keys.password"),
      passwordHint: ht("h.keys.password.hint"),
    }),
    [ht],
  );
  if (session?.role !== "hospital") return <HospitalLogin otherSession={session !== null} />;
  return (
    <KeysWordsContext.Provider value={words}>
      <KeysGate>
        <HospitalNav />
        <Routes>
          <Route index element={<AbhaDesk />} />
          <Route path="request" element={<RequestConsent />} />
          <Route path="requests" element={<Requests />} />
          <Route path="*" element={<Navigate to="/hospital" replace />} />
        </Routes>
      </KeysGate>
    </KeysWordsContext.Provider>
  );
}

function HospitalNav() {
  const ht = useHT();
  const items = [
    { to: "/hospital", label: ht("h.nav.desk"), end: true },
    { to: "/hospital/request", label: ht("h.nav.request"), end: false },
    { to: "/hospital/requests", label: ht("h.nav.requests"), end: false },
  ];
  return (
    <nav className="main-nav" aria-label={ht("h.nav.label")}>
      {items.map((i) => (
        <NavLink key={i.to} to={i.to} end={i.end}>
          {i.label}
        </NavLink>
      ))}
    </nav>
  );
}

function HospitalLogin({ otherSession }: { otherSession: boolean }) {
  const ht = useHT();
  const describe = useHospitalError();
  const [hfrId, setHfrId] = useState("");
  const [secret, setSecret] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    document.title = `${ht("h.login.title")} · Pramana`;
  }, [ht]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const t = await login(hfrId.trim().toUpperCase(), secret.trim());
      setSecret("");
      if (t.role !== "hospital") {
        // Another kind of account: it gets nothing here, and its session is ended at once.
        await logout().catch(() => {});
        setError(ht("h.login.notHospital"));
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
        <Page title={ht("h.login.title")}>
          <Alert kind="warn">{ht("h.login.otherSession")}</Alert>
          <button
            type="button"
            onClick={() => {
              setUnlocked(null);
              void logout().catch(() => {});
            }}
          >
            {ht("h.login.signOut")}
          </button>
        </Page>
      </div>
    );
  }
  return (
    <div className="narrow">
      <section className="card">
        <h1>{ht("h.login.title")}</h1>
        <p className="muted">{ht("h.login.intro")}</p>
        <form onSubmit={submit} aria-label={ht("h.login.title")}>
          {error && <Alert>{error}</Alert>}
          <Field
            label={ht("h.login.hfr")}
            hint={ht("h.login.hfr.hint")}
            autoComplete="username"
            autoCapitalize="characters"
            spellCheck={false}
            required
            value={hfrId}
            onChange={(e) => setHfrId(e.target.value)}
          />
          <Field
            label={ht("h.login.secret")}
            type="password"
            autoComplete="current-password"
            required
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
          />
          <button type="submit" className="primary" disabled={busy}>
            {busy ? ht("h.login.busy") : ht("h.login.submit")}
          </button>
        </form>
        <p>
          <Link to="/">{ht("h.login.patientLink")}</Link>
        </p>
      </section>
    </div>
  );
}
