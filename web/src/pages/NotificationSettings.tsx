// The account page's email section: the address (verified by a six-digit code mailed to it; only
// a verified address gets mail) and, per kind of notification, whether it is also mailed.
import { useCallback, useEffect, useState } from "react";
import { api, call, type Schemas } from "../api/client";
import { useT, type Key } from "../i18n";
import { Alert, ErrorAlert, Field } from "../ui";

type EmailView = Schemas["EmailView"];

const KINDS = ["consent_requested", "document_added", "grant_expiring", "first_access", "abha_verified"] as const;

export function EmailSection() {
  const t = useT();
  const [view, setView] = useState<EmailView | null>(null);
  const [prefs, setPrefs] = useState<Record<string, boolean>>({});
  const [email, setEmail] = useState("");
  const [code, setCode] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const reload = useCallback(async () => {
    const [v, p] = await Promise.all([
      call(() => api.GET("/v1/patients/me/email")),
      call(() => api.GET("/v1/patients/me/notifications/preferences")),
    ]);
    setView(v);
    setEmail((old) => old || v.email || "");
    setPrefs(p.email);
  }, []);
  useEffect(() => {
    reload().catch(setError);
  }, [reload]);

  const run = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
      await reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="email-title">
      <h2 id="email-title">{t("notif.email.title")}</h2>
      <p>{t("notif.email.intro")}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => call(() => api.PUT("/v1/patients/me/email", { body: { email } })));
        }}
      >
        <Field
          label={t("notif.email.label")}
          type="email"
          autoComplete="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          required
        />
        <button type="submit" disabled={busy}>
          {t("notif.email.send")}
        </button>
      </form>
      {view?.email && (
        <Alert kind={view.verified ? "ok" : "info"}>
          {view.verified ? t("notif.email.verified") : t("notif.email.unverified")}
        </Alert>
      )}
      {view?.email && !view.verified && view.code_pending && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => call(() => api.POST("/v1/patients/me/email/verify", { body: { code } })));
          }}
        >
          <Field
            label={t("notif.email.code")}
            inputMode="numeric"
            autoComplete="one-time-code"
            value={code}
            onChange={(e) => setCode(e.target.value)}
            required
          />
          <button type="submit" disabled={busy}>
            {t("notif.email.verify")}
          </button>
        </form>
      )}
      <ErrorAlert error={error} />
      {view?.email && (
        <button
          type="button"
          className="quiet"
          disabled={busy}
          onClick={() =>
            void run(async () => {
              await call(() => api.DELETE("/v1/patients/me/email"));
              setEmail("");
            })
          }
        >
          {t("notif.email.remove")}
        </button>
      )}
      <fieldset>
        <legend>{t("notif.email.switches")}</legend>
        {KINDS.map((k) => (
          <label key={k} className="check">
            <input
              type="checkbox"
              checked={prefs[k] ?? true}
              disabled={busy}
              onChange={(e) => {
                // The box follows the click at once; a refused save puts it back.
                const on = e.target.checked;
                setPrefs((p) => ({ ...p, [k]: on }));
                void run(async () => {
                  try {
                    await call(() => api.PUT("/v1/patients/me/notifications/preferences", { body: { email: { [k]: on } } }));
                  } catch (err) {
                    setPrefs((p) => ({ ...p, [k]: !on }));
                    throw err;
                  }
                });
              }}
            />{" "}
            {t(`notif.pref.${k}` as Key)}
          </label>
        ))}
      </fieldset>
    </section>
  );
}
