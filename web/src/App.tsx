// The portal: routes, the session restored from the refresh cookie on load, and the keys gate
// in front of every page that needs the patient's keys. The operator console (/operator) is a
// separate area, loaded only when opened.
import { lazy, Suspense, useEffect, useState, type ReactNode } from "react";
import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { refresh } from "./api/client";
import { LangProvider, useT } from "./i18n";
import { Header, Nav, SessionExpiredDialog, useHospitalArea, useOperatorArea } from "./Layout";
import { Account } from "./pages/Account";
import { Consents } from "./pages/consents/Consents";
import { ConsentDetail } from "./pages/consents/ConsentDetail";
import { Documents } from "./pages/documents/Documents";
import { DocumentDetail } from "./pages/documents/DocumentDetail";
import { KeysGate, KeysSetup } from "./pages/Keys";
import { Login } from "./pages/Login";
import { NotFound } from "./pages/NotFound";
import { Notifications } from "./pages/Notifications";
import { Register } from "./pages/Register";
import { ForgotPassword } from "./pages/ForgotPassword";
import { Verify } from "./pages/Verify";
import { useSession } from "./state/hooks";

// The records page carries the FHIR reader and the charts; only people who open it load them.
const Records = lazy(() => import("./pages/records/Records").then((m) => ({ default: m.Records })));
// The access history: only people who open it load it.
const Access = lazy(() => import("./pages/Access").then((m) => ({ default: m.Access })));
// Caregivers and family: the patient's grants and the records of the people one cares for.
const Caregivers = lazy(() => import("./pages/Caregivers").then((m) => ({ default: m.Caregivers })));
const CaredForRecord = lazy(() => import("./pages/Caregivers").then((m) => ({ default: m.CaredForRecord })));
// A guardian's session on a child's account: the banner that says so (with the Family pages' words).
const GuardianBanner = lazy(() => import("./pages/Guardians").then((m) => ({ default: m.GuardianBanner })));
// The operator console: its pages, strings and charts load only at /operator.
const Operator = lazy(() => import("./operator/Operator").then((m) => ({ default: m.Operator })));
// The hospital portal: its pages and strings load only at /hospital.
const Hospital = lazy(() => import("./hospital/Hospital").then((m) => ({ default: m.Hospital })));
// The auditor console: its pages, strings and the chain client load only at /auditor.
const Auditor = lazy(() => import("./auditor/Auditor").then((m) => ({ default: m.Auditor })));

export function App() {
  return (
    <LangProvider>
      <BrowserRouter>
        <Shell />
      </BrowserRouter>
    </LangProvider>
  );
}

function Shell() {
  const t = useT();
  const session = useSession();
  const operatorArea = useOperatorArea();
  const hospitalArea = useHospitalArea();
  const [restoring, setRestoring] = useState(true);
  useEffect(() => {
    // A reload keeps the session through the HttpOnly refresh cookie (the access token was
    // only in memory).
    refresh().finally(() => setRestoring(false));
  }, []);
  if (restoring) {
    return (
      <main id="main">
        <p>{t("app.loading")}</p>
      </main>
    );
  }
  const signedIn = (page: ReactNode, needsKeys = true) =>
    session ? needsKeys ? <KeysGate>{page}</KeysGate> : page : <Navigate to="/" replace />;
  return (
    <>
      <Header />
      {session && !operatorArea && !hospitalArea && session.role === "patient" && <Nav />}
      {session?.guardianId && (
        <Suspense fallback={null}>
          <GuardianBanner />
        </Suspense>
      )}
      <main id="main" tabIndex={-1}>
        <Routes>
          <Route
            path="/"
            element={session ? <Navigate to={session.role === "admin" ? "/operator" : session.role === "hospital" ? "/hospital" : session.role === "auditor" ? "/auditor" : "/documents"} replace /> : <Login />}
          />
          <Route path="/register" element={session ? <Navigate to="/keys" replace /> : <Register />} />
          <Route path="/forgot-password" element={session ? <Navigate to="/" replace /> : <ForgotPassword />} />
          <Route path="/keys" element={session ? <KeysOrHome /> : <Navigate to="/" replace />} />
          <Route path="/documents" element={signedIn(<Documents />)} />
          <Route path="/documents/:id" element={signedIn(<DocumentDetail />)} />
          <Route
            path="/records"
            element={signedIn(
              <Suspense fallback={<p>{t("app.loading")}</p>}>
                <Records />
              </Suspense>,
            )}
          />
          <Route path="/consents" element={signedIn(<Consents />)} />
          <Route path="/consents/:id" element={signedIn(<ConsentDetail />)} />
          <Route
            path="/access"
            element={signedIn(
              <Suspense fallback={<p>{t("app.loading")}</p>}>
                <Access />
              </Suspense>,
              false,
            )}
          />
          <Route
            path="/caregivers"
            element={signedIn(
              <Suspense fallback={<p>{t("app.loading")}</p>}>
                <Caregivers />
              </Suspense>,
            )}
          />
          <Route
            path="/caregivers/:id"
            element={signedIn(
              <Suspense fallback={<p>{t("app.loading")}</p>}>
                <CaredForRecord />
              </Suspense>,
            )}
          />
          <Route path="/verify" element={<Verify />} />
          <Route
            path="/operator/*"
            element={
              <Suspense fallback={<p>{t("app.loading")}</p>}>
                <Operator />
              </Suspense>
            }
          />
          <Route
            path="/hospital/*"
            element={
              <Suspense fallback={<p>{t("app.loading")}</p>}>
                <Hospital />
              </Suspense>
            }
          />
          <Route
            path="/auditor/*"
            element={
              <Suspense fallback={<p>{t("app.loading")}</p>}>
                <Auditor />
              </Suspense>
            }
          />
          <Route path="/account" element={signedIn(<Account />)} />
          <Route path="/notifications" element={signedIn(<Notifications />, false)} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
      {session && <SessionExpiredDialog />}
    </>
  );
}

function KeysOrHome() {
  return (
    <KeysGate>
      <Navigate to="/documents" replace />
    </KeysGate>
  );
}

export { KeysSetup };
