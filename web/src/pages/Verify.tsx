// Placeholder: built next.
import { useT } from "../i18n";
import { Page } from "../Layout";

export function Verify() {
  const t = useT();
  return <Page title={t("nav.verify")}>{null}</Page>;
}
