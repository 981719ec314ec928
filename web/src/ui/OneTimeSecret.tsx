// A secret the API returns once (a hospital's API secret, an auditor's password): shown with a
// copy button and a plain warning until the person says it is saved; never stored anywhere.
// (The operator's new hospital and auditor secrets, a hospital's webhook secret.)
import { useEffect, useRef, useState } from "react";
import { useT } from "../i18n";
import { Alert } from ".";

export function OneTimeSecret({
  title,
  label,
  secret,
  warning,
  onDone,
}: {
  title: string;
  label: string;
  secret: string;
  warning: string;
  onDone: () => void;
}) {
  const t = useT();
  const [copy, setCopy] = useState<"idle" | "copied" | "failed">("idle");
  const heading = useRef<HTMLHeadingElement>(null);
  // Focus moves to the result, so keyboard and screen-reader users land on it.
  useEffect(() => heading.current?.focus(), []);
  return (
    <section className="card one-time" aria-labelledby="one-time-title">
      <h2 id="one-time-title" tabIndex={-1} ref={heading}>
        {title}
      </h2>
      <p className="one-time-label">{label}</p>
      <p className="mono secret" data-testid="one-time-secret">
        {secret}
      </p>
      <Alert kind="warn">{warning}</Alert>
      <div className="actions">
        <button
          type="button"
          className="primary"
          onClick={() => {
            // No clipboard outside a secure context: say so, the text can still be selected.
            (navigator.clipboard?.writeText(secret) ?? Promise.reject(new Error("no clipboard")))
              .then(() => setCopy("copied"))
              .catch(() => setCopy("failed"));
          }}
        >
          {t("secret.copy")}
        </button>
        <button type="button" onClick={onDone}>
          {t("secret.done")}
        </button>
      </div>
      <p role="status" className="muted">
        {copy === "copied" ? t("secret.copied") : copy === "failed" ? t("secret.copyFailed") : ""}
      </p>
    </section>
  );
}
