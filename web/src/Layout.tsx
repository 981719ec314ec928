// The frame around every signed-in page: header with language and sign-out, the main
// navigation (a bottom bar on phones), and the dialog that asks to sign in again when the
// session ends mid-task (the page underneath keeps its state).
import { useEffect, useRef, useState, type ReactNode } from "react";
import { NavLink, useLocation, useNavigate } from "react-router";
import { currentSession, logout, setSessionExpiredHandler } from "./api/client";
import { LANGS, useLang, useT } from "./i18n";
import { LoginForm } from "./pages/Login";
import { setUnlocked } from "./state/keys";
import { useSession } from "./state/hooks";
import { useUnread } from "./lib/unread";

/** Whether the page is in the operator console (`/operator/...`). */
export function useOperatorArea(): boolean {
  return useLocation().pathname.startsWith("/operator");
}

/** Whether the page is in the hospital portal (`/hospital/...`). */
export function useHospitalArea(): boolean {
  return useLocation().pathname.startsWith("/hospital");
}

export function Header() {
  const { t, lang, setLang } = useLang();
  const session = useSession();
  const navigate = useNavigate();
  const operatorArea = useOperatorArea();
  const hospitalArea = useHospitalArea();
  const patient = !!session && session.role === "patient" && !operatorArea && !hospitalArea;
  const unread = useUnread(patient);
  return (
    <header className="top">
      <a className="skip" href="#main">
        {t("app.skip")}
      </a>
      <span className="brand">{t("app.name")}</span>
      <label className="lang">
        <span className="visually-hidden">{t("lang.label")}</span>
        <select value={lang} onChange={(e) => setLang(e.target.value === "hi" ? "hi" : "en")} aria-label={t("lang.label")}>
          {LANGS.map((l) => (
            <option key={l.code} value={l.code}>
              {l.name}
            </option>
          ))}
        </select>
      </label>
      {patient && (
        // The name comes from the content ("Notifications, 1 unread"); the badge is what the eye sees.
        <NavLink to="/notifications" className="bell">
          {t("nav.notifications")}
          {unread > 0 && (
            <span className="count" data-testid="unread-count" aria-hidden="true">
              {unread}
            </span>
          )}
          <span className="visually-hidden">{t("notif.unread.suffix", { n: unread })}</span>
        </NavLink>
      )}
      {session && (
        <button
          type="button"
          className="quiet"
          onClick={async () => {
            setUnlocked(null);
            await logout().catch(() => {});
            navigate(operatorArea ? "/operator" : hospitalArea ? "/hospital" : location.pathname.startsWith("/auditor") ? "/auditor" : "/");
          }}
        >
          {t("nav.logout")}
        </button>
      )}
    </header>
  );
}

export function Nav() {
  const t = useT();
  const items = [
    { to: "/documents", label: t("nav.documents") },
    { to: "/records", label: t("nav.records") },
    { to: "/consents", label: t("nav.consents") },
    { to: "/access", label: t("nav.access") },
    { to: "/caregivers", label: t("nav.caregivers") },
    { to: "/verify", label: t("nav.verify") },
    { to: "/account", label: t("nav.account") },
  ];
  return (
    <nav className="main-nav" aria-label={t("nav.label")}>
      {items.map((i) => (
        <NavLink key={i.to} to={i.to}>
          {i.label}
        </NavLink>
      ))}
    </nav>
  );
}

/** Asks for a new sign-in when a request finds the session over; resumes the request after. */
export function SessionExpiredDialog() {
  const t = useT();
  const operatorArea = useOperatorArea();
  const hospitalArea = useHospitalArea();
  const [waiting, setWaiting] = useState<(() => void)[] | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  // Whose page this is: someone else signing in here must not inherit it.
  const owner = useRef<string | null>(null);
  useEffect(() => {
    setSessionExpiredHandler(
      () =>
        new Promise<void>((resolve) => {
          owner.current ??= currentSession()?.subjectId ?? null;
          setWaiting((w) => [...(w ?? []), resolve]);
        }),
    );
    return () => setSessionExpiredHandler(null);
  }, []);
  useEffect(() => {
    const d = dialog.current;
    if (waiting && d && !d.open) d.showModal();
    if (!waiting && d?.open) d.close();
  }, [waiting]);
  return (
    <dialog ref={dialog} aria-labelledby="expired-title" onCancel={(e) => e.preventDefault()}>
      <h2 id="expired-title">{t("session.expired.title")}</h2>
      <p>{t("session.expired.body")}</p>
      {waiting && (
        <LoginForm
          operator={operatorArea}
          onDone={() => {
            if (owner.current && currentSession()?.subjectId !== owner.current) {
              // Another account: nothing of this page (decrypted documents, unlocked keys,
              // half-done work) may carry over to it. Start afresh.
              setUnlocked(null);
              location.assign(operatorArea ? "/operator" : hospitalArea ? "/hospital" : "/");
              return;
            }
            owner.current = null;
            for (const resolve of waiting) resolve();
            setWaiting(null);
          }}
        />
      )}
    </dialog>
  );
}

export function Page({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Pramana`;
  }, [title]);
  return (
    <>
      <div className="page-head">
        <h1>{title}</h1>
        {actions}
      </div>
      {children}
    </>
  );
}
