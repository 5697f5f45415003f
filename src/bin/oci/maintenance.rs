//! `oci gc` and `oci fsck`: removing unreachable blobs, and checking every
//! blob and document of a layout.

use std::io::Write;
use std::time::Duration;

use ocikit_layout::{FsckOptions, GcOptions, Layout};

use crate::{CmdResult, Failure, stdout_failed};

/// Remove the blobs nothing in index.json reaches
///
/// Only blobs older than the grace period go (default 24h), so that a
/// writer still storing an image keeps its new blobs; 0 when no writer can
/// be running.
#[derive(clap::Args, Debug)]
pub struct GcArgs {
    /// The layout's directory
    #[arg(value_name = "LAYOUT")]
    layout: String,
    /// Only list what would be removed
    #[arg(long)]
    dry_run: bool,
    /// Keep unreachable blobs younger than this: 0, 90s, 30m, 24h, 7d (a
    /// bare number is seconds)
    #[arg(long, value_name = "D", value_parser = parse_duration, default_value = "24h")]
    grace: Duration,
}

/// Verify every reachable blob and document of a layout
///
/// Lists damage (exit 1), unreachable blobs and stale temporary files.
#[derive(clap::Args, Debug)]
pub struct FsckArgs {
    /// The layout's directory
    #[arg(value_name = "LAYOUT")]
    layout: String,
    /// Also decompress every layer and check it against its config's
    /// diff_id
    #[arg(long)]
    diff_ids: bool,
}

pub fn gc(args: GcArgs) -> CmdResult {
    let options = GcOptions {
        dry_run: args.dry_run,
        grace: args.grace,
    };
    let layout = Layout::open(&args.layout)?;
    let report = layout.gc(&options)?;
    let verb = if report.dry_run {
        "would remove"
    } else {
        "removed"
    };
    let mut out = std::io::stdout().lock();
    let mut text = String::new();
    for blob in &report.removed {
        text += &format!("{verb} {} ({} bytes)\n", blob.digest, blob.size);
    }
    for temp in &report.removed_temp_files {
        text += &format!("{verb} stale temporary file {}\n", temp.display());
    }
    text += &format!(
        "{verb} {} blob{} ({} bytes); {} reachable, {} unreachable kept (younger than the grace period)\n",
        report.removed.len(),
        if report.removed.len() == 1 { "" } else { "s" },
        report.bytes_freed,
        report.reachable,
        report.kept_by_grace
    );
    out.write_all(text.as_bytes()).map_err(stdout_failed)
}

pub fn fsck(args: FsckArgs) -> CmdResult {
    let path = &args.layout;
    let options = FsckOptions {
        verify_diff_ids: args.diff_ids,
    };
    let layout = Layout::open(path)?;
    let report = layout.fsck(&options)?;
    print!("{report}");
    let damage = report.damage().count();
    let notes = report.problems.len() - damage;
    if damage > 0 {
        return Err(Failure(format!(
            "{path}: {damage} problem{} that damage the layout ({notes} other finding{})",
            if damage == 1 { "" } else { "s" },
            if notes == 1 { "" } else { "s" }
        )));
    }
    println!(
        "{path}: no damage: {} reachable blobs, {} bytes verified{}",
        report.reachable,
        report.verified_bytes,
        if notes > 0 {
            format!(
                " ({notes} finding{} above)",
                if notes == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        }
    );
    Ok(())
}

/// `0`, `90s`, `30m`, `24h`, `7d`; a bare number is seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    seconds(s).ok_or_else(|| "expected a duration such as 0, 90s, 30m, 24h or 7d".to_owned())
}

fn seconds(s: &str) -> Option<Duration> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let number: u64 = number.parse().ok()?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    number.checked_mul(seconds).map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_grace_is_the_library_s() {
        assert_eq!(parse_duration("24h"), Ok(ocikit_layout::DEFAULT_GRACE));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("1w").is_err());
    }
}
