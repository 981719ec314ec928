//! `pramana abha status | code | verify`: proving an ABHA number. A registered number is only
//! *claimed*; hospitals can send consent and link requests to it once it is verified. At a
//! registered hospital's desk the patient runs `code` and shows the code with the ABHA card;
//! staff check the card and run `verify`.

use clap::Subcommand;
use pramana_client::wire::{AbhaVerifyRequest, PatientView};

use crate::Ctx;

#[derive(Debug, Subcommand)]
pub enum AbhaCmd {
    /// (Patient) whether your ABHA number is claimed, verified or displaced.
    Status,
    /// (Patient) a one-time code to show hospital staff with your ABHA card (15 minutes).
    Code,
    /// (Hospital) verify a patient's ABHA number after checking their card.
    Verify {
        /// The number on the card.
        #[arg(long)]
        abha: String,
        /// The code the patient's screen shows.
        #[arg(long)]
        code: String,
    },
}

fn status_line(p: &PatientView) -> String {
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
    };
    match p.abha_status.as_str() {
        "verified" => match &p.abha_verified_by {
            Some(h) => format!(
                "{} verified in person at {} ({}) on {}",
                p.abha_number,
                h.name,
                h.hfr_id,
                when(p.abha_verified_at)
            ),
            None => format!("{} verified through ABDM on {}", p.abha_number, when(p.abha_verified_at)),
        },
        "displaced" => format!(
            "{} displaced: another account's claim to this number was verified on {}. Your documents stay yours; \
             if the number is yours, contact the platform's operator.",
            p.abha_number,
            when(p.abha_displaced_at)
        ),
        _ => format!(
            "{} claimed, not verified: hospitals cannot send you consent or link requests yet. \
             Run `pramana abha code` at a registered hospital's desk and show the code with your ABHA card.",
            p.abha_number
        ),
    }
}

impl AbhaCmd {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        let api = ctx.authed()?;
        match self {
            Self::Status => {
                let me = api.patient_me().await?;
                ctx.print(&me, || status_line(&me));
            }
            Self::Code => {
                let c = api.abha_code_create().await?;
                ctx.print(&c, || {
                    format!(
                        "Show this code with your ABHA card at the hospital desk: {}\n(valid until {}; a new code replaces it)",
                        c.code,
                        c.expires_at.format("%H:%M UTC")
                    )
                });
            }
            Self::Verify { abha, code } => {
                let v = api.abha_verify(&AbhaVerifyRequest { abha_number: abha, code }).await?;
                ctx.print(&v, || {
                    format!(
                        "{} verified for the account named {:?}: check that it matches the card",
                        v.abha_number, v.patient_name
                    )
                });
            }
        }
        Ok(())
    }
}
