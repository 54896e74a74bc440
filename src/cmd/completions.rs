//! `bscred completions` and `bscred man`: generated from the clap
//! definitions, so they never drift from the real command line.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::{Error, Exit, Result};

/// Print a shell completion script
///
/// bash: `bscred completions bash > ~/.local/share/bash-completion/completions/bscred`;
/// zsh: into a directory on $fpath as `_bscred`; fish:
/// `bscred completions fish > ~/.config/fish/completions/bscred.fish`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Print the man page (roff)
///
/// `bscred man > ~/.local/share/man/man1/bscred.1`, then `man bscred`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {}

pub fn completions(args: Args) -> Result<Exit> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "bscred", &mut out);
    super::print(&out)?;
    Ok(Exit::Ok)
}

pub fn man(_args: ManArgs) -> Result<Exit> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(Error::io("cannot render the man page"))?;
    super::print(&out)?;
    Ok(Exit::Ok)
}

/// The command-line reference as Markdown, from the same definitions as
/// `--help` (docs/cli-reference.md; a test keeps the file in step).
pub fn reference() -> String {
    let mut command = Cli::command().term_width(100);
    command.build();
    let mut out = String::from(
        "# Command-line reference\n\n\
         Generated from bscred's own definitions (`--help` of every command); a\n\
         test fails when this file and the program disagree. To regenerate:\n\
         `BSCRED_BLESS=1 cargo test --test it cli_reference`.\n",
    );
    section(&mut command, "bscred", &mut out);
    out
}

fn section(command: &mut clap::Command, path: &str, out: &mut String) {
    let help = command.render_long_help().to_string();
    out.push_str(&format!(
        "\n## `{path}`\n\n```text\n{}\n```\n",
        help.trim_end()
    ));
    let names: Vec<String> = command
        .get_subcommands()
        .filter(|c| c.get_name() != "help")
        .map(|c| c.get_name().to_string())
        .collect();
    for name in names {
        if let Some(sub) = command.find_subcommand_mut(&name) {
            section(sub, &format!("{path} {name}"), out);
        }
    }
}
