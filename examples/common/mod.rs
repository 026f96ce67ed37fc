//! What the benchmark programs share.

use anyhow::Context;

/// Deletes a SQLite database file and its WAL companions, if `database_url`
/// names one, so a run starts from nothing.
pub fn remove_sqlite_files(database_url: &str) -> anyhow::Result<()> {
    let Some(path) = database_url.strip_prefix("sqlite://") else {
        return Ok(());
    };
    let path = path.split('?').next().unwrap_or(path);
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{path}{suffix}");
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {file}")),
        }
    }
    Ok(())
}
