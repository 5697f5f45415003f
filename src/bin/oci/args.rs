//! A small argument parser for the `oci` subcommands: options with and
//! without values (`--type T`, `--type=T`, repeatable ones), flags, and
//! positional arguments, with usage errors that name the option.

use crate::Failure;

/// The parsed arguments of one subcommand.
pub struct Args {
    command: &'static str,
    positionals: Vec<String>,
    options: Vec<(&'static str, Option<String>)>,
}

/// How an option is spelt and whether it takes a value.
pub enum Opt {
    /// `--name VALUE` or `--name=VALUE`; may repeat.
    Value(&'static str),
    /// `--name`, no value.
    Flag(&'static str),
}

impl Args {
    /// Parses `args` of `command`, which accepts `options`. A lone `-` is a
    /// positional argument (stdin).
    pub fn parse(command: &'static str, args: &[String], options: &[Opt]) -> Result<Args, Failure> {
        let mut parsed = Args {
            command,
            positionals: Vec::new(),
            options: Vec::new(),
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if !arg.starts_with("--") || arg == "--" {
                if arg.starts_with('-') && arg != "-" && arg != "--" {
                    return Err(Failure::Usage(format!(
                        "unknown option {arg:?} for {command}"
                    )));
                }
                parsed.positionals.push(arg.clone());
                continue;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (arg.as_str(), None),
            };
            let spec = options
                .iter()
                .find(|o| o.name() == name)
                .ok_or_else(|| Failure::Usage(format!("unknown option {name:?} for {command}")))?;
            match spec {
                Opt::Flag(n) => {
                    if inline.is_some() {
                        return Err(Failure::Usage(format!("{n} takes no value")));
                    }
                    parsed.options.push((n, None));
                }
                Opt::Value(n) => {
                    let value = match inline {
                        Some(v) => v,
                        None => it
                            .next()
                            .cloned()
                            .ok_or_else(|| Failure::Usage(format!("{n} needs a value")))?,
                    };
                    parsed.options.push((n, Some(value)));
                }
            }
        }
        Ok(parsed)
    }

    /// The last value given for option `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values(name).pop()
    }

    /// Every value given for option `name`, in order.
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.options
            .iter()
            .filter(|(n, _)| *n == name)
            .filter_map(|(_, v)| v.as_deref())
            .collect()
    }

    /// The `--platform OS/ARCH[/VARIANT]` option, parsed; a bad value is a
    /// usage error.
    pub fn platform(&self) -> Result<Option<ocikit_image::Platform>, Failure> {
        self.value("--platform")
            .map(str::parse)
            .transpose()
            .map_err(|e| Failure::Usage(format!("--platform: {e}")))
    }

    /// Whether flag `name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.options.iter().any(|(n, _)| *n == name)
    }

    /// Exactly the positional arguments named in `names` (for messages).
    pub fn positionals<const N: usize>(&self, names: [&str; N]) -> Result<[&str; N], Failure> {
        if self.positionals.len() != N {
            return Err(Failure::Usage(format!(
                "{} takes {} argument{} ({}), got {}",
                self.command,
                N,
                if N == 1 { "" } else { "s" },
                names.join(" "),
                self.positionals.len()
            )));
        }
        Ok(std::array::from_fn(|i| self.positionals[i].as_str()))
    }

    /// The positional arguments, however many.
    pub fn rest(&self) -> &[String] {
        &self.positionals
    }
}

impl Opt {
    fn name(&self) -> &'static str {
        match self {
            Opt::Value(n) | Opt::Flag(n) => n,
        }
    }
}
