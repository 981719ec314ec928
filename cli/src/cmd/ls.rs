//! `pramana ls`: the caller's documents.

use crate::Ctx;

pub async fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let list = ctx.authed()?.documents().await?;
    ctx.print(&list, || {
        list.iter()
            .map(|d| {
                // The size unpadded, as this line has always printed it.
                format!("{}  {:<20} {}  {} bytes  {}", d.id, d.hi_type, d.care_date, d.plaintext_size, d.anchor_state)
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}
