//! `pramana consent request`: a hospital asks a patient for consent.

use chrono::{Duration, NaiveDate, Utc};
use pramana_client::wire::{ConsentRequestCreate, DateRange, Frequency};

use super::consent_line;
use crate::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The patient's ABHA number.
    #[arg(long)]
    patient: String,
    /// Purpose: CAREMGT, BTG, PUBHLTH, HPAYMT, DSRCH or PATRQT.
    #[arg(long, default_value = "CAREMGT")]
    purpose: String,
    /// HI types, comma-separated (e.g. DiagnosticReport,Prescription).
    #[arg(long = "types", value_delimiter = ',')]
    hi_types: Vec<String>,
    /// VIEW, STORE, QUERY or STREAM.
    #[arg(long, default_value = "VIEW")]
    access: String,
    /// First care date in scope (YYYY-MM-DD).
    #[arg(long)]
    from: NaiveDate,
    /// Last care date in scope (YYYY-MM-DD).
    #[arg(long)]
    to: NaiveDate,
    /// Days the grant would last (dataEraseAt).
    #[arg(long, default_value_t = 30)]
    days: i64,
    /// Days the patient has to answer.
    #[arg(long, default_value_t = 7)]
    answer_within: i64,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let now = Utc::now();
    let body = ConsentRequestCreate {
        patient_abha_number: a.patient,
        purpose: a.purpose,
        hi_types: a.hi_types,
        access_mode: a.access,
        date_range: DateRange { from: a.from, to: a.to },
        data_erase_at: now + Duration::days(a.days),
        frequency: Frequency { unit: "DAY".to_owned(), value: 1, repeats: 0 },
        expires_at: now + Duration::days(a.answer_within),
    };
    let v = ctx.authed()?.consent_request(&body).await?;
    ctx.print(&v, || consent_line(&v));
    Ok(())
}
