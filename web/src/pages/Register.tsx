// Registration: ABHA number (checked as it is typed), optional ABHA address, name, password;
// then signed in and on to creating keys.
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { api, call, login } from "../api/client";
import { useT } from "../i18n";
import { checkAbhaNumber, validAbhaAddress } from "../lib/abha";
import { holdRegistrationPassword } from "../state/keys";
import { ErrorAlert, Field } from "../ui";

export function Register() {
  const t = useT();
  const navigate = useNavigate();
  const [abha, setAbha] = useState("");
  const [address, setAddress] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [password2, setPassword2] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [touched, setTouched] = useState(false);

  const check = checkAbhaNumber(abha);
  const abhaMessage = !abha
    ? null
    : check.ok
      ? null
      : check.reason === "luhn"
        ? t("register.abha.luhn")
        : check.reason === "chars"
          ? t("register.abha.luhn")
          : touched || check.n > 14
            ? t("register.abha.length", { n: check.n })
            : null;
  const addressError = address.trim() && !validAbhaAddress(address) ? t("register.address.invalid") : null;
  const passwordError = password && [...password].length < 12 ? t("register.password.short") : null;
  const mismatch = password2 && password !== password2 ? t("register.password.mismatch") : null;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setTouched(true);
    if (!check.ok || addressError || passwordError || mismatch || !password2) return;
    setBusy(true);
    setError(null);
    try {
      const addresses = address.trim() ? [address.trim().toLowerCase()] : [];
      await call(() =>
        api.POST("/v1/auth/register", { body: { abha_number: check.digits, abha_addresses: addresses, name: name.trim(), password } }),
      );
      // Registering keys needs the password again: hand it to the keys page in memory.
      holdRegistrationPassword(password);
      await login(check.digits, password);
      navigate("/keys");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="narrow">
      <section className="card">
        <h1>{t("register.title")}</h1>
        <form onSubmit={submit} noValidate>
          <ErrorAlert error={error} />
          <Field
            label={t("register.abha")}
            hint={check.ok ? t("register.abha.ok") : t("register.abha.hint")}
            inputMode="numeric"
            autoComplete="off"
            required
            value={abha}
            onChange={(e) => setAbha(e.target.value)}
            onBlur={() => setTouched(true)}
            error={abhaMessage}
          />
          <Field
            label={t("register.address")}
            hint={t("register.address.hint")}
            autoComplete="off"
            autoCapitalize="none"
            value={address}
            onChange={(e) => setAddress(e.target.value)}
            error={addressError}
          />
          <Field label={t("register.name")} autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} />
          <Field
            label={t("register.password")}
            type="password"
            autoComplete="new-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={passwordError}
          />
          <Field
            label={t("register.password2")}
            type="password"
            autoComplete="new-password"
            required
            value={password2}
            onChange={(e) => setPassword2(e.target.value)}
            error={mismatch}
          />
          <button type="submit" className="primary" disabled={busy || !name.trim()}>
            {busy ? t("register.busy") : t("register.submit")}
          </button>
        </form>
        <p>
          <Link to="/">{t("register.login")}</Link>
        </p>
      </section>
    </div>
  );
}
