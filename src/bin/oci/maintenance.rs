//! `oci gc` and `oci fsck`: removing unreachable blobs, and checking every
//! blob and document of a layout.

use std::io::Write;
use std::time::Duration;

use ocikit_layout::{FsckOptions, GcOptions, Layout};

use crate::args::{Args, Opt};
use crate::{CmdResult, Failure, stdout_failed};

pub fn gc(args: &[String]) -> CmdResult {
    let args = Args::parse("gc", args, &[Opt::Flag("--dry-run"), Opt::Value("--grace")])?;
    let [path] = args.positionals(["LAYOUT"])?;
    let mut options = GcOptions {
        dry_run: args.flag("--dry-run"),
        ..GcOptions::default()
    };
    if let Some(grace) = args.value("--grace") {
        options.grace = parse_duration(grace).ok_or_else(|| {
            Failure::Usage(format!(
                "--grace {grace:?}: expected a duration such as 0, 90s, 30m, 24h or 7d"
            ))
        })?;
    }
    let layout = Layout::open(path)?;
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

pub fn fsck(args: &[String]) -> CmdResult {
    let args = Args::parse("fsck", args, &[Opt::Flag("--diff-ids")])?;
    let [path] = args.positionals(["LAYOUT"])?;
    let options = FsckOptions {
        verify_diff_ids: args.flag("--diff-ids"),
    };
    let layout = Layout::open(path)?;
    let report = layout.fsck(&options)?;
    print!("{report}");
    let damage = report.damage().count();
    let notes = report.problems.len() - damage;
    if damage > 0 {
        return Err(Failure::Failed(format!(
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
fn parse_duration(s: &str) -> Option<Duration> {
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
