// The hospital portal (/hospital): a staff member's own sign-in (HFR id, username, password;
// docs/staff.md) or the hospital's API secret, the hospital's keys in this browser (for a
// member, opened from the bundle an administrator sealed to them; for the API-secret session,
// the hospital's keystore), then the desk pages: the ABHA desk, consent requests, the patients
// with their shared documents and uploads, verifying a handed-over document, webhooks and
// staff, and a member's own two-factor sign-in. Which pages a member sees follows their role; the API checks the role again on every
// call. Loaded only when opened (App.tsx).
import { useMemo } from "react";
import { Link, NavLink, Navigate, Route, Routes, useLocation } from "react-router";
import { KeysGate, KeysWordsContext } from "../pages/Keys";
import { useSession, useUnlocked } from "../state/hooks";
import { RoleSignIn, type RoleSignInWords } from "../ui/RoleSignIn";
import { Alert, ErrorAlert } from "../ui";
import { ApiError } from "../api/client";
import { useT } from "../i18n";
import { Verify } from "../pages/Verify";
import { SecondFactorSection } from "../pages/SecondFactor";
import { Page } from "../Layout";
import { AbhaDesk } from "./AbhaDesk";
import { HospitalDocument } from "./HospitalDocument";
import { PatientRecord, Patients } from "./Patients";
import { RequestConsent } from "./RequestConsent";
import { Requests } from "./Requests";
import { Staff } from "./Staff";
import { AcceptInvitation, StaffKeysGate, StaffSignIn, useStaffMember, type StaffMember } from "./StaffAccess";
import { useHT, useHospitalError } from "./strings";
import { Webhooks } from "./Webhooks";

/** What the session may see: the API-secret session everything, a member their role's part. */
type Reach = { records: boolean; settings: boolean };

function reachOf(member: StaffMember | null): Reach {
  if (!member) return { records: true, settings: true };
  return member.role === "administrator" ? { records: false, settings: true } : { records: true, settings: false };
}

export function Hospital() {
  const session = useSession();
  const location = useLocation();
  const ht = useHT();
  const t = useT();
  const words = useMemo(
    () => ({
      why: ht("h.keys.why"),
      lost: ht("h.keys.lost"),
      password: ht("h.keys.password"),
      passwordHint: ht("h.keys.password.hint"),
    }),
    [ht],
  );
  const signedIn = session?.role === "hospital";
  const { member, error } = useStaffMember(signedIn ? session.subjectId : undefined);
  const unlocked = useUnlocked();
  const path = location.pathname.replace(/\/$/, "");
  if (path === "/hospital/accept" && !signedIn) return <AcceptInvitation />;
  if (path === "/hospital/staff-sign-in" && session === null) return <StaffSignIn />;
  if (!signedIn) return <HospitalLogin otherSession={session !== null} />;
  // The operator requires a second factor of staff and this member has none yet: only enrolling
  // is open to them, so that is all the portal shows until they have one.
  if (error instanceof ApiError && error.code === "second_factor_enrolment_required") return <StaffAccount required />;
  if (error) return <ErrorAlert error={error} />;
  if (member === undefined) return <p>{t("app.loading")}</p>;
  const reach = reachOf(member);
  const pages = (
    <>
      <HospitalNav reach={reach} staff={member !== null} />
      <Routes>
        {reach.records ? <Route index element={<AbhaDesk />} /> : <Route index element={<Navigate to="/hospital/staff" replace />} />}
        {reach.records && (
          <>
            <Route path="request" element={<RequestConsent />} />
            <Route path="requests" element={<Requests />} />
            <Route path="patients" element={<Patients />} />
            <Route path="patients/:id" element={<PatientRecord />} />
            <Route path="documents/:id" element={<HospitalDocument />} />
          </>
        )}
        <Route path="verify" element={<Verify />} />
        {member && <Route path="account" element={<StaffAccount />} />}
        {reach.settings && (
          <>
            <Route path="webhooks" element={<Webhooks />} />
            <Route path="staff" element={<Staff hospitalId={session.subjectId} selfId={member?.id ?? null} />} />
          </>
        )}
        <Route path="*" element={<Navigate to="/hospital" replace />} />
      </Routes>
    </>
  );
  // Their own sign-in settings need none of the hospital's keys.
  if (member && path === "/hospital/account") return pages;
  if (member) {
    return (
      <StaffKeysGate member={member} unlocked={unlocked !== null}>
        {pages}
      </StaffKeysGate>
    );
  }
  return (
    <KeysWordsContext.Provider value={words}>
      <KeysGate>{pages}</KeysGate>
    </KeysWordsContext.Provider>
  );
}

/** A staff member's own sign-in: the authenticator app and passkeys (docs/two-factor.md). */
function StaffAccount({ required = false }: { required?: boolean }) {
  const ht = useHT();
  return (
    <Page title={ht("h.nav.account")}>
      {required && (
        <Alert kind="warn">
          {ht("h.account.required")}{" "}
          <button type="button" onClick={() => window.location.assign("/hospital")}>
            {ht("h.account.continue")}
          </button>
        </Alert>
      )}
      <SecondFactorSection />
    </Page>
  );
}

function HospitalNav({ reach, staff }: { reach: Reach; staff: boolean }) {
  const ht = useHT();
  const items = [
    ...(reach.records
      ? [
          { to: "/hospital", label: ht("h.nav.desk"), end: true },
          { to: "/hospital/request", label: ht("h.nav.request"), end: false },
          { to: "/hospital/requests", label: ht("h.nav.requests"), end: false },
          { to: "/hospital/patients", label: ht("h.nav.patients"), end: false },
        ]
      : []),
    { to: "/hospital/verify", label: ht("h.nav.verify"), end: false },
    ...(reach.settings
      ? [
          { to: "/hospital/webhooks", label: ht("h.nav.webhooks"), end: false },
          { to: "/hospital/staff", label: ht("h.nav.staff"), end: false },
        ]
      : []),
    ...(staff ? [{ to: "/hospital/account", label: ht("h.nav.account"), end: false }] : []),
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
      extra={
        <p>
          <Link to="/hospital/staff-sign-in">{ht("h.staff.login.link")}</Link>
          {" · "}
          <Link to="/hospital/accept">{ht("h.staff.login.accept")}</Link>
        </p>
      }
    />
  );
}
