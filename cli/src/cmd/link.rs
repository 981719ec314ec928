//! `pramana link list | request | approve | deny | end`: which hospitals may add documents to
//! your record. A hospital asks (`request --abha`), you approve or deny, and either of you ends
//! the link at any time; documents a hospital already added stay in your record.

use clap::Subcommand;
use pramana_client::wire::{LinkRequestCreate, LinkView};
use uuid::Uuid;

use crate::Ctx;

#[derive(Debug, Subcommand)]
pub enum LinkCmd {
    /// Your links: the hospitals that asked, are linked, or were.
    List,
    /// (Hospital) ask a patient to let you add documents to their record.
    Request {
        /// The patient's ABHA number.
        #[arg(long)]
        abha: String,
    },
    /// (Patient) let the hospital add documents to your record.
    Approve {
        /// Link id.
        id: Uuid,
    },
    /// (Patient) refuse the hospital's request.
    Deny {
        /// Link id.
        id: Uuid,
    },
    /// End a link or a request (a patient unlinks, a hospital withdraws).
    End {
        /// Link id.
        id: Uuid,
    },
}

fn line(l: &LinkView) -> String {
    format!(
        "{}  {:<9} {} ({})  asked {}",
        l.id,
        l.status,
        l.hospital_name,
        l.hospital_hfr_id,
        l.requested_at.format("%Y-%m-%d")
    )
}

impl LinkCmd {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        let api = ctx.authed()?;
        let one = match self {
            Self::List => {
                let list = api.links().await?;
                ctx.print(&list, || {
                    if list.is_empty() {
                        "no links".to_owned()
                    } else {
                        list.iter().map(line).collect::<Vec<_>>().join("\n")
                    }
                });
                return Ok(());
            }
            Self::Request { abha } => api.link_request(&LinkRequestCreate { patient_abha_number: abha }).await?,
            Self::Approve { id } => api.link_decide(id, "approve").await?,
            Self::Deny { id } => api.link_decide(id, "deny").await?,
            Self::End { id } => api.link_decide(id, "end").await?,
        };
        ctx.print(&one, || line(&one));
        Ok(())
    }
}
