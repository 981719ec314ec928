// Placeholder: built next.
import { useT } from "../i18n";
import { Page } from "../Layout";

export function Access() {
  const t = useT();
  return <Page title={t("access.title")}>{null}</Page>;
}
