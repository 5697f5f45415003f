//! Applies an uncompressed layer tar onto a directory, as an image unpack
//! does for each layer: `cargo run --release --example apply_tar -- LAYER.tar ROOT`.
//! Whiteouts are applied; nothing outside ROOT is touched.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [tar, root] = args.as_slice() else {
        eprintln!("usage: apply_tar LAYER.tar ROOT");
        return ExitCode::from(2);
    };
    let result = std::fs::File::open(tar)
        .map_err(|e| format!("open {tar}: {e}"))
        .and_then(|file| {
            std::fs::create_dir_all(root).map_err(|e| format!("create {root}: {e}"))?;
            let reader = std::io::BufReader::with_capacity(1 << 20, file);
            ocikit_convert::apply_tar(
                root.as_ref(),
                reader,
                &ocikit_convert::ApplyOptions::default(),
            )
            .map_err(|e| e.to_string())
        });
    match result {
        Ok(applied) => {
            println!(
                "{} entries, {} bytes, diff_id {}",
                applied.entries,
                applied.uncompressed_bytes,
                applied.diff_id.map(|d| d.to_string()).unwrap_or_default()
            );
            for warning in &applied.warnings {
                eprintln!("warning: {warning}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("apply_tar: {e}");
            ExitCode::FAILURE
        }
    }
}
