// The hospital portal (/hospital): sign-in with the hospital's HFR id and API secret, the
// hospital's keys in this browser (the patient's keys page, in the hospital's words), then the
// desk pages: the ABHA desk, consent requests, the patients with their shared documents and
// uploads, verifying a handed-over document (the public /verify page's check), and webhooks.
// Loaded only when opened (App.tsx). Only the `hospital` role gets past the
// sign-in; the API checks the role again on every call. Staff accounts do not exist yet: the
// sign-in is the hospital's own, and `HospitalLogin` is the one place a per-person login
// would change.
import { useMemo } from "react";
import { NavLink, Navigate, Route, Routes } from "react-router";
import { KeysGate, KeysWordsContext } from "../pages/Keys";
import { useSession } from "../state/hooks";
import { RoleSignIn, type RoleSignInWords } from "../ui/RoleSignIn";
import { Verify } from "../pages/Verify";
import { AbhaDesk } from "./AbhaDesk";
import { HospitalDocument } from "./HospitalDocument";
import { PatientRecord, Patients } from "./Patients";
import { RequestConsent } from "./RequestConsent";
import { Requests } from "./Requests";
import { useHT, useHospitalError } from "./strings";
import { Webhooks } from "./Webhooks";

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
          <Route path="patients" element={<Patients />} />
          <Route path="patients/:id" element={<PatientRecord />} />
          <Route path="documents/:id" element={<HospitalDocument />} />
          <Route path="verify" element={<Verify />} />
          <Route path="webhooks" element={<Webhooks />} />
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
    { to: "/hospital/patients", label: ht("h.nav.patients"), end: false },
    { to: "/hospital/verify", label: ht("h.nav.verify"), end: false },
    { to: "/hospital/webhooks", label: ht("h.nav.webhooks"), end: false },
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
  const words: RoleSignInWords = {
    title: ht("h.login.title"),
    intro: ht("h.login.intro"),
    login: ht("h.login.hfr"),
    loginHint: ht("h.login.hfr.hint"),
    secret: ht("h.login.secret"),
    submit: ht("h.login.submit"),
    busy: ht("h.login.busy"),
    wrongRole: ht("h.login.notHospital"),
    otherSession: ht("h.login.otherSession"),
    signOut: ht("h.login.signOut"),
    patientLink: ht("h.login.patientLink"),
  };
  return (
    <RoleSignIn
      role="hospital"
      words={words}
      otherSession={otherSession}
      describe={describe}
      normalise={(hfrId, secret) => [hfrId.trim().toUpperCase(), secret.trim()]}
      loginCapitalize="characters"
    />
  );
}
