// The operator console (/operator): sign-in with the operator's username and password, then
// platform health, hospitals and auditors. Loaded only when opened (App.tsx), so the patient's
// first page does not carry it. Only the `admin` role gets past the sign-in; the API checks the
// role again on every call.
import { NavLink, Navigate, Route, Routes } from "react-router";
import { Page } from "../Layout";
import { SecondFactorSection } from "../pages/SecondFactor";
import { useSession } from "../state/hooks";
import { RoleSignIn, type RoleSignInWords } from "../ui/RoleSignIn";
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
        <Route path="account" element={<OperatorAccount />} />
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
    { to: "/operator/account", label: ot("op.nav.account"), end: false },
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

/** The operator's own account: two-factor sign-in (which the platform may require). */
function OperatorAccount() {
  const ot = useOT();
  return (
    <Page title={ot("op.nav.account")}>
      <SecondFactorSection />
    </Page>
  );
}

function OperatorLogin({ otherSession }: { otherSession: boolean }) {
  const ot = useOT();
  const describe = useOperatorError();
  const words: RoleSignInWords = {
    title: ot("op.login.title"),
    intro: ot("op.login.intro"),
    login: ot("op.login.username"),
    secret: ot("op.login.password"),
    submit: ot("op.login.submit"),
    busy: ot("op.login.busy"),
    wrongRole: ot("op.login.notOperator"),
    otherSession: ot("op.login.otherSession"),
    signOut: ot("op.login.signOut"),
    patientLink: ot("op.login.patientLink"),
    secondFactor: {
      intro: ot("op.login.2fa.intro"),
      code: ot("op.login.2fa.code"),
      hint: ot("op.login.2fa.hint"),
      submit: ot("op.login.2fa.submit"),
      back: ot("op.login.2fa.back"),
      passkeyIntro: ot("op.login.2fa.passkey.intro"),
      passkey: ot("op.login.2fa.passkey"),
      or: ot("op.login.2fa.or"),
    },
  };
  return (
    <RoleSignIn
      role="admin"
      words={words}
      otherSession={otherSession}
      describe={describe}
      normalise={(username, password) => [username.trim(), password]}
      loginCapitalize="none"
    />
  );
}
