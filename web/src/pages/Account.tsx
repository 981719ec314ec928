// The account page: the key file to take elsewhere, and (later) the export archive.
import { useEffect, useState } from "react";
import { currentSession } from "../api/client";
import { toHex } from "../crypto/bytes";
import { useT } from "../i18n";
import { Page } from "../Layout";
import { downloadFile, savedKeystore } from "../state/keys";
import { useUnlocked } from "../state/hooks";

export function Account() {
  const t = useT();
  const unlocked = useUnlocked();
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    const s = currentSession();
    if (s) void savedKeystore(s.subjectId).then((k) => setText(k?.text ?? null));
  }, []);
  return (
    <Page title={t("account.title")}>
      <section className="card">
        <h2>{t("account.keys")}</h2>
        <p>{t("account.keys.body")}</p>
        {unlocked && (
          <dl className="facts">
            <dt>{t("account.keys.address")}</dt>
            <dd className="mono">{unlocked.address}</dd>
            <dt>{t("account.keys.x25519")}</dt>
            <dd className="mono">{toHex(unlocked.x25519Public)}</dd>
          </dl>
        )}
        <button
          type="button"
          disabled={!text}
          onClick={() => text && downloadFile(`pramana-keys-${unlocked?.address.slice(2, 10).toLowerCase() ?? "export"}.json`, text, "application/json")}
        >
          {t("account.keys.download")}
        </button>
      </section>
    </Page>
  );
}
