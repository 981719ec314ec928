//! `pramana document headers ID`: every version of a document's header, newest first.

use uuid::Uuid;

use crate::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Document id.
    id: Uuid,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let list = ctx.authed()?.document_headers(a.id).await?;
    ctx.print(&list, || {
        if list.is_empty() {
            return format!("{}: no header versions (the document was deleted)", a.id);
        }
        list.iter().map(super::version_line).collect::<Vec<_>>().join("\n")
    });
    Ok(())
}
